"""Shared fixtures: the real embedder and the sample corpus index, each built once per session."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from index import Embedder, Snapshot, build_index, load_embedder

REPO = Path(__file__).resolve().parents[1]
SAMPLE_CORPUS = REPO / "data" / "sample"


class HashEmbedder:
    """A deterministic bag-of-words embedder for tests that need vectors but not meaning."""

    def __init__(self, name: str = "test-hash-embedder", dimension: int = 32) -> None:
        self.name = name
        self.dimension = dimension

    def encode(self, texts: Sequence[str], *, progress: bool = False) -> npt.NDArray[np.float32]:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                bucket = int.from_bytes(hashlib.sha256(word.encode()).digest()[:4], "little")
                out[row, bucket % self.dimension] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return (out / norms).astype(np.float32)


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The real all-MiniLM-L6-v2 embedder (bundled package copy), loaded once."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the model is on disk; never reach the hub
    return load_embedder()


@pytest.fixture
def hash_embedder() -> Embedder:
    return HashEmbedder()


@pytest.fixture(scope="session")
def sample_index(embedder: Embedder, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Index root holding the bundled sample corpus, built once with the real embedder."""
    root = tmp_path_factory.mktemp("sample-index")
    build_index(SAMPLE_CORPUS, root, embedder, progress=False)
    return root


@pytest.fixture(scope="session")
def sample_snapshot(sample_index: Path, embedder: Embedder) -> Snapshot:
    return Snapshot.load(sample_index, embedder)
