"""Body guards: every request body is checked before any view or schema sees it.

Run as a `before_request` hook, in this order, each failure a problem+json with a detail a person
can act on (never a 500):

- 413 when the body is over `MAX_CONTENT_LENGTH` bytes (declared or streamed);
- 415 when a non-empty body is not declared `application/json` (or `+json`);
- 400 when it is not UTF-8, not JSON (`NaN`/`Infinity` included), nested deeper than
  `MAX_JSON_DEPTH`, or holds a string with an unpaired surrogate (`"\\ud800"`), which no model
  or log line can encode;
- 422 (validation, `errors._schema`) when the JSON is not an object.

An empty body passes through: the schema then names the missing fields (422).
"""

from __future__ import annotations

import json
from typing import Any

from flask import Flask, current_app, request
from flask_smorest import abort
from werkzeug.exceptions import RequestEntityTooLarge

from .errors import ApiError

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def too_large(limit: int) -> ApiError:
    return ApiError(413, f"The request body is larger than the limit of {limit} bytes; send less.")


def reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def check_tree(value: Any, max_depth: int) -> None:
    """Walk the parsed body (iteratively): depth limit, and strings that are valid Unicode."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            if depth > max_depth:
                raise ApiError(400, f"The JSON body is nested deeper than {max_depth} levels.")
            children = list(node.items()) if isinstance(node, dict) else [(None, v) for v in node]
            for key, child in children:
                if key is not None:
                    stack.append((key, depth))
                stack.append((child, depth + 1))
        elif isinstance(node, str):
            try:
                node.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise ApiError(
                    400, "The JSON body holds a string with an unpaired surrogate escape (like \\ud800)."
                ) from exc


def check_body() -> None:
    """The `before_request` guard (see the module docstring)."""
    if request.method not in BODY_METHODS:
        return
    limit = int(current_app.config["MAX_CONTENT_LENGTH"])
    if request.content_length is not None and request.content_length > limit:
        raise too_large(limit)
    try:
        data = request.get_data(cache=True)
    except RequestEntityTooLarge as exc:  # a chunked body that turned out too long
        raise too_large(limit) from exc
    if request.content_length is None and len(data) >= limit:
        # werkzeug stops a streamed (chunked) body at the limit without an error: it was cut off.
        raise too_large(limit)
    if not data:
        return
    if not request.is_json:
        given = request.mimetype or "none"
        raise ApiError(415, f"Send the body as JSON with `Content-Type: application/json` (got {given}).")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError(400, f"The request body is not valid UTF-8 (byte {exc.start}).") from exc
    try:
        parsed = json.loads(text, parse_constant=reject_constant)
    except RecursionError as exc:
        limit = current_app.config["MAX_JSON_DEPTH"]
        raise ApiError(400, f"The JSON body is nested deeper than {limit} levels.") from exc
    except ValueError as exc:
        raise ApiError(400, f"The request body is not valid JSON: {exc}.") from exc
    max_depth = int(current_app.config["MAX_JSON_DEPTH"])
    check_tree(parsed, max_depth)
    if not isinstance(parsed, dict):
        abort(422, errors={"_schema": ['The body must be a JSON object, like {"claim": "..."}.']})


def install_guards(app: Flask) -> None:
    app.before_request(check_body)
