"""`openapi.yaml` at the repository root is exactly what the schemas generate (clients are built from it)."""

from __future__ import annotations

from pathlib import Path

import yaml
from flask.testing import FlaskClient

from service.openapi import render

COMMITTED = Path(__file__).resolve().parents[2] / "openapi.yaml"


def test_committed_openapi_yaml_has_not_drifted() -> None:
    assert COMMITTED.read_text() == render(), (
        "openapi.yaml is out of date with the schemas: run `make openapi` and commit the result"
    )


def test_served_document_is_the_committed_one(client: FlaskClient) -> None:
    response = client.get("/openapi.yaml")
    assert response.get_data(as_text=True) == COMMITTED.read_text()


def test_document_covers_every_endpoint_and_problem_json() -> None:
    spec = yaml.safe_load(COMMITTED.read_text())
    assert set(spec["paths"]) >= {"/verify", "/verify/batch", "/health", "/ready", "/index"}
    for name in ("UNPROCESSABLE_ENTITY", "SERVICE_UNAVAILABLE", "DEFAULT_ERROR"):
        assert list(spec["components"]["responses"][name]["content"]) == ["application/problem+json"]
    evidence = spec["components"]["schemas"]["Evidence"]
    assert evidence["properties"]["stance"]["enum"] == ["supports", "contradicts"]
    verdict = spec["components"]["schemas"]["VerifyResponse"]["properties"]["verdict"]
    assert verdict["enum"] == ["supported", "refuted", "conflicting", "not_enough_info"]
