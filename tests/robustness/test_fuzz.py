"""Spec-driven fuzzing: schemathesis generates requests from `openapi.yaml` and checks every answer.

In-process (WSGI), fixed seed, a bounded number of examples per operation, valid and invalid
bodies. Checks: no 5xx, the status code and content type are documented, and the body conforms to
the schema the document declares for that status. `/verify` runs on the real models and sample
index; the other operations on fakes (a 32-claim batch on the real models would take minutes).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from servers import report

OPENAPI = Path(__file__).resolve().parents[2] / "openapi.yaml"
SEED = 20241123
FAKE_EXAMPLES = 40
REAL_EXAMPLES = 12


def dates_in_order(case: Any) -> bool:
    """The one rule JSON Schema cannot say (date_from <= date_to): skip cases that break it."""
    body = case.body if isinstance(case.body, dict) else {}
    items = body.get("claims") if isinstance(body.get("claims"), list) else [body]
    for item in items:
        if isinstance(item, dict):
            start, end = item.get("date_from"), item.get("date_to")
            if isinstance(start, str) and isinstance(end, str) and start > end:
                return False
    return True


# Outlets a filter may name: the fakes' and the sample corpus's. Any other is a 422 (the index does
# not hold it), which JSON Schema cannot say either.
KNOWN_OUTLETS = frozenset(
    {
        "Outlet A",
        "Outlet B",
        "Outlet C",
        "Outlet D",
        "Associated Press",
        "Kyiv Post",
        "TROIB News",
        "The Korea Herald",
    }
)


def outlets_known(case: Any) -> bool:
    body = case.body if isinstance(case.body, dict) else {}
    items = body.get("claims") if isinstance(body.get("claims"), list) else [body]
    for item in items:
        outlets = item.get("outlets") if isinstance(item, dict) else None
        if isinstance(outlets, list) and any(isinstance(o, str) and o not in KNOWN_OUTLETS for o in outlets):
            return False
    return True


def fuzz(app: Flask, method: str, path: str, examples: int, headers: dict[str, str] | None = None) -> int:
    """Run `examples` generated cases (valid and invalid) against one operation; return the count."""
    schema = schemathesis.openapi.from_path(OPENAPI)
    schema.app = app
    operation = schema[path][method]
    strategy = (
        st.one_of(
            operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
            operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
        )
        .filter(dates_in_order)
        .filter(outlets_known)
    )
    ran = 0

    @seed(SEED)
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure is reported as found
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: Any) -> None:
        nonlocal ran
        ran += 1
        response = case.call_and_validate(headers=headers)
        assert response.status_code < 500, response.text

    run()
    return ran


FAKE_OPERATIONS = [
    ("POST", "/verify/batch"),
    ("POST", "/admin/reload"),
    ("GET", "/health"),
    ("GET", "/ready"),
    ("GET", "/index"),
]


@pytest.mark.parametrize(("method", "path"), FAKE_OPERATIONS, ids=[p for _, p in FAKE_OPERATIONS])
def test_operation_on_fakes(make_app: Any, request: pytest.FixtureRequest, method: str, path: str) -> None:
    app = make_app(ADMIN_TOKEN="fuzz-token")
    headers = {"Authorization": "Bearer fuzz-token"} if path.startswith("/admin") else None
    ran = fuzz(app, method, path, FAKE_EXAMPLES, headers)
    report(request.config, f"fuzz: {method} {path} on fakes: {ran} examples, no 5xx, all conform")
    assert ran >= 1  # operations without a body have few distinct cases; hypothesis stops early


def test_verify_on_fakes(make_app: Any, request: pytest.FixtureRequest) -> None:
    ran = fuzz(make_app(), "POST", "/verify", FAKE_EXAMPLES)
    report(request.config, f"fuzz: POST /verify on fakes: {ran} examples, no 5xx, all conform")
    assert ran >= FAKE_EXAMPLES // 2


@pytest.mark.slow
def test_verify_on_the_real_models(real_app: Flask, request: pytest.FixtureRequest) -> None:
    ran = fuzz(real_app, "POST", "/verify", REAL_EXAMPLES)
    report(request.config, f"fuzz: POST /verify on the real models: {ran} examples, no 5xx, all conform")
    assert ran >= REAL_EXAMPLES // 2
