"""The library's front door: exported names, and nothing heavy happening at import."""

from __future__ import annotations

import subprocess
import sys

import index

EXPECTED = [
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


def _isort_key(name: str) -> tuple[int, str]:
    # ruff's RUF022 order: CONSTANTS, then Classes, then functions, each alphabetical.
    kind = 0 if name.isupper() else 1 if name[0].isupper() else 2
    return kind, name


def test_all_is_exactly_the_intended_sorted_names() -> None:
    assert index.__all__ == EXPECTED
    assert index.__all__ == sorted(index.__all__, key=_isort_key)
    for name in EXPECTED:
        assert hasattr(index, name), name


def test_default_model_id() -> None:
    assert index.DEFAULT_EMBEDDING_MODEL == "sentence-transformers/all-MiniLM-L6-v2"


def test_import_loads_no_model_and_no_flask() -> None:
    code = (
        "import sys, index, index.__main__; "
        "heavy = [m for m in ('flask', 'torch', 'sentence_transformers', 'faiss') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
