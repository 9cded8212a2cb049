"""claimwire's passage index: news articles -> sentence passages -> vectors + BM25 -> snapshot.

Build with `build_index` (or `python -m index build`), load the published snapshot with
`Snapshot.load(current_snapshot_path(root), load_embedder())` and query with
`Snapshot.search`. Errors: `SnapshotError` (cannot publish/load a snapshot), `CorpusError`
(the corpus as a whole is unusable); single malformed inputs are reported in the
`BuildReport`, not raised. Nothing is loaded at import time.
"""

from __future__ import annotations

from index.config import IndexConfig
from index.embedding import DEFAULT_EMBEDDING_MODEL, Embedder, load_embedder
from index.errors import CorpusError, SnapshotError
from index.schema import InputIssue, Passage, SearchFilters, SearchHit
from index.store import BuildReport, Snapshot, SnapshotManifest, build_index, current_snapshot_path

__all__ = [
    "DEFAULT_EMBEDDING_MODEL",
    "BuildReport",
    "CorpusError",
    "Embedder",
    "IndexConfig",
    "InputIssue",
    "Passage",
    "SearchFilters",
    "SearchHit",
    "Snapshot",
    "SnapshotError",
    "SnapshotManifest",
    "build_index",
    "current_snapshot_path",
    "load_embedder",
]
