"""Reviewer feedback: judgements of one passage for one claim, in SQLite, and their export.

`POST /feedback` (`service.resources.feedback`) records what a reviewer says a passage does for a
claim: `supports`, `contradicts` or `neither`, with an optional note. The store is one SQLite file
(`FEEDBACK_DB`, default `var/feedback.sqlite3`), outside the index directory, so it survives
restarts, hot reloads and full rebuilds; each record keeps the passage's text, its previous
sentence and the snapshot it was judged on, so it stays usable after the passage is gone from
the index. The schema is versioned (`PRAGMA user_version`, `SCHEMA_VERSION`): a file written by a
newer claimwire is refused, never altered. Every call opens its own connection (WAL journal,
busy timeout), so gunicorn workers and threads write to it safely.

    python -m service.feedback export OUT.jsonl [--db PATH]

writes the judgements in the NLI line format of `stance.data.read_pairs` (`premise` = the
previous sentence and the passage, as the service reads it; `hypothesis` = the claim;
supports/contradicts/neither -> entailment/contradiction/neutral), the latest judgement per
(claim, passage). `make eval-stance` scores the stance model on that file when it exists.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import sqlite3
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from stance.context import build_premise

SCHEMA_VERSION = 1
LABELS = ("supports", "contradicts", "neither")
NLI_LABELS = {"supports": "entailment", "contradicts": "contradiction", "neither": "neutral"}
#: Where `make eval-stance` looks for the exported file.
DEFAULT_EXPORT = "var/feedback.jsonl"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    claim TEXT NOT NULL,
    passage_id TEXT NOT NULL,
    document_id TEXT NOT NULL,
    sentence_index INTEGER NOT NULL,
    passage TEXT NOT NULL,
    context_before TEXT,
    outlet TEXT,
    label TEXT NOT NULL CHECK (label IN ('supports', 'contradicts', 'neither')),
    note TEXT,
    reviewer TEXT,
    snapshot TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS feedback_claim_passage ON feedback (claim, passage_id);
"""


class FeedbackStoreError(RuntimeError):
    """The feedback database cannot be used (a newer schema, or not a database)."""


@dataclass(frozen=True)
class Judgement:
    """What a reviewer says about one passage for one claim, with the passage as it was judged."""

    claim: str
    passage_id: str
    document_id: str
    sentence_index: int
    passage: str
    context_before: str | None
    outlet: str | None
    label: str
    note: str | None
    reviewer: str | None
    snapshot: str


@dataclass(frozen=True)
class Record(Judgement):
    """A stored judgement."""

    id: int = 0
    created_at: str = ""

    def nli_line(self) -> dict[str, Any]:
        """The judgement as an NLI pair (`stance.data.read_pairs` reads it), with where it came from."""
        return {
            "premise": build_premise(self.passage, before=self.context_before),
            "hypothesis": self.claim,
            "label": NLI_LABELS[self.label],
            "source": "feedback",
            "passage_id": self.passage_id,
            "document_id": self.document_id,
            "snapshot": self.snapshot,
            "reviewer": self.reviewer,
            "note": self.note,
            "created_at": self.created_at,
        }


class FeedbackStore:
    """One SQLite file of judgements (see the module docstring)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._ensure_schema()

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        connection = sqlite3.connect(self.path, timeout=10.0)
        try:
            connection.row_factory = sqlite3.Row
            connection.execute("PRAGMA busy_timeout = 10000")
            with connection:  # one transaction, committed on success
                yield connection
        finally:
            connection.close()

    def _ensure_schema(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with self._connect() as db:
                version = int(db.execute("PRAGMA user_version").fetchone()[0])
                if version > SCHEMA_VERSION:
                    raise FeedbackStoreError(
                        f"{self.path} has feedback schema version {version}; this claimwire reads version "
                        f"{SCHEMA_VERSION} (upgrade claimwire, or point FEEDBACK_DB elsewhere)"
                    )
                if version < SCHEMA_VERSION:
                    db.executescript(_SCHEMA)
                    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            with contextlib.closing(sqlite3.connect(self.path, timeout=10.0)) as db:
                db.execute("PRAGMA journal_mode = WAL")  # readers never block the writer
        except sqlite3.DatabaseError as exc:
            raise FeedbackStoreError(f"{self.path} is not a usable feedback database: {exc}") from exc

    @property
    def schema_version(self) -> int:
        with self._connect() as db:
            return int(db.execute("PRAGMA user_version").fetchone()[0])

    def add(self, judgement: Judgement) -> Record:
        if judgement.label not in LABELS:
            raise ValueError(f"label must be one of {LABELS}, not {judgement.label!r}")
        created = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        values = asdict(judgement)
        with self._connect() as db:
            cursor = db.execute(
                "INSERT INTO feedback (created_at, claim, passage_id, document_id, sentence_index, passage, "
                "context_before, outlet, label, note, reviewer, snapshot) VALUES "
                "(:created_at, :claim, :passage_id, :document_id, :sentence_index, :passage, "
                ":context_before, :outlet, :label, :note, :reviewer, :snapshot)",
                {**values, "created_at": created},
            )
            row_id = int(cursor.lastrowid or 0)
        return Record(**values, id=row_id, created_at=created)

    def records(self) -> list[Record]:
        """Every judgement, oldest first."""
        with self._connect() as db:
            rows = db.execute("SELECT * FROM feedback ORDER BY id").fetchall()
        return [Record(**{k: row[k] for k in row.keys()}) for row in rows]  # noqa: SIM118 (sqlite3.Row)

    def latest(self) -> list[Record]:
        """The latest judgement per (claim, passage), in the order they were first judged."""
        latest: dict[tuple[str, str], Record] = {}
        for record in self.records():
            key = (record.claim, record.passage_id)
            latest.pop(key, None)
            latest[key] = record
        return sorted(latest.values(), key=lambda r: r.id)

    def export(self, out: Path) -> int:
        """Write `latest()` as NLI lines to `out` (atomically); the number of lines."""
        lines = [json.dumps(r.nli_line(), ensure_ascii=False) for r in self.latest()]
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(f".{out.name}.tmp")
        tmp.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        tmp.replace(out)
        return len(lines)


def configured_db() -> Path:
    """`FEEDBACK_DB` as the service reads it: `CLAIMWIRE_FEEDBACK_DB`, else the default."""
    from flask import Config

    from .config import DefaultConfig

    config = Config(os.getcwd())
    config.from_object(DefaultConfig)
    config.from_prefixed_env("CLAIMWIRE")
    return Path(str(config["FEEDBACK_DB"]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m service.feedback", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    export = sub.add_parser("export", help="write the judgements as NLI pairs (JSON Lines)")
    export.add_argument("out", type=Path, help=f"e.g. {DEFAULT_EXPORT} (what `make eval-stance` scores)")
    export.add_argument(
        "--db", type=Path, default=None, help="default: CLAIMWIRE_FEEDBACK_DB or var/feedback.sqlite3"
    )
    args = parser.parse_args(argv)
    db = args.db or configured_db()
    if not db.is_file():
        print(f"error: no feedback database at {db} (nothing was recorded yet, or set --db)", file=sys.stderr)
        return 2
    try:
        n = FeedbackStore(db).export(args.out)
    except FeedbackStoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"exported {n} judgement{'s' if n != 1 else ''} from {db} to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
