"""`POST /verify` and `POST /verify/batch`: the pipeline behind HTTP."""

# flask-smorest ships no type hints, so its decorators are untyped; the views themselves are typed.
# mypy: disable-error-code="untyped-decorator"

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from ..pipeline import Query, Verification, verify
from ..schemas import BatchRequestSchema, BatchResponseSchema, VerifyRequestSchema, VerifyResponseSchema
from . import loaded_or_503, state

blp = Blueprint("verify", __name__, description="Verify claims against the index.")

QUERY_FIELDS = ("claim", "top_k", "outlets", "date_from", "date_to")


def query_from(args: dict[str, Any]) -> Query:
    return Query(**{k: args[k] for k in QUERY_FIELDS if k in args})


def as_body(result: Verification) -> dict[str, Any]:
    """The response body; the schema picks the fields it documents."""
    return {
        "claim": result.claim,
        "verdict": result.verdict,
        "confidence": result.confidence,
        "supporting": result.supporting,
        "contradicting": result.contradicting,
        "outlets": result.outlets,
        "index": result.index,
        "models": result.models,
    }


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
        loaded = loaded_or_503()
        result = verify(
            query_from(args),
            loaded.snapshot,
            loaded.stance,
            state().thresholds,
            embedding_model=loaded.embedder.name,
        )
        return as_body(result)


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
        results = []
        for position, item in enumerate(args["claims"]):
            result = verify(
                query_from(item),
                loaded.snapshot,
                loaded.stance,
                thresholds,
                embedding_model=loaded.embedder.name,
            )
            results.append({"id": item.get("id", str(position)), **as_body(result)})
        return {"results": results}
