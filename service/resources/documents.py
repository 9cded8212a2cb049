"""`POST /documents`, `GET` and `DELETE /documents/{document_id}`: the index changed at run time.

Writes need `Authorization: Bearer <ADMIN_TOKEN>` (as `/admin/reload`; disabled, 403, when no
token is configured); the token is checked before the body is validated, so a caller without it
learns nothing about the index. Reads are open, like `/verify`, which shows the same passages.

A write publishes a derived snapshot (`index.ingest`: only new passages are embedded, writers are
serialised by the index's build lock) and then waits until this process serves it, so the writer
reads its own write here; other workers pick it up within `RELOAD_INTERVAL` seconds.
"""

# flask-smorest ships no type hints, so its decorators are untyped; the views themselves are typed.
# mypy: disable-error-code="untyped-decorator"

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Any

from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint, abort

from index import (
    LastDocumentError,
    SnapshotError,
    UnknownDocumentError,
    add_documents,
    current_snapshot_path,
    delete_documents,
    document_passages,
    documents_from_records,
)

from ..errors import ApiError
from ..runtime import Runtime
from ..schemas import DocumentsRequestSchema, DocumentsWrittenSchema, StoredDocumentSchema
from ..security import require_admin_token
from . import loaded_or_503, state

log = logging.getLogger(__name__)

#: How long a write waits for this process to serve the snapshot it published.
SERVE_TIMEOUT = 15.0
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

blp = Blueprint(
    "documents",
    __name__,
    description="Add, replace and delete articles at run time. Writes need "
    "`Authorization: Bearer <CLAIMWIRE_ADMIN_TOKEN>` (disabled, 403, when no token is configured).",
)


@blp.before_request
def writes_need_the_admin_token() -> None:
    if request.method in WRITE_METHODS:
        require_admin_token()


def serve_published(runtime: Runtime, timeout: float = SERVE_TIMEOUT) -> None:
    """Block until this process serves what `current` points at (bounded; logged when it is not)."""
    deadline = time.monotonic() + timeout
    while True:
        runtime.refresh()  # returns at once while another refresh runs; then we wait and retry
        try:
            published = current_snapshot_path(runtime.index_dir)
        except SnapshotError:
            return
        loaded = runtime.loaded
        if loaded is not None and loaded.path == published:
            return
        if time.monotonic() > deadline:
            log.warning("published snapshot %s is not served yet after %.0f s", published.name, timeout)
            return
        time.sleep(0.05)


def write_failed(exc: SnapshotError) -> ApiError:
    log.error("index write failed: %s", exc)
    return ApiError(503, f"The index cannot be written now: {exc}")


@blp.route("/documents")
class Documents(MethodView):
    @blp.arguments(DocumentsRequestSchema)
    @blp.response(200, DocumentsWrittenSchema)
    @blp.alt_response(400, response="BAD_REQUEST")
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")
    @blp.alt_response(415, response="UNSUPPORTED_MEDIA_TYPE")
    @blp.alt_response(503, response="SERVICE_UNAVAILABLE")
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Add or replace articles; all or nothing.

        Each article is checked as the corpus loader checks a `.jsonl` line; when any is refused,
        the 422 names every refused article (`documents.3.date`) and nothing is written. A
        document posted again with the same text and metadata is unchanged; with other text it is
        replaced. Only passages whose text the index does not hold are embedded.
        """
        loaded = loaded_or_503()
        documents, problems = documents_from_records(args["documents"])
        if problems:
            errors: dict[str, list[str]] = {}
            for problem in problems:
                key = f"documents.{problem.position}" + (f".{problem.field}" if problem.field else "")
                errors.setdefault(key, []).append(problem.message)
            abort(422, errors=errors)
        runtime = state().runtime
        try:
            report = add_documents(runtime.index_dir, documents, loaded.embedder)
        except SnapshotError as exc:
            raise write_failed(exc) from exc
        if report.published:
            log.info(
                "documents written: snapshot %s, added %d, replaced %d, unchanged %d, embedded %d passages",
                report.snapshot_id,
                len(report.added),
                len(report.replaced),
                len(report.unchanged),
                report.embedded,
            )
            serve_published(runtime)
        return {
            "added": len(report.added),
            "replaced": len(report.replaced),
            "unchanged": len(report.unchanged),
            "snapshot_id": report.snapshot_id,
        }


@blp.route("/documents/<path:document_id>")
class StoredDocument(MethodView):
    @blp.response(200, StoredDocumentSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(503, response="SERVICE_UNAVAILABLE")
    def get(self, document_id: str) -> dict[str, Any]:
        """A document as the served snapshot holds it: metadata and passages in order."""
        loaded = loaded_or_503()
        snapshot = loaded.snapshot
        if hasattr(snapshot, "document"):  # index.Snapshot: built once at load
            passages = list(snapshot.document(document_id))
        else:
            passages = document_passages(getattr(snapshot, "passages", ()), document_id)
        if not passages:
            raise ApiError(404, f"No document {document_id!r} in snapshot {loaded.snapshot.id}.")
        first = passages[0]
        return {
            "document_id": document_id,
            "outlet": first.outlet,
            "date": dt.date.fromisoformat(first.date) if first.date else None,
            "title": first.title,
            "url": first.url,
            "passages": [
                {"passage_id": p.passage_id, "sentence_index": p.sentence_index, "text": p.text}
                for p in passages
            ],
            "snapshot": loaded.snapshot.id,
        }

    @blp.response(204)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    @blp.alt_response(503, response="SERVICE_UNAVAILABLE")
    def delete(self, document_id: str) -> Response:
        """Delete a document; 404 when the published snapshot does not hold it.

        409 when it is the index's last document (an index holds at least one).
        """
        loaded_or_503()
        runtime = state().runtime
        try:
            report = delete_documents(runtime.index_dir, [document_id])
        except UnknownDocumentError as exc:
            raise ApiError(404, f"No document {document_id!r} in snapshot {exc.snapshot_id}.") from exc
        except LastDocumentError as exc:
            raise ApiError(409, str(exc)) from exc
        except SnapshotError as exc:
            raise write_failed(exc) from exc
        log.info("document %r deleted: snapshot %s", document_id, report.snapshot_id)
        serve_published(runtime)
        return Response(status=204)  # no body, so no content type either
