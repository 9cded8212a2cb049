"""Errors: every error response is `application/problem+json` (RFC 9457), from one handler.

Body: `type` (a URI naming the problem; `about:blank` for plain HTTP errors), `title`, `status`,
`detail`, and for validation errors `errors`, a map from field path (`claim`, `claims.3.top_k`)
to messages. Views raise `ApiError` (or call `flask_smorest.abort`); request validation by
flask-smorest/webargs arrives as an HTTP 422 with the marshmallow messages, which are flattened.
"""

from __future__ import annotations

import http
import logging
from collections.abc import Mapping
from typing import Any

from flask import Response, json
from werkzeug.exceptions import HTTPException, InternalServerError

PROBLEM_JSON = "application/problem+json"
VALIDATION = "urn:claimwire:problem:validation"
NOT_READY = "urn:claimwire:problem:not-ready"

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An error a view reports as problem+json."""

    def __init__(
        self, status: int, detail: str, *, type_: str = "about:blank", title: str | None = None
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.type = type_
        self.title = title or http.HTTPStatus(status).phrase


def flatten(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """Marshmallow's nested messages as a flat `{"a.0.b": [messages]}` map."""
    if isinstance(messages, Mapping):
        out: dict[str, list[str]] = {}
        for key, value in messages.items():
            out.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(messages, list | tuple) and all(isinstance(m, str) for m in messages):
        return {prefix or "_schema": list(messages)}
    if isinstance(messages, list | tuple):
        return flatten(dict(enumerate(messages)), prefix)
    return {prefix or "_schema": [str(messages)]}


def problem(
    status: int,
    detail: str,
    *,
    type_: str = "about:blank",
    title: str | None = None,
    errors: dict[str, list[str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """A problem+json response."""
    body: dict[str, Any] = {
        "type": type_,
        "title": title or http.HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def handle_http_exception(error: HTTPException) -> Response:
    """Werkzeug/flask-smorest HTTP errors, request validation (422) included."""
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    messages = data.get("errors", data.get("messages"))
    # Keep what the exception carries (Allow on 405, Retry-After), not its HTML content type.
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    headers.update(data.get("headers") or {})
    if messages is not None:
        # webargs nests messages under the request location ("json"); clients care about fields.
        if isinstance(messages, Mapping) and set(messages) <= {"json", "query", "form", "headers"}:
            messages = {k: v for loc in messages.values() for k, v in flatten(loc).items()}
        errors = flatten(messages)
        return problem(
            status,
            "The request body is not valid; see `errors` for each field.",
            type_=VALIDATION,
            title="Invalid request",
            errors=errors,
            headers=headers,
        )
    detail = data.get("message") or error.description or http.HTTPStatus(status).phrase
    return problem(status, str(detail), headers=headers)


def handle_api_error(error: ApiError) -> Response:
    return problem(error.status, error.detail, type_=error.type, title=error.title)


def handle_unexpected(error: Exception) -> Response:
    """Anything unhandled: logged with its traceback, answered 500 without internals."""
    log.exception("unhandled error", exc_info=error)
    return problem(500, InternalServerError.description)
