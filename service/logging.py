"""Request logging: one JSON line per request (id, method, path, status, latency), and the request id.

Every response carries `X-Request-ID`: the client's own when it is sane (1-128 characters from
`[A-Za-z0-9._:/+=-]`), a fresh uuid4 hex otherwise. The access log (logger `claimwire.access`) writes
one JSON object per line to stderr::

    {"time": "...", "level": "info", "logger": "claimwire.access", "event": "request",
     "request_id": "…", "method": "POST", "path": "/verify", "status": 200, "latency_ms": 41.2}

The claim text is left out unless `LOG_CLAIMS` is true (`CLAIMWIRE_LOG_CLAIMS=true`): claims can
be unpublished reporting.

An app in testing mode (`TESTING`: the test suite, `python -m bench`) still logs every request to
`claimwire.access`, but its stderr handler drops them, so they do not interleave with results on
the console. FAISS's loader reports each library it fails to try at INFO; that logger is kept at
WARNING.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from typing import Any

from flask import Flask, Response, g, request

ACCESS_LOGGER = "claimwire.access"
REQUEST_ID_HEADER = "X-Request-ID"
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:/+=-]{1,128}")


class JsonLineFormatter(logging.Formatter):
    """A record as one JSON object: time, level, logger, then the record's `fields`."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
        }
        entry.update(getattr(record, "fields", None) or {"message": record.getMessage()})
        return json.dumps(entry, ensure_ascii=False, default=str)


QUIET_LOGGERS = ("faiss.loader",)  # "Could not load library with AVX512 support ..." at INFO


class _NotQuiet(logging.Filter):
    """Drops the records of apps in testing mode (see the module docstring)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not getattr(record, "claimwire_quiet", False)


def quiet_noisy_loggers() -> None:
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def access_logger() -> logging.Logger:
    """`claimwire.access`, given a JSON-lines stderr handler the first time (not at import)."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(getattr(h, "claimwire_access", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonLineFormatter())
        handler.addFilter(_NotQuiet())
        handler.claimwire_access = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False  # already a JSON line; the root handler would wrap it again
    return logger


def request_id_from(header: str | None) -> str:
    """The client's request id when it is sane, else a new one."""
    if header is not None and SANE_REQUEST_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


def claims_of(body: Any) -> list[str] | None:
    """The claim texts of a /verify or /verify/batch body (for LOG_CLAIMS only)."""
    if not isinstance(body, dict):
        return None
    if isinstance(body.get("claim"), str):
        return [body["claim"]]
    items = body.get("claims")
    if isinstance(items, list):
        found = [i if isinstance(i, str) else i.get("claim") for i in items if isinstance(i, str | dict)]
        return [c for c in found if isinstance(c, str)]
    return None


def enabled(value: Any) -> bool:
    """A config flag that may arrive from the environment as a string ("false", "0", "no")."""
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


def install_request_logging(app: Flask) -> None:
    """Register the request-id and access-log hooks on `app` (first, so they time everything)."""
    logger = access_logger()
    quiet_noisy_loggers()

    @app.before_request
    def start() -> None:
        g.claimwire_started = time.perf_counter()
        g.request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))

    @app.after_request
    def finish(response: Response) -> Response:
        request_id = g.get("request_id") or request_id_from(None)
        response.headers[REQUEST_ID_HEADER] = request_id
        started = g.get("claimwire_started")
        fields: dict[str, Any] = {
            "event": "request",
            "request_id": request_id,
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "latency_ms": round((time.perf_counter() - started) * 1000, 2) if started else None,
        }
        if enabled(app.config.get("LOG_CLAIMS")) and request.is_json:
            try:
                fields["claims"] = claims_of(request.get_json(silent=True))
            except Exception:  # a body over the size limit: nothing to log
                fields["claims"] = None
        extra = {"fields": fields, "claimwire_quiet": app.testing}
        logger.info("%s %s %s", request.method, request.path, response.status_code, extra=extra)
        return response
