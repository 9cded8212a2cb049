"""claimwire's passage index: news articles -> sentence passages -> vectors + BM25 -> snapshot.

Build with `build_index` (or `python -m index build`), load the published snapshot with
`Snapshot.load(current_snapshot_path(root), load_embedder())` and query with
`Snapshot.search`. Change a published index at run time with `add_documents` and
`delete_documents` (`documents_from_records` or `documents_from_corpus` validate the input):
each write publishes a derived snapshot and embeds only the passages it has not stored.

Past one machine (docs/scale.md): `Snapshot.load(..., store=index.store.vector_store("milvus",
uri=...))` searches the dense side in Milvus (`index.milvus`), and
`index.distributed.build_index_ray` builds on Ray; neither Ray nor pymilvus is imported unless one
of those is used.

Errors: `SnapshotError` (cannot publish/load a snapshot), `CorpusError` (the corpus as a whole
is unusable), `UnknownDocumentError` and `LastDocumentError` (a delete that names an unknown id,
or would empty the index); single malformed inputs are reported in the `BuildReport`, not
raised. Nothing is loaded at import time.
"""

from __future__ import annotations

from index.config import IndexConfig
from index.embedding import DEFAULT_EMBEDDING_MODEL, Embedder, load_embedder
from index.errors import CorpusError, SnapshotError
from index.ingest import (
    ArticleProblem,
    Document,
    LastDocumentError,
    UnknownDocumentError,
    WriteReport,
    add_documents,
    delete_documents,
    document_passages,
    documents_from_corpus,
    documents_from_records,
)
from index.schema import InputIssue, Passage, SearchFilters, SearchHit
from index.store import BuildReport, Snapshot, SnapshotManifest, build_index, current_snapshot_path

__all__ = [
    "DEFAULT_EMBEDDING_MODEL",
    "ArticleProblem",
    "BuildReport",
    "CorpusError",
    "Document",
    "Embedder",
    "IndexConfig",
    "InputIssue",
    "LastDocumentError",
    "Passage",
    "SearchFilters",
    "SearchHit",
    "Snapshot",
    "SnapshotError",
    "SnapshotManifest",
    "UnknownDocumentError",
    "WriteReport",
    "add_documents",
    "build_index",
    "current_snapshot_path",
    "delete_documents",
    "document_passages",
    "documents_from_corpus",
    "documents_from_records",
    "load_embedder",
]
