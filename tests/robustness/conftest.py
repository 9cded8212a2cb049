"""Fixtures for the robustness tests: an app on fakes, and one on the real models and sample index.

`tests/servers.py` (a real gunicorn on a loopback port) and `tests/service/service_fakes.py` are
imported by module name: pytest runs with --import-mode=importlib, which puts no test directory
on sys.path.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

TESTS = Path(__file__).resolve().parents[1]
for directory in (TESTS, TESTS / "service"):
    if str(directory) not in sys.path:
        sys.path.insert(0, str(directory))

from service_fakes import fake_config, publish  # noqa: E402

from service import create_app  # noqa: E402


@pytest.fixture
def make_app(index_dir: Path) -> Iterator[Any]:
    """`make_app(**config)`: an app on fake models serving fake snapshot `snap-1`."""
    apps: list[Flask] = []
    publish(index_dir, "snap-1")

    def make(**overrides: Any) -> Flask:
        app = create_app(fake_config(index_dir, **overrides))
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["claimwire"].runtime.stop()


@pytest.fixture
def app(make_app: Any) -> Flask:
    made: Flask = make_app()
    return made


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
