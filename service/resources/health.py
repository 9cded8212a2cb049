"""`GET /health` (the process is alive) and `GET /ready` (it can answer `/verify`)."""

# flask-smorest ships no type hints, so its decorators are untyped; the views themselves are typed.
# mypy: disable-error-code="untyped-decorator"

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from ..schemas import HealthSchema, ReadySchema
from . import loaded_or_503

blp = Blueprint("health", __name__, description="Liveness and readiness probes.")


@blp.route("/health")
class Health(MethodView):
    @blp.response(200, HealthSchema)
    def get(self) -> dict[str, Any]:
        """Liveness: 200 while the process serves requests, loaded or not."""
        return {"status": "ok"}


@blp.route("/ready")
class Ready(MethodView):
    @blp.response(200, ReadySchema)
    @blp.alt_response(503, response="SERVICE_UNAVAILABLE")
    def get(self) -> dict[str, Any]:
        """Readiness: 200 once a snapshot and the models are loaded, 503 problem+json until then."""
        return {"status": "ready", "snapshot": loaded_or_503().snapshot.id}
