"""Test doubles for the service's seams: embedder, stance model, snapshots on disk."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from index import Passage, SearchFilters, SearchHit, SnapshotError
from stance.model import NLIScores

# Markers in a fake passage's text decide what the fake stance model says about it.
ENTAILS = "[E]"
CONTRADICTS = "[C]"


class FakeEmbedder:
    name = "fake-embedder"
    dimension = 4

    def encode(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        return np.zeros((len(texts), self.dimension), dtype=np.float32)


class FakeStance:
    """Entailment 0.9 for `[E]` passages, contradiction 0.9 for `[C]`, neutral otherwise."""

    name = "fake-stance"

    def __init__(self) -> None:
        self.calls: list[list[tuple[str, str]]] = []

    def predict(self, pairs: Sequence[tuple[str, str]]) -> list[NLIScores]:
        self.calls.append(list(pairs))
        out = []
        for premise, hypothesis in pairs:
            if ENTAILS in premise:
                out.append(NLIScores(0.9, 0.05, 0.05))
            elif CONTRADICTS in premise or CONTRADICTS in hypothesis:  # contradiction is symmetric
                out.append(NLIScores(0.05, 0.05, 0.9))
            else:
                out.append(NLIScores(0.1, 0.8, 0.1))
        return out


@dataclass(frozen=True)
class FakeManifest:
    snapshot_id: str
    passages: int
    documents: int
    outlets: list[str]
    built_at: str = "2024-11-30T00:00:00Z"
    index_type: str = "flat"
    corpus_checksum: str = "sha256:fake"


def passage(
    n: int, text: str, *, outlet: str | None = "Outlet A", date: str | None = "2024-11-28"
) -> Passage:
    return Passage(
        passage_id=f"doc{n}:0",
        document_id=f"doc{n}",
        sentence_index=0,
        text=text,
        outlet=outlet,
        date=date,
        title=None,
        url=None,
        context_before=None,
        context_after=None,
    )


class FakeSnapshot:
    """Hits are the stored passages in order, with their stored similarity; filters applied."""

    def __init__(self, snapshot_id: str, rows: list[tuple[Passage, float]], delay: float = 0.0) -> None:
        self.rows = rows
        self.delay = delay
        self.manifest = FakeManifest(
            snapshot_id,
            len(rows),
            len({p.document_id for p, _ in rows}),
            sorted({p.outlet for p, _ in rows if p.outlet}),
        )
        self.searches: list[tuple[str, int, SearchFilters | None]] = []

    @property
    def id(self) -> str:
        return self.manifest.snapshot_id

    def __len__(self) -> int:
        return len(self.rows)

    def search(self, query: str, k: int, filters: SearchFilters | None = None) -> list[SearchHit]:
        self.searches.append((query, k, filters))
        if self.delay:
            time.sleep(self.delay)
        hits = []
        for p, sim in self.rows:
            if filters is not None and filters.outlets and p.outlet not in filters.outlets:
                continue
            hits.append(SearchHit(passage=p, similarity=sim, score=sim, dense_rank=None, lexical_rank=None))
        return hits[:k]


def publish(
    root: Path, snapshot_id: str, rows: list[tuple[Passage, float]] | None = None, *, broken: bool = False
) -> Path:
    """Write a fake snapshot directory and point `root/current` at it atomically."""
    rows = rows if rows is not None else default_rows()
    directory = root / "snapshots" / snapshot_id
    directory.mkdir(parents=True)
    payload: dict[str, Any] = {"broken": broken, "rows": [[p.__dict__, sim] for p, sim in rows]}
    (directory / "manifest.json").write_text(json.dumps(payload))
    tmp = root / f".current-{snapshot_id}"
    tmp.symlink_to(Path("snapshots") / snapshot_id)
    os.replace(tmp, root / "current")
    return directory


class FakeSnapshotLoader:
    """`(path, embedder) -> FakeSnapshot` from a directory written by `publish`."""

    def __init__(self, delay: float = 0.0, search_delay: float = 0.0) -> None:
        self.delay = delay
        self.search_delay = search_delay
        self.loads = 0
        self.lock = threading.Lock()

    def __call__(self, path: Path, embedder: Any) -> FakeSnapshot:
        with self.lock:
            self.loads += 1
        if self.delay:
            time.sleep(self.delay)
        payload = json.loads((path / "manifest.json").read_text())
        if payload["broken"]:
            raise SnapshotError(f"{path}: broken on purpose")
        rows = [(Passage(**p), sim) for p, sim in payload["rows"]]
        return FakeSnapshot(path.name, rows, delay=self.search_delay)


def default_rows() -> list[tuple[Passage, float]]:
    """A small corpus: two supporting, one contradicting, one neutral, one unrelated passage."""
    return [
        (passage(1, "[E] Ukraine asked for propellant charges.", outlet="Outlet A"), 0.8),
        (passage(2, "[E] Kyiv requested 155mm charges, officials said.", outlet=None), 0.7),
        (passage(3, "[C] The minister received no such request.", outlet="Outlet B"), 0.6),
        (passage(4, "The delegation met the president.", outlet="Outlet C"), 0.5),
        (passage(5, "[C] Shares fell on Tuesday.", outlet="Outlet D"), 0.1),
    ]


def fake_config(index_dir: Path, **overrides: Any) -> dict[str, Any]:
    return {
        "TESTING": True,
        "INDEX_DIR": str(index_dir),
        "EMBEDDER": FakeEmbedder(),
        "STANCE": FakeStance(),
        # a name with no rule.json beside it: the wiring tests run on `Thresholds()`' defaults,
        # not on the rule fitted for the shipped model
        "STANCE_MODEL": "fake-stance",
        "SNAPSHOT_LOADER": FakeSnapshotLoader(),
        "RELOAD_THREAD": False,
        "RELOAD_INTERVAL": 0.05,
        **overrides,
    }
