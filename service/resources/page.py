"""`GET /`: the fact-checker's page, and its own static files (a fixed list, no CDN).

A plain Flask blueprint, not part of the API document: the page is a client of `/verify` and
`/index` like any other. Each file has its own route, so no route reads a path from the request.
Responses carry a strict Content-Security-Policy: the page loads nothing from anywhere else.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, send_file

STATIC = Path(__file__).resolve().parents[1] / "static"
#: url -> (file under service/static, media type)
FILES = {
    "/": ("index.html", "text/html"),
    "/static/page.css": ("page.css", "text/css"),
    "/static/page.js": ("page.js", "text/javascript"),
}
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}

blp = Blueprint("page", __name__)


def _serve(name: str, mimetype: str) -> Response:
    response = send_file(STATIC / name, mimetype=mimetype, max_age=0)  # revalidated by ETag
    response.headers.update(SECURITY_HEADERS)
    return response


def _route(url: str, name: str, mimetype: str) -> None:
    def view() -> Response:
        return _serve(name, mimetype)

    blp.add_url_rule(url, endpoint=name.replace(".", "_"), view_func=view, methods=["GET"])


for _url, (_name, _mimetype) in FILES.items():
    _route(_url, _name, _mimetype)
