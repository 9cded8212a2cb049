"""`POST /verify` and `POST /verify/batch`: the pipeline behind HTTP.

`POST /verify` answers the `/verify` JSON body, or with `Accept: application/ld+json` (preferred
over `application/json`) a schema.org ClaimReview (`service.claimreview`) for the same answer.
"""

# flask-smorest ships no type hints, so its decorators are untyped; the views themselves are typed.
# mypy: disable-error-code="untyped-decorator"

from __future__ import annotations

from typing import Any

from flask import Response, current_app, json, request
from flask.views import MethodView
from flask_smorest import Blueprint

from ..claimreview import JSON_LD, claim_review
from ..pipeline import Query, Verification
from ..schemas import (
    BatchRequestSchema,
    BatchResponseSchema,
    ClaimReviewSchema,
    VerifyRequestSchema,
    VerifyResponseSchema,
)
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
    @blp.doc(
        responses={
            "200": {
                "description": "The answer; with `Accept: application/ld+json`, a schema.org ClaimReview.",
                "content": {
                    "application/json": {"schema": VerifyResponseSchema},
                    JSON_LD: {"schema": ClaimReviewSchema},
                },
            }
        }
    )
    def post(self, args: dict[str, Any]) -> Any:
        """Supporting and contradicting passages for a claim, with a verdict.

        Send `Accept: application/ld+json` for the same answer as a schema.org ClaimReview
        (JSON-LD), ready for fact-check aggregators.
        """
        result = loaded_or_503().verify(Query.from_options(args), state().thresholds)
        if request.accept_mimetypes.best_match(["application/json", JSON_LD]) == JSON_LD:
            return claim_review_response(result)
        return result.as_dict(), 200, {"Vary": "Accept"}


def claim_review_response(result: Verification) -> Response:
    """The ClaimReview JSON-LD response for one answer (`PUBLIC_URL`, else this request's host)."""
    config = current_app.config
    public_url = config.get("PUBLIC_URL") or request.host_url
    body = ClaimReviewSchema().dump(
        claim_review(result, organization=str(config["ORGANIZATION_NAME"]), public_url=str(public_url))
    )
    response = Response(json.dumps(body), status=200, mimetype=JSON_LD)
    response.vary.add("Accept")
    return response


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
