"""Security defaults: CORS (off unless `CORS_ORIGINS` is set) and the admin bearer-token check.

CORS: `CORS_ORIGINS` (`CLAIMWIRE_CORS_ORIGINS`) is a comma list of exact origins, or `*`. An
allowed `Origin` gets `Access-Control-Allow-Origin` (and `Vary: Origin`); a preflight `OPTIONS`
also gets the allowed methods and headers. Unset or empty: no CORS header at all, so browsers on
other origins cannot read responses.

Admin: state-changing endpoints need `Authorization: Bearer <ADMIN_TOKEN>`
(`CLAIMWIRE_ADMIN_TOKEN`), compared in constant time. Without the header or with a wrong token:
401 with `WWW-Authenticate: Bearer`. With no token configured the endpoints are disabled: 403.
"""

from __future__ import annotations

import hmac

from flask import Flask, Response, current_app, request
from flask_smorest import abort

CORS_METHODS = "GET, POST, OPTIONS"
CORS_HEADERS = "Authorization, Content-Type, X-Request-ID"
CORS_MAX_AGE = "600"


def allowed_origins(value: object) -> frozenset[str]:
    """`CORS_ORIGINS` as a set: a comma string, or a list (from JSON or test config)."""
    if value is None:
        return frozenset()
    items = value.split(",") if isinstance(value, str) else [str(v) for v in value]  # type: ignore[attr-defined]
    return frozenset(item.strip().rstrip("/") for item in items if item.strip())


def install_cors(app: Flask) -> None:
    """Add CORS headers to responses for allowed origins; a no-op when none are configured."""
    origins = allowed_origins(app.config.get("CORS_ORIGINS"))
    if not origins:
        return

    @app.after_request
    def cors(response: Response) -> Response:
        origin = request.headers.get("Origin")
        if origin is None:
            return response
        response.vary.add("Origin")
        if "*" not in origins and origin.rstrip("/") not in origins:
            return response
        response.headers["Access-Control-Allow-Origin"] = "*" if "*" in origins else origin
        response.headers["Access-Control-Expose-Headers"] = "X-Request-ID"
        if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
            response.headers["Access-Control-Allow-Methods"] = CORS_METHODS
            response.headers["Access-Control-Allow-Headers"] = CORS_HEADERS
            response.headers["Access-Control-Max-Age"] = CORS_MAX_AGE
        return response


def require_admin_token() -> None:
    """Abort unless the request carries the configured admin bearer token (see module docstring)."""
    configured = current_app.config.get("ADMIN_TOKEN")
    if configured is None or str(configured) == "":
        abort(403, message="Admin endpoints are disabled: no CLAIMWIRE_ADMIN_TOKEN is configured.")
    challenge = {"WWW-Authenticate": 'Bearer realm="claimwire"'}
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        abort(401, message="Send `Authorization: Bearer <admin token>`.", headers=challenge)
    if not hmac.compare_digest(token.strip().encode(), str(configured).encode()):
        abort(401, message="The admin token is wrong.", headers=challenge)
