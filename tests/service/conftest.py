"""Fixtures for the service tests: wiring apps built on fakes, and a session app on the real models."""

from __future__ import annotations

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
def real_models(embedder: Any, stance_model: Any) -> tuple[Any, Any]:
    """The root conftest's real embedder and stance model, as one pair."""
    return embedder, stance_model
