"""Command line: `python -m index build|add|delete|info|search` (see `python -m index --help`)."""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from index.embedding import DEFAULT_EMBEDDING_MODEL, load_embedder
from index.errors import CorpusError, SnapshotError
from index.ingest import (
    LastDocumentError,
    UnknownDocumentError,
    add_documents,
    delete_documents,
    documents_from_corpus,
)
from index.schema import SearchFilters
from index.store import MANIFEST_FILE, Snapshot, build_index, current_snapshot_path

DEFAULT_OUT = Path("var/index")


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid date {value!r} (expected YYYY-MM-DD)") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m index", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    build = sub.add_parser("build", help="build a snapshot from a corpus and publish it")
    # No default corpus: a forgotten --corpus must not quietly index the bundled sample.
    build.add_argument("--corpus", type=Path, required=True, help="folder of .txt files or .jsonl")
    build.add_argument("--out", type=Path, default=DEFAULT_OUT, help="index root (default var/index)")
    build.add_argument("--model", default=DEFAULT_EMBEDDING_MODEL, help="embedding model path or id")
    build.add_argument("--no-progress", action="store_true", help="no progress bar")
    build.add_argument(
        "--ray",
        action="store_true",
        help="split and embed on Ray actors (the cluster at RAY_ADDRESS, else a local one); "
        "needs claimwire[ray]",
    )
    build.add_argument(
        "--ray-actors",
        type=int,
        metavar="N",
        help="Ray actors, each loading the model once (default: one per CPU)",
    )

    add = sub.add_parser(
        "add",
        help="add or replace the articles of a corpus in the published snapshot (only new passages "
        "are embedded)",
    )
    add.add_argument("--corpus", type=Path, required=True, help="folder of .txt files or .jsonl")
    add.add_argument("--index", type=Path, required=True, help="index root holding `current`")
    add.add_argument("--model", help="embedding model (default: the snapshot's)")
    add.add_argument("--no-progress", action="store_true", help="no progress bar")

    delete = sub.add_parser("delete", help="delete documents by id from the published snapshot")
    delete.add_argument("ids", nargs="+", metavar="ID", help="document id (repeatable)")
    delete.add_argument("--index", type=Path, required=True, help="index root holding `current`")

    info = sub.add_parser("info", help="print the manifest of the current snapshot")
    info.add_argument("--out", type=Path, default=DEFAULT_OUT, help="index root (default var/index)")

    search = sub.add_parser("search", help="search the current snapshot")
    search.add_argument("query")
    search.add_argument("--out", type=Path, default=DEFAULT_OUT, help="index root (default var/index)")
    search.add_argument("-k", type=int, default=5, help="number of hits (default 5)")
    search.add_argument("--outlet", action="append", help="only this outlet (repeatable)")
    search.add_argument("--date-from", type=_date, help="only passages dated on or after (YYYY-MM-DD)")
    search.add_argument("--date-to", type=_date, help="only passages dated on or before (YYYY-MM-DD)")
    search.add_argument("--model", help="embedding model (default: the snapshot's)")
    search.add_argument("--json", action="store_true", help="print hits as JSON Lines")
    return parser


def _build(args: argparse.Namespace) -> int:
    if args.ray_actors is not None and (not args.ray or args.ray_actors < 1):
        print("error: --ray-actors takes a number >= 1, with --ray", file=sys.stderr)
        return 2
    if args.ray:
        if importlib.util.find_spec("ray") is None:  # only the Ray build needs ray
            print("error: --ray needs Ray: pip install 'claimwire[ray]'", file=sys.stderr)
            return 2
        from index.distributed import build_index_ray

        report = build_index_ray(
            args.corpus, args.out, args.model, actors=args.ray_actors, progress=not args.no_progress
        )
    else:
        embedder = load_embedder(args.model)
        report = build_index(args.corpus, args.out, embedder, progress=not args.no_progress)
    print(report.summary())
    return 0


def _snapshot_model(root: Path) -> str:
    """The embedding model the published snapshot under `root` was built with."""
    manifest = json.loads((current_snapshot_path(root) / MANIFEST_FILE).read_text(encoding="utf-8"))
    return str(manifest.get("embedding_model") or DEFAULT_EMBEDDING_MODEL)


def _add(args: argparse.Namespace) -> int:
    model = args.model or _snapshot_model(args.index)  # fails first when nothing is published there
    documents, issues = documents_from_corpus(args.corpus)
    if issues:
        for issue in issues:
            print(f"error: {issue}", file=sys.stderr)
        print(f"{len(issues)} bad input(s) in {args.corpus}; nothing was written", file=sys.stderr)
        return 1
    if not documents:
        print(f"error: no articles in {args.corpus}; nothing was written", file=sys.stderr)
        return 1
    report = add_documents(args.index, documents, load_embedder(model), progress=not args.no_progress)
    print(report.summary())
    return 0


def _delete(args: argparse.Namespace) -> int:
    print(delete_documents(args.index, args.ids).summary())
    return 0


def _info(args: argparse.Namespace) -> int:
    path = current_snapshot_path(args.out)
    manifest = json.loads((path / MANIFEST_FILE).read_text(encoding="utf-8"))
    print(f"# {path}")
    print(json.dumps(manifest, indent=2, ensure_ascii=False))
    return 0


def _search(args: argparse.Namespace) -> int:
    path = current_snapshot_path(args.out)
    model = args.model
    if model is None:
        model = json.loads((path / MANIFEST_FILE).read_text(encoding="utf-8")).get("embedding_model")
    snapshot = Snapshot.load(path, load_embedder(model or DEFAULT_EMBEDDING_MODEL))
    filters = SearchFilters(
        outlets=frozenset(args.outlet) if args.outlet else None,
        date_from=args.date_from,
        date_to=args.date_to,
    )
    hits = snapshot.search(args.query, args.k, filters)
    for rank, hit in enumerate(hits, start=1):
        p = hit.passage
        if args.json:
            row = {"rank": rank, "similarity": hit.similarity, "score": hit.score, **p.to_json()}
            row |= {"dense_rank": hit.dense_rank, "lexical_rank": hit.lexical_rank}
            print(json.dumps(row, ensure_ascii=False))
            continue
        print(
            f"{rank}. sim={hit.similarity:.3f} rrf={hit.score:.4f} "
            f"dense={hit.dense_rank} bm25={hit.lexical_rank} "
            f"[{p.outlet or 'unknown outlet'}, {p.date or 'unknown date'}] {p.document_id}#{p.sentence_index}"
        )
        print(f"   {p.text}")
    if not hits:
        print("no hits", file=sys.stderr)
    return 0


def _interruptible() -> None:
    """Ctrl-C and SIGTERM both stop a build cleanly (nothing half-published).

    A job started in the background of a non-interactive shell (CI scripts, `nohup ... &`)
    inherits SIGINT as ignored; restore Python's handler so Ctrl-C / `kill -INT` always works.
    """

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, stop)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    _interruptible()
    commands = {"build": _build, "add": _add, "delete": _delete, "info": _info, "search": _search}
    try:
        return commands[args.command](args)
    except (SnapshotError, CorpusError, UnknownDocumentError, LastDocumentError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; the published snapshot is unchanged", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
