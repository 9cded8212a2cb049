"""Fixtures of the stance tests."""

from __future__ import annotations

import pytest

from stance.model import CrossEncoderStance


@pytest.fixture
def teacher(stance_model: CrossEncoderStance) -> CrossEncoderStance:
    """The shipped model in a teacher's place (labelling pairs for distillation): the session's one
    instance (`tests/conftest.py`), so the weights are loaded once for every module."""
    return stance_model
