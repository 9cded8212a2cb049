"""HTTP resources, one flask-smorest blueprint per module; views stay thin."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from ..errors import NOT_READY, ApiError
from ..pipeline import Thresholds
from ..runtime import Loaded, Runtime

EXTENSION = "claimwire"


@dataclass(frozen=True)
class State:
    """Per-app state, kept in `app.extensions["claimwire"]`."""

    runtime: Runtime
    thresholds: Thresholds


def state() -> State:
    found: State = current_app.extensions[EXTENSION]
    return found


def loaded_or_503() -> Loaded:
    """The runtime's current triple, or a 503 problem while there is none."""
    runtime = state().runtime
    loaded = runtime.loaded
    if loaded is None:
        raise ApiError(503, runtime.problem or "not ready", type_=NOT_READY, title="Not ready")
    return loaded
