"""Bad input: every malformed request gets problem+json with the right status and an actionable detail.

The matrix runs against the app on fakes (fast); a few valid-but-odd claims run on the real models,
which are what would crash on text a fake never looks at.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

PROBLEM = "application/problem+json"
OK = {"claim": "Ukraine asked for propellant charges"}


def body(value: Any) -> dict[str, Any]:
    return {"data": json.dumps(value), "content_type": "application/json"}


def raw(data: bytes | str, content_type: str | None = "application/json") -> dict[str, Any]:
    return {"data": data, "content_type": content_type}


# (id, method, path, request kwargs, status, text the problem must contain: a field name or a hint)
CASES: list[tuple[str, str, str, dict[str, Any], int, str]] = [
    ("not-json", "post", "/verify", raw("claim=hello"), 400, "not valid JSON"),
    ("truncated-json", "post", "/verify", raw('{"claim": "x"'), 400, "not valid JSON"),
    ("nan", "post", "/verify", raw('{"claim": "x", "top_k": NaN}'), 400, "NaN"),
    ("infinity", "post", "/verify", raw('{"claim": "x", "top_k": Infinity}'), 400, "Infinity"),
    (
        "text-plain",
        "post",
        "/verify",
        raw(json.dumps(OK), "text/plain"),
        415,
        "Content-Type: application/json",
    ),
    ("form", "post", "/verify", raw("claim=x", "application/x-www-form-urlencoded"), 415, "application/json"),
    ("no-content-type", "post", "/verify", raw(json.dumps(OK), None), 415, "application/json"),
    ("empty-body", "post", "/verify", raw(b""), 422, "claim"),
    ("missing-claim", "post", "/verify", body({"top_k": 3}), 422, "claim"),
    ("empty-claim", "post", "/verify", body({"claim": ""}), 422, "blank"),
    ("whitespace-claim", "post", "/verify", body({"claim": " \t\n\u3000 "}), 422, "blank"),
    # control characters only: what the documented pattern calls blank (schemathesis found the
    # service and openapi.yaml disagreeing on "\u001f")
    ("control-claim", "post", "/verify", body({"claim": "\u001f\u0085\ufeff"}), 422, "blank"),
    ("claim-too-long", "post", "/verify", body({"claim": "x" * 2001}), 422, "longer than 2000"),
    ("claim-number", "post", "/verify", body({"claim": 42}), 422, "claim"),
    ("claim-list", "post", "/verify", body({"claim": ["a", "b"]}), 422, "claim"),
    ("claim-null", "post", "/verify", body({"claim": None}), 422, "claim"),
    ("body-array", "post", "/verify", body([OK]), 422, "JSON object"),
    ("body-string", "post", "/verify", body("a claim"), 422, "JSON object"),
    ("body-null", "post", "/verify", raw("null"), 422, "JSON object"),
    ("top-k-zero", "post", "/verify", body({**OK, "top_k": 0}), 422, "top_k"),
    ("top-k-negative", "post", "/verify", body({**OK, "top_k": -5}), 422, "top_k"),
    ("top-k-over-max", "post", "/verify", body({**OK, "top_k": 51}), 422, "top_k is at most 50"),
    ("top-k-huge", "post", "/verify", body({**OK, "top_k": 10**40}), 422, "top_k"),
    ("top-k-string", "post", "/verify", body({**OK, "top_k": "ten"}), 422, "top_k"),
    ("top-k-float", "post", "/verify", body({**OK, "top_k": 2.5}), 422, "top_k"),
    ("top-k-bool", "post", "/verify", body({**OK, "top_k": True}), 422, "top_k"),
    ("outlets-string", "post", "/verify", body({**OK, "outlets": "Reuters"}), 422, "outlets"),
    ("outlets-numbers", "post", "/verify", body({**OK, "outlets": [1, 2]}), 422, "outlets.0"),
    ("date-garbage", "post", "/verify", body({**OK, "date_from": "yesterday"}), 422, "date_from"),
    ("date-impossible", "post", "/verify", body({**OK, "date_to": "2024-02-30"}), 422, "date_to"),
    ("date-number", "post", "/verify", body({**OK, "date_from": 20240101}), 422, "date_from"),
    (
        "date-from-after-to",
        "post",
        "/verify",
        body({**OK, "date_from": "2024-12-01", "date_to": "2024-01-01"}),
        422,
        "date_from is after date_to",
    ),
    ("unknown-field", "post", "/verify", body({**OK, "topk": 3}), 422, "topk"),
    ("invalid-utf8", "post", "/verify", raw(b'{"claim": "caf\xe9 \xff"}'), 400, "not valid UTF-8"),
    ("lone-surrogate", "post", "/verify", raw('{"claim": "a \\ud800 b"}'), 400, "unpaired surrogate"),
    (
        "deep-nesting-33",
        "post",
        "/verify",
        raw('{"claim": ' + "[" * 33 + "]" * 33 + "}"),
        400,
        "deeper than 32",
    ),
    ("deep-nesting-100k", "post", "/verify", raw("[" * 100_000 + "]" * 100_000), 400, "deeper than 32"),
    ("body-over-limit", "post", "/verify", body({"claim": "x" * 300_000}), 413, "262144 bytes"),
    # /verify/batch, and bad items inside a batch
    ("batch-not-json", "post", "/verify/batch", raw("{claims: [x]}"), 400, "not valid JSON"),
    (
        "batch-text-plain",
        "post",
        "/verify/batch",
        raw('{"claims": ["x"]}', "text/plain"),
        415,
        "application/json",
    ),
    ("batch-missing", "post", "/verify/batch", body({}), 422, "claims"),
    ("batch-empty", "post", "/verify/batch", body({"claims": []}), 422, "at least one claim"),
    ("batch-not-list", "post", "/verify/batch", body({"claims": "one claim"}), 422, "claims"),
    ("batch-over-limit", "post", "/verify/batch", body({"claims": ["a claim"] * 33}), 422, "At most 32"),
    ("batch-item-number", "post", "/verify/batch", body({"claims": ["ok", 7]}), 422, "claims.1"),
    ("batch-item-null", "post", "/verify/batch", body({"claims": [None]}), 422, "claims.0"),
    (
        "batch-item-blank",
        "post",
        "/verify/batch",
        body({"claims": ["ok", {"claim": "  "}]}),
        422,
        "claims.1.claim",
    ),
    ("batch-item-no-claim", "post", "/verify/batch", body({"claims": [{"id": "a"}]}), 422, "claims.0.claim"),
    (
        "batch-item-top-k",
        "post",
        "/verify/batch",
        body({"claims": [{**OK, "top_k": 99}]}),
        422,
        "claims.0.top_k",
    ),
    ("batch-item-long", "post", "/verify/batch", body({"claims": ["y" * 2001]}), 422, "claims.0.claim"),
    (
        "batch-item-dates",
        "post",
        "/verify/batch",
        body({"claims": [{**OK, "date_from": "2024-05-02", "date_to": "2024-05-01"}]}),
        422,
        "claims.0.date_to",
    ),
    (
        "batch-item-unknown",
        "post",
        "/verify/batch",
        body({"claims": [{**OK, "stance": "x"}]}),
        422,
        "claims.0.stance",
    ),
    (
        "batch-item-id-number",
        "post",
        "/verify/batch",
        body({"claims": [{**OK, "id": 3}]}),
        422,
        "claims.0.id",
    ),
    ("batch-unknown-field", "post", "/verify/batch", body({"claims": ["ok"], "top_k": 3}), 422, "top_k"),
    ("batch-surrogate", "post", "/verify/batch", raw('{"claims": ["\\udfff"]}'), 400, "unpaired surrogate"),
    ("batch-over-size", "post", "/verify/batch", body({"claims": ["z" * 2000] * 200}), 413, "262144 bytes"),
    # routes and methods
    ("unknown-route", "get", "/verify/all", {}, 404, "not found"),
    ("nowhere", "get", "/nowhere", {}, 404, "not found"),
    ("path-traversal", "get", "/../../etc/passwd", {}, 404, "not found"),
    ("encoded-traversal", "get", "/index/..%2F..%2Fetc%2Fpasswd", {}, 404, "not found"),
    ("get-verify", "get", "/verify", {}, 405, "not allowed"),
    ("delete-verify", "delete", "/verify", {}, 405, "not allowed"),
    ("put-batch", "put", "/verify/batch", body({"claims": ["x"]}), 405, "not allowed"),
    ("post-health", "post", "/health", {}, 405, "not allowed"),
    ("patch-index", "patch", "/index", body({}), 405, "not allowed"),
    ("get-admin-reload", "get", "/admin/reload", {}, 405, "not allowed"),
]


def assert_problem(response: Any, status: int, hint: str) -> dict[str, Any]:
    text = response.get_data(as_text=True)
    assert response.status_code == status, text
    assert response.mimetype == PROBLEM, text
    problem: dict[str, Any] = json.loads(text)
    assert {"type", "title", "status", "detail"} <= problem.keys()
    assert problem["status"] == status and problem["detail"]
    assert "Traceback" not in text and 'File "' not in text
    readable = (problem["detail"] + " " + json.dumps(problem.get("errors", {}))).lower()
    assert hint.lower() in readable, problem
    return problem


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "hint"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_input_is_a_clear_problem(
    client: FlaskClient, method: str, path: str, kwargs: dict[str, Any], status: int, hint: str
) -> None:
    response = getattr(client, method)(path, **kwargs)
    assert_problem(response, status, hint)
    if status == 405:
        assert response.headers["Allow"]


def test_size_limit_applies_without_content_length(client: FlaskClient) -> None:
    """A streamed (chunked) body over the limit is cut off with 413, not read to the end."""

    stream = io.BytesIO(b'{"claim": "' + b"x" * 300_000 + b'"}')
    response = client.post(
        "/verify",
        input_stream=stream,
        content_type="application/json",
        headers={"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},  # what gunicorn sets for chunked bodies
    )
    assert_problem(response, 413, "262144 bytes")


def test_the_service_keeps_serving_after_the_matrix(client: FlaskClient) -> None:
    for _, method, path, kwargs, _, _ in CASES:
        getattr(client, method)(path, **kwargs)
    assert client.post("/verify", json=OK).status_code == 200
    assert client.post("/verify/batch", json={"claims": ["x", OK]}).status_code == 200


def test_an_unexpected_error_is_a_500_problem_without_internals(make_app: Any) -> None:
    app: Flask = make_app()

    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("secret internals /etc/claimwire")

    response = app.test_client().get("/boom")
    problem = assert_problem(response, 500, "internal")
    assert "secret" not in json.dumps(problem)


# Valid but odd claims: the real tokenizer and models must answer them, not crash.
ODD_CLAIMS = {
    "at-length-limit": "Ukraine requested propellant charges. " * 52 + "x" * 24,
    "nul-and-controls": "Ukraine\x00 requested\x07 charges\x1b",
    "emoji-and-rtl": "Ukraine 🇺🇦 requested charges \u202e\u05e9\u05dc\u05d5\u05dd",
    "zero-width-only": "\u200b\u200b",
    "combining-marks": "U\u0301\u0302\u0303" * 100,
    "one-char": "x",
}


@pytest.mark.parametrize("claim", list(ODD_CLAIMS.values()), ids=list(ODD_CLAIMS))
def test_odd_but_valid_claims_on_the_real_models(real_client: FlaskClient, claim: str) -> None:
    assert len(claim) <= 2000
    response = real_client.post("/verify", json={"claim": claim, "top_k": 3})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["claim"] == claim


def test_bad_batch_item_on_the_real_models_names_the_item(real_client: FlaskClient) -> None:
    response = real_client.post(
        "/verify/batch", json={"claims": ["Ukraine asked for charges", {"claim": ""}]}
    )
    assert_problem(response, 422, "claims.1.claim")
