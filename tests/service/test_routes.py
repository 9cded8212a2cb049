"""The HTTP contract on fakes: every route's status and content type, problem+json errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from service_fakes import fake_config

from service import create_app
from service.errors import NOT_READY, PROBLEM_JSON, VALIDATION

CLAIM = "Ukraine asked for propellant charges"

ROUTES: list[tuple[str, str, Any, int, str]] = [
    ("GET", "/health", None, 200, "application/json"),
    ("GET", "/ready", None, 200, "application/json"),
    ("GET", "/index", None, 200, "application/json"),
    ("GET", "/openapi.yaml", None, 200, "application/yaml"),
    ("POST", "/verify", {"claim": CLAIM}, 200, "application/json"),
    ("POST", "/verify/batch", {"claims": [CLAIM]}, 200, "application/json"),
    ("GET", "/verify", None, 405, PROBLEM_JSON),
    ("DELETE", "/index", None, 405, PROBLEM_JSON),
    ("GET", "/nowhere", None, 404, PROBLEM_JSON),
    ("POST", "/verify", {}, 422, PROBLEM_JSON),
    ("POST", "/verify/batch", {}, 422, PROBLEM_JSON),
]


@pytest.mark.parametrize(("method", "path", "body", "status", "content_type"), ROUTES)
def test_route_matrix(
    client: FlaskClient, method: str, path: str, body: Any, status: int, content_type: str
) -> None:
    response = client.open(path, method=method, json=body)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == content_type
    if content_type == PROBLEM_JSON:
        problem = response.get_json(force=True)
        assert {"type", "title", "status", "detail"} <= set(problem)
        assert problem["status"] == status


def test_405_keeps_allow_header(client: FlaskClient) -> None:
    assert "POST" in client.get("/verify").headers["Allow"]


INVALID: list[tuple[Any, str]] = [
    ({}, "claim"),
    ({"claim": "   "}, "claim"),
    ({"claim": "x" * 2001}, "claim"),
    ({"claim": 5}, "claim"),
    ({"claim": CLAIM, "top_k": 0}, "top_k"),
    ({"claim": CLAIM, "top_k": 51}, "top_k"),
    ({"claim": CLAIM, "top_k": "ten"}, "top_k"),
    ({"claim": CLAIM, "outlets": "AP"}, "outlets"),
    ({"claim": CLAIM, "date_from": "28/11/2024"}, "date_from"),
    ({"claim": CLAIM, "date_from": "2024-12-01", "date_to": "2024-11-01"}, "date_to"),
    ({"claim": CLAIM, "colour": "red"}, "colour"),
]


@pytest.mark.parametrize(("body", "field"), INVALID)
def test_verify_validation_errors_name_the_field(client: FlaskClient, body: Any, field: str) -> None:
    response = client.post("/verify", json=body)
    assert response.status_code == 422
    assert response.mimetype == PROBLEM_JSON
    problem = response.get_json(force=True)
    assert problem["type"] == VALIDATION
    assert field in problem["errors"], problem
    assert all(isinstance(m, str) for m in problem["errors"][field])


BATCH_INVALID: list[tuple[Any, str]] = [
    ({"claims": []}, "claims"),
    ({"claims": ["ok"] * 33}, "claims"),
    ({"claims": "one claim"}, "claims"),
    ({"claims": ["ok", 7]}, "claims.1"),
    ({"claims": ["ok", {"id": "b"}]}, "claims.1.claim"),
    ({"claims": [{"claim": "ok", "top_k": 0}]}, "claims.0.top_k"),
]


@pytest.mark.parametrize(("body", "field"), BATCH_INVALID)
def test_batch_validation_errors_name_the_item(client: FlaskClient, body: Any, field: str) -> None:
    response = client.post("/verify/batch", json=body)
    assert response.status_code == 422
    problem = response.get_json(force=True)
    assert field in problem["errors"], problem


def test_not_json_is_a_problem(client: FlaskClient) -> None:
    response = client.post("/verify", data="claim=x", content_type="application/json")
    assert response.status_code in (400, 422)
    assert response.mimetype == PROBLEM_JSON


def test_request_size_limit_is_413(index_dir: Path) -> None:
    app = create_app(fake_config(index_dir, MAX_CONTENT_LENGTH=1024))
    response = app.test_client().post("/verify", json={"claim": "x" * 2000})
    assert response.status_code == 413
    assert response.mimetype == PROBLEM_JSON


def test_limits_come_from_config(index_dir: Path) -> None:
    from service_fakes import publish

    publish(index_dir, "snap-1")
    client = create_app(fake_config(index_dir, MAX_CLAIM_LENGTH=10, BATCH_LIMIT=2, TOP_K_MAX=3)).test_client()
    assert client.post("/verify", json={"claim": "x" * 11}).status_code == 422
    assert client.post("/verify", json={"claim": "x" * 10, "top_k": 4}).status_code == 422
    assert client.post("/verify", json={"claim": "x" * 10, "top_k": 3}).status_code == 200
    assert client.post("/verify/batch", json={"claims": ["a", "b", "c"]}).status_code == 422


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/ready"), ("GET", "/index"), ("POST", "/verify"), ("POST", "/verify/batch")]
)
def test_not_ready_without_a_snapshot(index_dir: Path, method: str, path: str) -> None:
    client = create_app(fake_config(index_dir)).test_client()
    assert client.get("/health").status_code == 200
    body = {"claim": CLAIM} if path == "/verify" else {"claims": [CLAIM]}
    response = client.open(path, method=method, json=body if method == "POST" else None)
    assert response.status_code == 503
    assert response.mimetype == PROBLEM_JSON
    problem = response.get_json(force=True)
    assert problem["type"] == NOT_READY
    assert "no snapshot published" in problem["detail"]


def test_unexpected_error_is_a_500_problem(index_dir: Path) -> None:
    class Exploding:
        name = "boom"

        def predict(self, pairs: Any) -> Any:
            raise RuntimeError("secret internals")

    from service_fakes import publish

    publish(index_dir, "snap-1")
    client = create_app(fake_config(index_dir, STANCE=Exploding())).test_client()
    response = client.post("/verify", json={"claim": CLAIM})
    assert response.status_code == 500
    assert response.mimetype == PROBLEM_JSON
    assert "secret" not in response.get_data(as_text=True)
