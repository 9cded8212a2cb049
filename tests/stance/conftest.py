"""Stance fixtures: the shipped model, loaded once per session."""

from __future__ import annotations

import os

import pytest

from stance.model import SHIPPED_MODEL, CrossEncoderStance


@pytest.fixture(scope="session")
def stance_model() -> CrossEncoderStance:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if not (SHIPPED_MODEL / "config.json").is_file():
        pytest.fail(f"the shipped stance model is missing at {SHIPPED_MODEL}")
    return CrossEncoderStance(SHIPPED_MODEL)
