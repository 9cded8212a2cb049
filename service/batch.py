"""`python -m service.batch --claims claims.txt|claims.jsonl --out results.jsonl`: offline verification.

Runs the same pipeline as `POST /verify`, in-process (no HTTP server), one claim at a time, and
writes one JSON line per claim to OUT: the `/verify` body plus `id`, or `{"id", "error"}` (a
problem object) for a line that cannot be verified. Each line is flushed and fsynced as it is
written, so an interrupted run leaves complete lines only; a second run skips ids already in OUT
(a truncated last line from a crash is dropped first) and appends the rest.

Input: `.txt`, one claim per line, id = line number (blank lines skipped); `.jsonl`, one object
per line with `claim` and optionally `id` (default: line number), `top_k`, `outlets`,
`date_from`, `date_to`. Configuration is the service's (`CLAIMWIRE_*` environment variables).

`--format claimreview` writes each answer as a schema.org ClaimReview (`service.claimreview`,
what `POST /verify` answers with `Accept: application/ld+json`) with the claim's id as
`identifier`; `author` is ORGANIZATION_NAME and `url` a permalink under PUBLIC_URL.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from marshmallow import ValidationError
from marshmallow.experimental.context import Context

from .claimreview import LOCAL_URL, claim_review
from .errors import VALIDATION, flatten
from .pipeline import Query, Thresholds
from .runtime import Loaded, Runtime, default_model_loader, default_snapshot_loader
from .schemas import BatchClaimSchema, BatchResultSchema, ClaimReviewSchema

FORMATS = ("verify", "claimreview")


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
) -> Summary:
    """Verify every item not already in `out`, appending one line each; counts go to `summary`.

    `output` is `verify` (the /verify body plus `id`) or `claimreview` (schema.org ClaimReview
    JSON-LD with `identifier`, by `organization`, permalinks under `public_url`).
    """
    if output not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, not {output!r}")
    from tqdm import tqdm

    summary = summary if summary is not None else Summary()
    summary.done = completed_ids(out)
    pending = list(items)
    result_schema = BatchResultSchema()
    review_schema = ClaimReviewSchema()
    with out.open("a", encoding="utf-8") as f:
        # disable=None: a bar only on a terminal, never in a log file
        for item in tqdm(pending, desc="verify", unit="claim", disable=None if progress else True):
            if item.id in summary.done:
                summary.skipped += 1
                continue
            record: dict[str, Any]
            if item.options is None:
                record = {"id": item.id, "error": item.error}
                summary.errors += 1
            else:
                try:
                    result = loaded.verify(Query.from_options(item.options), thresholds)
                except Exception as exc:  # one bad claim must not end the run
                    record = {
                        "id": item.id,
                        "error": {
                            "type": "about:blank",
                            "title": "Internal Server Error",
                            "status": 500,
                            "detail": f"{type(exc).__name__}: {exc}",
                        },
                    }
                    summary.errors += 1
                else:
                    if output == "claimreview":
                        review = claim_review(result, organization=organization, public_url=public_url)
                        record = {**review_schema.dump(review), "identifier": item.id}
                    else:
                        record = result_schema.dump({"id": item.id, **result.as_dict()})
                    summary.verified += 1
            write_line(f, record)
            summary.done.add(item.id)
    return summary


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
    args = parser.parse_args(argv)

    # The service's configuration, read the same way (defaults, then CLAIMWIRE_* variables).
    config = Config(os.getcwd())
    config.from_object(DefaultConfig)
    config.from_prefixed_env("CLAIMWIRE")
    runtime = Runtime(
        args.index_dir or Path(config["INDEX_DIR"]),
        default_model_loader(config["EMBEDDING_MODEL"], config["STANCE_MODEL"]),
        default_snapshot_loader,
    )
    runtime.refresh()
    loaded = runtime.loaded
    if loaded is None:
        print(f"error: {runtime.problem}", file=sys.stderr)
        return 2
    summary = Summary()
    try:
        with Context(dict(config)):  # the schemas' limits come from this configuration
            items = list(read_claims(args.claims))
        run(
            items,
            args.out,
            loaded,
            thresholds(config),
            progress=not args.no_progress,
            summary=summary,
            output=args.format,
            organization=str(config["ORGANIZATION_NAME"]),
            public_url=str(config.get("PUBLIC_URL") or LOCAL_URL),
        )
    except KeyboardInterrupt:
        print("interrupted; run again to resume", file=sys.stderr)
        return 130
    finally:
        print(summary.line())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
