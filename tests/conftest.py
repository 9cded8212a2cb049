"""Shared fixtures, each built once per session: real models, the sample index, an app on them."""

from __future__ import annotations

import hashlib
import os
import re
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from flask import Flask
from flask.testing import FlaskClient

from index import Embedder, Snapshot, build_index, load_embedder
from stance.model import SHIPPED_MODEL, CrossEncoderStance

REPO = Path(__file__).resolve().parents[1]
SAMPLE_CORPUS = REPO / "data" / "sample"


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[Any]:
    """One local Ray cluster with 2 CPUs and a 200 MB object store for the whole session,
    stopped at its end (the Ray build and Ray batch tests share it).

    One cluster per session, not per module: a second ``ray.init`` in the same process,
    right after a shutdown, timed out waiting for its raylet on a loaded CI box. A start
    that still fails is retried once, after a clean shutdown."""
    ray = pytest.importorskip("ray", reason="needs claimwire[ray]")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the actors load the bundled and shipped models, offline
    options: dict[str, Any] = {
        "num_cpus": 2,
        "object_store_memory": 200 * 1024 * 1024,
        "include_dashboard": False,
        "log_to_driver": False,
    }
    try:
        ray.init(**options)
    except Exception:  # a raylet that did not come up in time: one clean retry
        ray.shutdown()
        time.sleep(5)
        ray.init(**options)
    try:
        yield ray
    finally:
        ray.shutdown()


def pytest_configure(config: pytest.Config) -> None:
    # Optional engines: deselect with -m "not ray" / -m "not milvus"; skipped when not installed.
    config.addinivalue_line("markers", "ray: runs on a local Ray cluster (2 CPUs), needs claimwire[ray]")
    config.addinivalue_line("markers", "milvus: serves from milvus-lite, needs claimwire[milvus]")


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


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    """An empty index root for a test of its own."""
    root = tmp_path / "index"
    root.mkdir()
    return root


@pytest.fixture(scope="session")
def stance_model() -> CrossEncoderStance:
    """The shipped stance model; the suite fails, never skips, when it is missing."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if not (SHIPPED_MODEL / "config.json").is_file():
        pytest.fail(f"the shipped stance model is missing at {SHIPPED_MODEL}")
    import torch

    # One intra-op thread: the sample corpus is tiny, and test servers share the 2 cores.
    torch.set_num_threads(1)
    return CrossEncoderStance(SHIPPED_MODEL)


@pytest.fixture(scope="session")
def real_app(embedder: Embedder, stance_model: CrossEncoderStance, sample_index: Path) -> Iterator[Flask]:
    """The service on the real models and the sample corpus index."""
    from service import create_app

    app = create_app(
        {
            "TESTING": True,
            "INDEX_DIR": str(sample_index),
            "EMBEDDER": embedder,
            "STANCE": stance_model,
            "RELOAD_THREAD": False,
        }
    )
    yield app
    app.extensions["claimwire"].runtime.stop()


@pytest.fixture(scope="session")
def real_client(real_app: Flask) -> FlaskClient:
    return real_app.test_client()
