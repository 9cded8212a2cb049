"""`POST /verify` and `POST /verify/batch`: the pipeline behind HTTP."""

# flask-smorest ships no type hints, so its decorators are untyped; the views themselves are typed.
# mypy: disable-error-code="untyped-decorator"

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from ..pipeline import Query
from ..schemas import BatchRequestSchema, BatchResponseSchema, VerifyRequestSchema, VerifyResponseSchema
from . import loaded_or_503, state

blp = Blueprint("verify", __name__, description="Verify claims against the index.")


@blp.route("/verify")
class Verify(MethodView):
    @blp.arguments(VerifyRequestSchema)
    @blp.response(200, VerifyResponseSchema)
    @blp.alt_response(400, response="BAD_REQUEST")
    @blp.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")
    @blp.alt_response(415, response="UNSUPPORTED_MEDIA_TYPE")
    @blp.alt_response(503, response="SERVICE_UNAVAILABLE")
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Supporting and contradicting passages for a claim, with a verdict."""
        return loaded_or_503().verify(Query.from_options(args), state().thresholds).as_dict()


@blp.route("/verify/batch")
class VerifyBatch(MethodView):
    @blp.arguments(BatchRequestSchema)
    @blp.response(200, BatchResponseSchema)
    @blp.alt_response(400, response="BAD_REQUEST")
    @blp.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")
    @blp.alt_response(415, response="UNSUPPORTED_MEDIA_TYPE")
    @blp.alt_response(503, response="SERVICE_UNAVAILABLE")
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Several claims in one call (at most BATCH_LIMIT), answered in order with their ids."""
        loaded = loaded_or_503()  # one snapshot for the whole batch
        thresholds = state().thresholds
        results = [
            {
                "id": item.get("id", str(position)),
                **loaded.verify(Query.from_options(item), thresholds).as_dict(),
            }
            for position, item in enumerate(args["claims"])
        ]
        return {"results": results}
