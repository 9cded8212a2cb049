"""Safe defaults: no debug, size limit on, no CORS unless configured, request-id JSON logs, admin token."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from service import create_app
from service.config import DefaultConfig
from service.logging import ACCESS_LOGGER

CLAIM = {"claim": "Ukraine asked for propellant charges"}


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def access_log() -> Iterator[list[logging.LogRecord]]:
    handler = Records()
    logger = logging.getLogger(ACCESS_LOGGER)
    logger.addHandler(handler)
    yield handler.records
    logger.removeHandler(handler)


def test_defaults_are_safe(app: Flask) -> None:
    assert app.debug is False
    assert DefaultConfig.MAX_CONTENT_LENGTH == app.config["MAX_CONTENT_LENGTH"] == 256 * 1024
    assert not DefaultConfig.CORS_ORIGINS and DefaultConfig.ADMIN_TOKEN is None
    assert DefaultConfig.LOG_CLAIMS is False


def test_debug_stays_off_under_the_environment(monkeypatch: pytest.MonkeyPatch, index_dir: Any) -> None:
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    import sys

    fakes = sys.modules["service_fakes"]
    fakes.publish(index_dir, "snap-1")
    app = create_app(fakes.fake_config(index_dir))
    try:
        assert app.debug is False
    finally:
        app.extensions["claimwire"].runtime.stop()


def test_no_route_reads_arbitrary_paths(app: Flask) -> None:
    rules = {rule.rule for rule in app.url_map.iter_rules()}
    assert rules == {
        "/verify",
        "/verify/batch",
        "/health",
        "/ready",
        "/index",
        "/admin/reload",
        "/openapi.yaml",
        "/documents",
        "/documents/<path:document_id>",
        "/feedback",  # reviewer judgements (bearer token); reads no path either
        "/",  # the page; each of its static files has its own route, none reads a path
        "/static/page.css",
        "/static/page.js",
    }
    assert app.static_folder is None  # no Flask static route at all
    assert app.test_client().get("/static/../../pyproject.toml").status_code == 404
    assert app.test_client().get("/static/__init__.py").status_code == 404


def test_no_cors_headers_by_default(app: Flask) -> None:
    client = app.test_client()
    response = client.post("/verify", json=CLAIM, headers={"Origin": "https://evil.example"})
    assert response.status_code == 200
    assert not any(h.lower().startswith("access-control-") for h, _ in response.headers.items())
    preflight = client.options(
        "/verify", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    )
    assert "Access-Control-Allow-Origin" not in preflight.headers


def test_cors_for_configured_origins_only(make_app: Any) -> None:
    app = make_app(CORS_ORIGINS="https://desk.example, https://cms.example")
    client = app.test_client()
    ok = client.post("/verify", json=CLAIM, headers={"Origin": "https://cms.example"})
    assert ok.headers["Access-Control-Allow-Origin"] == "https://cms.example"
    assert "Origin" in ok.headers["Vary"]
    other = client.post("/verify", json=CLAIM, headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    preflight = client.options(
        "/verify/batch",
        headers={"Origin": "https://desk.example", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://desk.example"
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in preflight.headers["Access-Control-Allow-Headers"]


def test_request_id_is_echoed_when_sane_and_generated_otherwise(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/health", headers={"X-Request-ID": "desk-42.a"}).headers["X-Request-ID"] == "desk-42.a"
    for bad in ("x" * 200, "a b", "<script>", "é"):
        generated = client.get("/health", headers={"X-Request-ID": bad}).headers["X-Request-ID"]
        assert generated != bad and len(generated) == 32
    first = client.get("/health").headers["X-Request-ID"]
    assert first != client.get("/health").headers["X-Request-ID"]
    # errors carry it too
    assert client.get("/nope", headers={"X-Request-ID": "r-1"}).headers["X-Request-ID"] == "r-1"


def test_access_log_is_a_json_line_without_the_claim(app: Flask, access_log: list[logging.LogRecord]) -> None:
    secret = "The minister secretly resigned on Tuesday"
    app.test_client().post("/verify", json={"claim": secret}, headers={"X-Request-ID": "abc-1"})
    (record,) = access_log
    from service.logging import JsonLineFormatter

    line = JsonLineFormatter().format(record)
    entry = json.loads(line)
    assert entry["request_id"] == "abc-1"
    assert entry["method"] == "POST" and entry["path"] == "/verify" and entry["status"] == 200
    assert isinstance(entry["latency_ms"], float)
    assert secret not in line and "claims" not in entry


def test_claims_are_logged_only_when_configured(make_app: Any, access_log: list[logging.LogRecord]) -> None:
    app = make_app(LOG_CLAIMS="true")  # as CLAIMWIRE_LOG_CLAIMS=true arrives, a string
    app.test_client().post("/verify/batch", json={"claims": ["first claim", {"claim": "second"}]})
    assert access_log[-1].fields["claims"] == ["first claim", "second"]  # type: ignore[attr-defined]
    app_off = make_app(LOG_CLAIMS="false")
    app_off.test_client().post("/verify", json={"claim": "hidden"})
    assert "claims" not in access_log[-1].fields  # type: ignore[attr-defined]


def test_errors_are_logged_with_their_status(app: Flask, access_log: list[logging.LogRecord]) -> None:
    app.test_client().post("/verify", data="{", content_type="application/json")
    assert access_log[-1].fields["status"] == 400  # type: ignore[attr-defined]


# --- POST /admin/reload ------------------------------------------------------------------------


def test_admin_is_disabled_without_a_configured_token(app: Flask) -> None:
    response = app.test_client().post("/admin/reload", headers={"Authorization": "Bearer anything"})
    assert response.status_code == 403 and response.mimetype == "application/problem+json"
    assert "CLAIMWIRE_ADMIN_TOKEN" in response.get_json()["detail"]


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Basic czNjcjN0",
        "Bearer wrong-token",
        "Bearer s3cr3t-token-extra",
        "s3cr3t-token",
    ],
)
def test_admin_without_the_right_token_is_401(make_app: Any, authorization: str | None) -> None:
    app = make_app(ADMIN_TOKEN="s3cr3t-token")
    headers = {} if authorization is None else {"Authorization": authorization}
    response = app.test_client().post("/admin/reload", headers=headers)
    assert response.status_code == 401, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "s3cr3t" not in response.get_data(as_text=True)


def test_admin_reload_with_the_token_swaps_in_a_new_snapshot(make_app: Any, index_dir: Any) -> None:
    import sys

    app = make_app(ADMIN_TOKEN="s3cr3t-token", RELOAD_INTERVAL=3600)  # only the admin call reloads
    client = app.test_client()
    auth = {"Authorization": "Bearer s3cr3t-token"}
    first = client.post("/admin/reload", headers=auth)
    assert first.status_code == 200
    assert first.get_json() == {"snapshot": "snap-1", "published": "snap-1", "reloaded": False}
    sys.modules["service_fakes"].publish(index_dir, "snap-2")
    second = client.post("/admin/reload", headers=auth)
    assert second.get_json() == {"snapshot": "snap-2", "published": "snap-2", "reloaded": True}
    assert client.get("/index").get_json()["snapshot"] == "snap-2"


def test_admin_token_compare_is_constant_time() -> None:
    import inspect

    from service import security

    assert "hmac.compare_digest" in inspect.getsource(security.require_admin_token)
