"""`python -m service.batch --claims claims.txt|claims.jsonl --out results.jsonl`: offline verification.

Runs the same pipeline as `POST /verify`, in-process (no HTTP server), one claim at a time, and
writes one JSON line per claim to OUT: the `/verify` body plus `id`, or `{"id", "error"}` (a
problem object) for a line that cannot be verified. Each line is flushed and fsynced as it is
written, so an interrupted run leaves complete lines only; a second run skips ids already in OUT
(a truncated last line from a crash is dropped first) and appends the rest.

Input: `.txt`, one claim per line, id = line number (blank lines skipped); `.jsonl`, one object
per line with `claim` and optionally `id` (default: line number), `top_k`, `outlets`,
`date_from`, `date_to`. Configuration is the service's (`CLAIMWIRE_*` environment variables).

`--ray` verifies on Ray actors (`service.ray_batch`; the cluster at RAY_ADDRESS, else a local
one), each loading the index and models once; OUT is the same file, in the same order, and
resumes the same way.

`--format claimreview` writes each answer as a schema.org ClaimReview (`service.claimreview`,
what `POST /verify` answers with `Accept: application/ld+json`) with the claim's id as
`identifier`; `author` is ORGANIZATION_NAME and `url` a permalink under PUBLIC_URL.
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import json
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from marshmallow import ValidationError
from marshmallow.experimental.context import Context

from .claimreview import LOCAL_URL, claim_review
from .errors import VALIDATION, flatten
from .pipeline import Query, Thresholds
from .runtime import Loaded, Runtime, default_model_loader, snapshot_loader
from .schemas import BatchClaimSchema, BatchResultSchema, ClaimReviewSchema

FORMATS = ("verify", "claimreview")
# Claims verified together (one embedder call, one stance call), locally and per Ray task.
CHUNK = 16


@dataclass
class Item:
    """One input line: an id and either the loaded claim options or the reason it has none."""

    id: str
    options: dict[str, Any] | None = None
    error: dict[str, Any] | None = None


@dataclass
class Summary:
    verified: int = 0
    skipped: int = 0
    errors: int = 0
    done: set[str] = field(default_factory=set)

    def line(self) -> str:
        return f"verified {self.verified}, skipped {self.skipped} (already in OUT), errors {self.errors}"


def invalid(detail: str, errors: dict[str, list[str]] | None = None) -> dict[str, Any]:
    problem: dict[str, Any] = {"type": VALIDATION, "title": "Invalid claim", "status": 422, "detail": detail}
    if errors is not None:
        problem["errors"] = errors
    return problem


def read_claims(path: Path) -> Iterator[Item]:
    """The claims of a .txt or .jsonl file, bad lines included as items with an error."""
    schema = BatchClaimSchema()
    jsonl = path.suffix.lower() in {".jsonl", ".ndjson", ".json"}
    with path.open(encoding="utf-8") as lines:
        for lineno, raw in enumerate(lines, start=1):
            line = raw.strip()
            if not line:
                continue
            if not jsonl:
                obj: Any = {"claim": line}
            else:
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    yield Item(str(lineno), error=invalid(f"line {lineno} is not JSON: {exc}"))
                    continue
                if not isinstance(obj, dict):
                    yield Item(str(lineno), error=invalid(f"line {lineno} is not a JSON object"))
                    continue
            raw_id = obj.get("id", lineno)
            item_id = str(raw_id)
            try:
                options = schema.load({**obj, "id": item_id})
            except ValidationError as exc:
                yield Item(
                    item_id, error=invalid(f"line {lineno} is not a valid claim", flatten(exc.messages))
                )
                continue
            yield Item(item_id, options=options)


def completed_ids(out: Path) -> set[str]:
    """Ids already in OUT; a truncated last line (an interrupted write) is cut off the file."""
    if not out.exists():
        return set()
    done: set[str] = set()
    keep = 0  # bytes of complete, parseable lines
    with out.open("rb") as f:
        for raw in f:
            if not raw.endswith(b"\n"):
                break
            try:
                record = json.loads(raw)
            except json.JSONDecodeError:
                break
            done.add(str(record["id"] if "id" in record else record["identifier"]))
            keep += len(raw)
    if keep != out.stat().st_size:
        with out.open("r+b") as f:
            f.truncate(keep)
    return done


def write_line(out: TextIO, record: dict[str, Any]) -> None:
    out.write(json.dumps(record, ensure_ascii=False) + "\n")
    out.flush()
    os.fsync(out.fileno())


@dataclass(frozen=True)
class Output:
    """How records are written: `format` verify (the /verify body plus `id`) or claimreview."""

    format: str = "verify"
    organization: str = "claimwire"
    public_url: str = LOCAL_URL

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise ValueError(f"format must be one of {FORMATS}, not {self.format!r}")


@functools.cache
def _schemas() -> tuple[BatchResultSchema, ClaimReviewSchema]:
    """The output schemas, made once per process (they hold no per-record state)."""
    return BatchResultSchema(), ClaimReviewSchema()


def verify_chunk(
    items: Sequence[Item], loaded: Loaded, thresholds: Thresholds, output: Output
) -> list[tuple[dict[str, Any], bool]]:
    """The output record of each item, in order, and whether it is an error record.

    The one place claims become lines of OUT: `run` calls it here, the Ray path
    (`service.ray_batch`) on its actors. The chunk's claims are verified together
    (`Loaded.verify_many`: one embedder call, one stance call for all their passages); should
    that fail, each claim is verified alone, so a claim that fails is its own error record.
    """
    result_schema, review_schema = _schemas()
    valid = [item for item in items if item.options is not None]
    results: dict[int, Any] = {}
    try:
        batch = loaded.verify_many([Query.from_options(i.options or {}) for i in valid], thresholds)
        results = {id(item): result for item, result in zip(valid, batch, strict=True)}
    except Exception:  # find the claim that fails; the others still get their answers
        for item in valid:
            try:
                results[id(item)] = loaded.verify(Query.from_options(item.options or {}), thresholds)
            except Exception as exc:
                results[id(item)] = exc
    done: list[tuple[dict[str, Any], bool]] = []
    for item in items:
        result = results.get(id(item))
        if item.options is None or result is None:
            done.append(({"id": item.id, "error": item.error}, True))
        elif isinstance(result, Exception):
            problem = {
                "type": "about:blank",
                "title": "Internal Server Error",
                "status": 500,
                "detail": f"{type(result).__name__}: {result}",
            }
            done.append(({"id": item.id, "error": problem}, True))
        elif output.format == "claimreview":
            review = claim_review(result, organization=output.organization, public_url=output.public_url)
            done.append(({**review_schema.dump(review), "identifier": item.id}, False))
        else:
            done.append((result_schema.dump({"id": item.id, **result.as_dict()}), False))
    return done


def plan_chunks(items: Iterable[Item], summary: Summary, size: int) -> list[tuple[list[Item], list[bool]]]:
    """The input cut into fixed chunks of `size` by position, each with which items to write.

    A chunk is verified whole even when some of its claims are already in OUT (or repeat an id),
    so each claim is always read with the same batch-mates: a resumed run, or a Ray run with the
    same `size`, writes exactly the records an uninterrupted run writes (bf16 scores move in their
    third decimal with their batch-mates). Chunks with nothing to write are not verified at all.
    """
    seen = set(summary.done)
    ordered = list(items)
    plan: list[tuple[list[Item], list[bool]]] = []
    for start in range(0, len(ordered), max(1, size)):
        chunk = ordered[start : start + max(1, size)]
        write = []
        for item in chunk:
            fresh = item.id not in seen
            if not fresh:
                summary.skipped += 1
            seen.add(item.id)
            write.append(fresh)
        if any(write):
            plan.append((chunk, write))
    return plan


def record_line(out: TextIO, record: dict[str, Any], error: bool, item_id: str, summary: Summary) -> None:
    """Write one record (flushed, fsynced) and count it."""
    write_line(out, record)
    if error:
        summary.errors += 1
    else:
        summary.verified += 1
    summary.done.add(item_id)


def run(
    items: Iterator[Item] | list[Item],
    out: Path,
    loaded: Loaded,
    thresholds: Thresholds,
    *,
    progress: bool = True,
    summary: Summary | None = None,
    output: str = "verify",
    organization: str = "claimwire",
    public_url: str = LOCAL_URL,
    chunk: int = CHUNK,
) -> Summary:
    """Verify every item not already in `out`, appending one line each; counts go to `summary`.

    Claims are verified in fixed chunks of `chunk` (`plan_chunks`, `verify_chunk`); each chunk's
    lines are written, flushed and fsynced before the next starts, so Ctrl-C loses at most one
    chunk's work and never leaves half a line.

    `output` is `verify` (the /verify body plus `id`) or `claimreview` (schema.org ClaimReview
    JSON-LD with `identifier`, by `organization`, permalinks under `public_url`).
    """
    how = Output(output, organization, public_url)
    summary = summary if summary is not None else Summary()
    summary.done = completed_ids(out)
    plan = plan_chunks(items, summary, chunk)
    records = (verify_chunk(part, loaded, thresholds, how) for part, _ in plan)
    write_plan(out, plan, records, summary, progress=progress)
    return summary


def write_plan(
    out: Path,
    plan: Sequence[tuple[list[Item], list[bool]]],
    records: Iterable[list[tuple[dict[str, Any], bool]]],
    summary: Summary,
    *,
    progress: bool = True,
    desc: str = "verify",
) -> None:
    """Append each chunk's wanted records to `out` as they come (`records`: one list per chunk of
    `plan`, in order), with a progress bar; shared by the local run and the Ray one."""
    from tqdm import tqdm

    # disable=None: a bar only on a terminal, never in a log file
    with (
        out.open("a", encoding="utf-8") as f,
        tqdm(
            total=sum(sum(w) for _, w in plan),
            desc=desc,
            unit="claim",
            disable=None if progress else True,
        ) as bar,
    ):
        for (part, write), chunk_records in zip(plan, records, strict=True):
            for item, wanted, (record, error) in zip(part, write, chunk_records, strict=True):
                if wanted:
                    record_line(f, record, error, item.id, summary)
            bar.update(sum(write))


def main(argv: list[str] | None = None) -> int:
    from flask import Config

    from .config import DefaultConfig, thresholds

    parser = argparse.ArgumentParser(prog="python -m service.batch", description=__doc__.split("\n\n")[0])
    parser.add_argument("--claims", type=Path, required=True, help="claims.txt or claims.jsonl")
    parser.add_argument("--out", type=Path, required=True, help="results.jsonl (appended to; resumable)")
    parser.add_argument("--index-dir", type=Path, help="default: CLAIMWIRE_INDEX_DIR or var/index")
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="verify",
        help="verify: the /verify body plus id (default); claimreview: schema.org ClaimReview JSON-LD",
    )
    parser.add_argument(
        "--ray",
        action="store_true",
        help="verify on Ray actors (the cluster at RAY_ADDRESS, else a local one); needs claimwire[ray]",
    )
    parser.add_argument("--ray-actors", type=int, metavar="N", help="Ray actors (default: one per CPU)")
    parser.add_argument(
        "--chunk-size",
        type=int,
        metavar="N",
        help=f"claims verified together, and per Ray task (default {CHUNK})",
    )
    args = parser.parse_args(argv)
    if not args.ray and args.ray_actors is not None:
        parser.error("--ray-actors goes with --ray")
    if (args.ray_actors is not None and args.ray_actors < 1) or (
        args.chunk_size is not None and args.chunk_size < 1
    ):
        parser.error("--ray-actors and --chunk-size take a number >= 1")
    if args.ray and importlib.util.find_spec("ray") is None:
        parser.error("--ray needs Ray: pip install 'claimwire[ray]'")

    # The service's configuration, read the same way (defaults, then CLAIMWIRE_* variables).
    config = Config(os.getcwd())
    config.from_object(DefaultConfig)
    config.from_prefixed_env("CLAIMWIRE")
    index_dir = args.index_dir or Path(config["INDEX_DIR"])
    output = Output(args.format, str(config["ORGANIZATION_NAME"]), str(config.get("PUBLIC_URL") or LOCAL_URL))
    summary = Summary()
    with Context(dict(config)):  # the schemas' limits come from this configuration
        items = list(read_claims(args.claims))
    if args.ray:
        from .ray_batch import run_ray

        try:
            run_ray(
                items,
                args.out,
                index_dir,
                dict(config),
                thresholds(config),
                output=output,
                actors=args.ray_actors,
                chunk_size=args.chunk_size or CHUNK,
                progress=not args.no_progress,
                summary=summary,
            )
        except RuntimeError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print("interrupted; run again to resume", file=sys.stderr)
            return 130
        finally:
            print(summary.line())
        return 0
    runtime = Runtime(
        index_dir,
        default_model_loader(config["EMBEDDING_MODEL"], config["STANCE_MODEL"]),
        snapshot_loader(config),
    )
    runtime.refresh()
    loaded = runtime.loaded
    if loaded is None:
        print(f"error: {runtime.problem}", file=sys.stderr)
        return 2
    try:
        run(
            items,
            args.out,
            loaded,
            thresholds(config),
            progress=not args.no_progress,
            summary=summary,
            output=output.format,
            organization=output.organization,
            public_url=output.public_url,
            chunk=args.chunk_size or CHUNK,
        )
    except KeyboardInterrupt:
        print("interrupted; run again to resume", file=sys.stderr)
        return 130
    finally:
        print(summary.line())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
