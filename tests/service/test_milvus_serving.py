"""VECTOR_STORE=milvus serves the sample from milvus-lite with FAISS's answers; the default loads neither."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from index import Embedder
from service import create_app

REPO = Path(__file__).resolve().parents[2]
# The README's examples (Using the API, Evidence), the batch one with its outlet filter, a date range.
REQUESTS: list[dict[str, Any]] = [
    {"claim": "Ukraine requested 155mm propellant charges", "top_k": 3},
    {"claim": "The European Central Bank raised interest rates in November 2024"},
    {"claim": "Ukraine asked South Korea to sell it Cheongung air defense systems", "top_k": 2},
    {"claim": "Ukraine asked South Korea for the Cheongung air defence system", "top_k": 3},
    {"claim": "Ukraine asked for Cheongung", "outlets": ["The Korea Herald"]},
    {"claim": "Ukraine asked for air defence systems", "date_from": "2024-11-28", "date_to": "2024-11-28"},
]


@pytest.fixture(scope="module")
def milvus_app(
    embedder: Embedder,
    real_models: tuple[Any, Any],
    sample_index: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Flask]:
    """The service on the sample index with VECTOR_STORE=milvus, in a milvus-lite database of its own."""
    pytest.importorskip("pymilvus", reason="needs claimwire[milvus] (pymilvus)")
    pytest.importorskip("milvus_lite", reason="needs claimwire[milvus] (milvus-lite)")
    uri = tmp_path_factory.mktemp("milvus") / "milvus.db"
    app = create_app(
        {
            "TESTING": True,
            "INDEX_DIR": str(sample_index),
            "EMBEDDER": embedder,
            "STANCE": real_models[1],
            "RELOAD_THREAD": False,
            "VECTOR_STORE": "milvus",
            "MILVUS_URI": str(uri),
        }
    )
    yield app
    app.extensions["claimwire"].runtime.stop()


def _evidence(body: dict[str, Any]) -> tuple[str, list[str], list[str]]:
    return (
        body["verdict"],
        [e["passage_id"] for e in body["supporting"]],
        [e["passage_id"] for e in body["contradicting"]],
    )


@pytest.mark.milvus
def test_milvus_answers_are_faiss_answers(milvus_app: Flask, real_client: FlaskClient) -> None:
    loaded = milvus_app.extensions["claimwire"].runtime.loaded
    assert loaded is not None and type(loaded.snapshot.vector_index).__name__ == "MilvusIndex"
    milvus = milvus_app.test_client()
    verdicts = []
    for request in REQUESTS:
        faiss_body = real_client.post("/verify", json=request).get_json()
        milvus_body = milvus.post("/verify", json=request).get_json()
        assert _evidence(milvus_body) == _evidence(faiss_body), request
        assert milvus_body == faiss_body  # the whole answer: scores, evidence fields, the snapshot
        verdicts.append(faiss_body["verdict"])
    # the examples mean what the README says they do, whichever store served them
    assert verdicts[0] == "supported" and verdicts[1] == "not_enough_info"
    batch = {"claims": [r["claim"] for r in REQUESTS[:3]]}
    assert (
        milvus.post("/verify/batch", json=batch).get_json()
        == real_client.post("/verify/batch", json=batch).get_json()
    )


def test_an_unknown_vector_store_stops_the_start(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown vector store 'elastic'; choose one of faiss, milvus"):
        create_app(
            {"TESTING": True, "INDEX_DIR": str(tmp_path), "VECTOR_STORE": "elastic", "RELOAD_THREAD": False}
        )


def test_the_default_app_imports_neither_ray_nor_milvus(sample_index: Path) -> None:
    # A process of its own: this session imports both engines in other tests.
    code = (
        "import json, sys; from service import create_app; "
        f"app = create_app({{'INDEX_DIR': {str(sample_index)!r}, 'RELOAD_THREAD': False}}); "
        "loaded = app.extensions['claimwire'].runtime.loaded; "
        "print(json.dumps({'ready': loaded is not None, "
        "'store': type(loaded.snapshot.vector_index).__name__ if loaded else None, "
        "'engines': sorted(m for m in ('ray', 'pymilvus', 'milvus_lite') if m in sys.modules)}))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLAIMWIRE_")}  # the defaults
    env["HF_HUB_OFFLINE"] = "1"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env, cwd=REPO
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report == {"ready": True, "store": "FaissIndex", "engines": []}
