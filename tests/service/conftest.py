"""Fixtures for the service tests: wiring apps built on fakes, and a session app on the real models."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from service import create_app

# Test modules here import the fakes and `fake_config` by module name (pytest runs with
# --import-mode=importlib, which does not put test directories on sys.path).
sys.path.insert(0, str(Path(__file__).resolve().parent))

from service_fakes import fake_config, publish

REPO = Path(__file__).resolve().parents[2]
SAMPLE_CORPUS = REPO / "data" / "sample"
STANCE_DIR = REPO / "models" / "stance-minilm-l6-nli"


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    root = tmp_path / "index"
    root.mkdir()
    return root


@pytest.fixture
def app(index_dir: Path) -> Iterator[Flask]:
    """A wiring app: fake models, one fake snapshot `snap-1`, no watcher thread."""
    publish(index_dir, "snap-1")
    app = create_app(fake_config(index_dir))
    yield app
    app.extensions["claimwire"].runtime.stop()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


# --- real models, loaded once per session ---------------------------------------------------


@pytest.fixture(scope="session")
def real_models() -> tuple[Any, Any]:
    if not (STANCE_DIR / "config.json").is_file():
        pytest.skip(f"the shipped stance model is not in {STANCE_DIR} yet")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # no network here; the models are on disk
    import torch

    from index import load_embedder
    from stance.model import CrossEncoderStance

    # One intra-op thread: the sample corpus is tiny, and on a shared 2-core machine extra torch
    # threads spin against each other (a 2 s request took minutes with the default).
    torch.set_num_threads(1)

    return load_embedder(), CrossEncoderStance(STANCE_DIR)


@pytest.fixture(scope="session")
def sample_index(real_models: tuple[Any, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled sample corpus, indexed once per session with the real embedder."""
    from index import build_index

    root = tmp_path_factory.mktemp("sample-index")
    build_index(SAMPLE_CORPUS, root, real_models[0], progress=False)
    return root


@pytest.fixture(scope="session")
def real_app(real_models: tuple[Any, Any], sample_index: Path) -> Iterator[Flask]:
    embedder, stance = real_models
    app = create_app(
        {
            "TESTING": True,
            "INDEX_DIR": str(sample_index),
            "EMBEDDER": embedder,
            "STANCE": stance,
            "RELOAD_THREAD": False,
        }
    )
    yield app
    app.extensions["claimwire"].runtime.stop()


@pytest.fixture(scope="session")
def real_client(real_app: Flask) -> FlaskClient:
    return real_app.test_client()
