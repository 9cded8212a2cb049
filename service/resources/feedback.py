"""`POST /feedback`: a reviewer's judgement of one passage for one claim (bearer token required).

The token is `FEEDBACK_TOKEN`, or `ADMIN_TOKEN` when that is not set (403 when neither is); it is
checked before the body is read. The passage must be in the served snapshot (else 422, like any
invalid field); the judgement is stored with the passage's text in `service.feedback`'s SQLite
file, which lives outside the index and survives restarts and rebuilds.
"""

# flask-smorest ships no type hints, so its decorators are untyped; the views themselves are typed.
# mypy: disable-error-code="untyped-decorator"

from __future__ import annotations

import hmac
import threading
from typing import Any, NoReturn, Protocol, runtime_checkable

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint, abort

from index import Passage

from ..errors import ApiError
from ..feedback import FeedbackStore, Judgement
from ..schemas import FeedbackRecordSchema, FeedbackRequestSchema
from ..security import require_admin_token
from . import loaded_or_503

EXTENSION = "claimwire.feedback"
_opening = threading.Lock()

blp = Blueprint(
    "feedback",
    __name__,
    description="Reviewer feedback on passages; needs `Authorization: Bearer <CLAIMWIRE_FEEDBACK_TOKEN>` "
    "(or the admin token when no feedback token is set; disabled, 403, when neither is configured).",
)


@runtime_checkable
class PassageLookup(Protocol):
    """A snapshot that finds a passage by id (`index.Snapshot.get`)."""

    def get(self, passage_id: str) -> Passage | None: ...


def require_feedback_token() -> None:
    """Abort unless the request carries the reviewers' bearer token (FEEDBACK_TOKEN, else ADMIN_TOKEN)."""
    configured = current_app.config.get("FEEDBACK_TOKEN")
    if configured is None or str(configured) == "":
        require_admin_token()  # the admin token, or 403 when none is configured either
        return
    challenge = {"WWW-Authenticate": 'Bearer realm="claimwire"'}
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        abort(401, message="Send `Authorization: Bearer <feedback token>`.", headers=challenge)
    if not hmac.compare_digest(token.strip().encode(), str(configured).encode()):
        abort(401, message="The feedback token is wrong.", headers=challenge)


@blp.before_request
def feedback_needs_a_token() -> None:
    if request.method == "POST":
        require_feedback_token()


def store() -> FeedbackStore:
    """This app's feedback store, opened (and its schema checked) on first use."""
    with _opening:
        found = current_app.extensions.get(EXTENSION)
        if found is None:
            found = FeedbackStore(str(current_app.config["FEEDBACK_DB"]))
            current_app.extensions[EXTENSION] = found
    return found


def served_passage(passage_id: str) -> tuple[Passage | None, str]:
    """The passage with this id in the served snapshot (None: not there), and the snapshot id."""
    snapshot = loaded_or_503().snapshot
    if not isinstance(snapshot, PassageLookup):
        raise ApiError(503, "The served snapshot cannot look passages up by id.")
    return snapshot.get(passage_id), snapshot.id


def unknown_passage(passage_id: str, snapshot_id: str) -> NoReturn:
    """A 422 problem naming the field, as for any invalid field."""
    message = f"No passage {passage_id!r} in the served snapshot {snapshot_id}"
    message += " (take passage_id from a /verify answer)."
    abort(422, errors={"passage_id": [message]})
    raise AssertionError("abort raises")


@blp.route("/feedback")
class Feedback(MethodView):
    @blp.arguments(FeedbackRequestSchema)
    @blp.response(201, FeedbackRecordSchema)
    @blp.alt_response(400, response="BAD_REQUEST")
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")
    @blp.alt_response(415, response="UNSUPPORTED_MEDIA_TYPE")
    @blp.alt_response(503, response="SERVICE_UNAVAILABLE")
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Record a reviewer's judgement of one passage for one claim.

        `label` is what the passage does for the claim: `supports`, `contradicts` or `neither`.
        The passage must be in the served snapshot (422 otherwise). Judgements are kept across
        restarts and index rebuilds; `python -m service.feedback export OUT.jsonl` writes them
        as NLI pairs for `make eval-stance`.
        """
        passage, snapshot_id = served_passage(args["passage_id"])
        if passage is None:
            unknown_passage(args["passage_id"], snapshot_id)
        record = store().add(
            Judgement(
                claim=args["claim"],
                passage_id=passage.passage_id,
                document_id=passage.document_id,
                sentence_index=passage.sentence_index,
                passage=passage.text,
                context_before=passage.context_before,
                outlet=passage.outlet,
                label=args["label"],
                note=args.get("note"),
                reviewer=args.get("reviewer"),
                snapshot=snapshot_id,
            )
        )
        return record.__dict__
