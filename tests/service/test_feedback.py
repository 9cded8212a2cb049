"""Reviewer feedback: POST /feedback into SQLite, kept across restarts and rebuilds, exported as NLI pairs."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from service_fakes import FakeStance

from index import Embedder, Snapshot, build_index
from service import create_app
from service.feedback import SCHEMA_VERSION, FeedbackStore, FeedbackStoreError, Judgement, main
from stance.data import LABEL_IDS, read_pairs

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "data" / "sample"
CLAIM = "Ukraine asked South Korea for the Cheongung air defence system"
TOKEN = "reviewer-secret"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def own_index(embedder: Embedder, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of the sample corpus of this module's own (the rebuild test publishes into it)."""
    root = tmp_path_factory.mktemp("feedback-index")
    build_index(SAMPLE, root, embedder, progress=False)
    return root


def make_app(index: Path, embedder: Embedder, db: Path, **config: Any) -> Flask:
    """The service on the real sample index; the stance model is a fake (feedback never reads it)."""
    settings = {
        "TESTING": True,
        "INDEX_DIR": str(index),
        "EMBEDDER": embedder,
        "STANCE": FakeStance(),
        "RELOAD_THREAD": False,
        "FEEDBACK_DB": str(db),
        "FEEDBACK_TOKEN": TOKEN,
        **config,
    }
    return create_app(settings)


@pytest.fixture
def app(own_index: Path, embedder: Embedder, tmp_path: Path) -> Iterator[Flask]:
    app = make_app(own_index, embedder, tmp_path / "feedback.sqlite3")
    yield app
    app.extensions["claimwire"].runtime.stop()


def passage_with(index: Path, embedder: Embedder, needle: str) -> Any:
    snapshot = Snapshot.load(index, embedder)
    return next(p for p in snapshot.passages if needle in p.text)


def test_a_judgement_is_stored_with_its_passage(app: Flask, own_index: Path, embedder: Embedder) -> None:
    denial = passage_with(own_index, embedder, "did not receive any proposals” from the delegation")
    response = app.test_client().post(
        "/feedback",
        json={
            "claim": CLAIM,
            "passage_id": denial.passage_id,
            "label": "contradicts",
            "note": "Kim denies it",
        },
        headers=AUTH,
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    record = response.get_json()
    assert record["label"] == "contradicts" and record["note"] == "Kim denies it"
    assert record["passage"] == denial.text and record["document_id"] == denial.document_id
    assert record["snapshot"] == app.extensions["claimwire"].runtime.loaded.snapshot.id
    (stored,) = FeedbackStore(app.config["FEEDBACK_DB"]).records()
    assert (stored.id, stored.claim, stored.context_before) == (record["id"], CLAIM, denial.context_before)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"claim": CLAIM, "passage_id": "0123456789abcdef0123", "label": "supports"}, "passage_id"),
        ({"claim": CLAIM, "passage_id": "PASSAGE", "label": "true"}, "label"),
        ({"claim": "  ", "passage_id": "PASSAGE", "label": "neither"}, "claim"),
        ({"claim": CLAIM, "passage_id": "PASSAGE"}, "label"),
        ({"claim": CLAIM, "passage_id": "PASSAGE", "label": "neither", "score": 1}, "score"),
    ],
)
def test_bad_feedback_is_a_422_problem_naming_the_field(
    app: Flask, own_index: Path, embedder: Embedder, body: dict[str, Any], field: str
) -> None:
    real = passage_with(own_index, embedder, "Cheongung").passage_id
    body = {k: (real if v == "PASSAGE" else v) for k, v in body.items()}
    response = app.test_client().post("/feedback", json=body, headers=AUTH)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["type"] == "urn:claimwire:problem:validation" and field in problem["errors"], problem
    assert FeedbackStore(app.config["FEEDBACK_DB"]).records() == []  # nothing stored


def test_the_token_is_required_before_anything_is_read(
    own_index: Path, embedder: Embedder, tmp_path: Path
) -> None:
    db = tmp_path / "f.sqlite3"
    body = {"claim": CLAIM, "passage_id": "x", "label": "bogus"}
    disabled = make_app(own_index, embedder, db, FEEDBACK_TOKEN=None, ADMIN_TOKEN=None)
    assert disabled.test_client().post("/feedback", json=body, headers=AUTH).status_code == 403
    app = make_app(own_index, embedder, db)
    client = app.test_client()
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}):
        response = client.post("/feedback", json=body, headers=headers)
        assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Bearer")
        assert response.mimetype == "application/problem+json"
    # without a feedback token, the admin token is the reviewers' token
    admin = make_app(own_index, embedder, db, FEEDBACK_TOKEN=None, ADMIN_TOKEN="admin-secret")
    response = admin.test_client().post(
        "/feedback", json=body, headers={"Authorization": "Bearer admin-secret"}
    )
    assert response.status_code == 422  # past the token, the bad label is what is wrong
    for each in (disabled, app, admin):
        each.extensions["claimwire"].runtime.stop()


def test_feedback_survives_a_restart_and_an_index_rebuild(
    own_index: Path, embedder: Embedder, tmp_path: Path
) -> None:
    db = tmp_path / "feedback.sqlite3"
    first = make_app(own_index, embedder, db)
    before = first.extensions["claimwire"].runtime.loaded.snapshot.id
    propellant = passage_with(own_index, embedder, "155 mm artillery shell propellants")
    response = first.test_client().post(
        "/feedback", json={"claim": "Ukraine requested propellant", "passage_id": propellant.passage_id,
                           "label": "supports"}, headers=AUTH,
    )  # fmt: skip
    assert response.status_code == 201
    first.extensions["claimwire"].runtime.stop()

    build_index(SAMPLE, own_index, embedder, progress=False)  # a full rebuild publishes a new snapshot
    second = make_app(own_index, embedder, db)  # a new process
    after = second.extensions["claimwire"].runtime.loaded.snapshot.id
    assert after != before
    herald = passage_with(own_index, embedder, "did not receive any proposals” from the delegation")
    response = second.test_client().post(
        "/feedback", json={"claim": CLAIM, "passage_id": herald.passage_id, "label": "neither"}, headers=AUTH
    )
    assert response.status_code == 201
    second.extensions["claimwire"].runtime.stop()

    records = FeedbackStore(db).records()
    assert [(r.label, r.snapshot) for r in records] == [("supports", before), ("neither", after)]
    assert records[0].passage == propellant.text
    assert FeedbackStore(db).schema_version == SCHEMA_VERSION


def test_export_writes_nli_pairs_that_the_stance_evaluation_reads(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    herald = "Kim said he “did not receive any proposals” from the delegation."
    judged = Judgement(CLAIM, "p1", "000", 2, herald, "The delegation met Kim.", "The Korea Herald",
                       "supports", None, "ana", "snap-1")  # fmt: skip
    store.add(judged)
    store.add(Judgement(**{**judged.__dict__, "label": "contradicts", "note": "on second reading"}))
    store.add(Judgement(**{**judged.__dict__, "passage_id": "p2", "passage": "Talks lasted 30 minutes.",
                           "label": "neither", "context_before": None}))  # fmt: skip
    out = tmp_path / "feedback.jsonl"
    assert main(["export", str(out), "--db", str(tmp_path / "feedback.sqlite3")]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    # the latest judgement per (claim, passage); the premise is read as the service reads it
    assert [(r["passage_id"], r["label"]) for r in rows] == [("p1", "contradiction"), ("p2", "neutral")]
    assert rows[0]["premise"] == "The delegation met Kim. " + herald and rows[0]["hypothesis"] == CLAIM
    assert rows[0]["note"] == "on second reading"
    pairs = read_pairs(out)
    assert [p.label for p in pairs] == [LABEL_IDS["contradiction"], LABEL_IDS["neutral"]]
    assert all(p.source == "feedback" for p in pairs)


def test_export_cli_runs_as_a_module(tmp_path: Path) -> None:
    db = tmp_path / "f.sqlite3"
    FeedbackStore(db).add(
        Judgement(CLAIM, "p", "d", 0, "A passage.", None, None, "supports", None, None, "s")
    )
    out = tmp_path / "out.jsonl"
    done = subprocess.run(
        [sys.executable, "-m", "service.feedback", "export", str(out), "--db", str(db)],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "exported 1 judgement" in done.stdout and len(read_pairs(out)) == 1
    missing = subprocess.run(
        [sys.executable, "-m", "service.feedback", "export", str(out), "--db", str(tmp_path / "no.db")],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert missing.returncode == 2 and "no feedback database" in missing.stderr


def test_a_database_from_a_newer_claimwire_is_refused_untouched(tmp_path: Path) -> None:
    db = tmp_path / "newer.sqlite3"
    with sqlite3.connect(db) as connection:
        connection.execute("PRAGMA user_version = 99")
    with pytest.raises(FeedbackStoreError, match="schema version 99"):
        FeedbackStore(db)
    with sqlite3.connect(db) as connection:
        assert connection.execute("PRAGMA user_version").fetchone()[0] == 99


def test_make_eval_stance_scores_the_exported_file_when_it_exists(tmp_path: Path) -> None:
    exported = tmp_path / "feedback.jsonl"
    dry = ["make", "-n", "-s", "eval-stance", f"FEEDBACK_FILE={exported}"]
    assert "--feedback" not in subprocess.run(dry, cwd=REPO, capture_output=True, text=True).stdout
    exported.write_text("")
    recipe = subprocess.run(dry, cwd=REPO, capture_output=True, text=True).stdout
    assert f"--feedback {exported}" in recipe


def test_the_stance_model_is_scored_on_exported_feedback(tmp_path: Path, stance_model: Any) -> None:
    from stance.evaluate import evaluate_pairs

    store = FeedbackStore(tmp_path / "f.sqlite3")
    store.add(Judgement("Ukraine requested 155mm propellant charges", "p1", "003", 7,
                        "The delegation even requested 155 mm artillery shell propellants.", None, None,
                        "supports", None, None, "s"))  # fmt: skip
    store.add(Judgement("The European Central Bank raised interest rates", "p2", "002", 4,
                        "Seoul and Washington also worry that Russia might help North Korea.", None, None,
                        "neither", None, None, "s"))  # fmt: skip
    out = tmp_path / "feedback.jsonl"
    assert store.export(out) == 2
    pairs = read_pairs(out)
    result = evaluate_pairs(stance_model, pairs, "feedback")
    # the same score as reading each exported pair with the model directly
    scores = stance_model.predict([(p.premise, p.hypothesis) for p in pairs])
    said = [max(("entailment", "neutral", "contradiction"), key=lambda k: getattr(s, k)) for s in scores]
    right = sum(LABEL_IDS[name] == p.label for name, p in zip(said, pairs, strict=True))
    assert result.pairs == 2 and result.accuracy == right / 2


def test_fuzzed_feedback_never_fails_and_always_conforms(
    app: Flask, own_index: Path, embedder: Embedder
) -> None:
    """schemathesis on POST /feedback (fixed seed, valid and invalid bodies): no 5xx, documented answers.

    A valid body names a passage the index holds (JSON Schema cannot say which), so generated valid
    bodies get a real passage_id; invalid ones keep whatever was generated.
    """
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, seed, settings
    from hypothesis import strategies as st
    from schemathesis import GenerationMode

    schema = schemathesis.openapi.from_path(REPO / "openapi.yaml")
    schema.app = app
    operation = schema["/feedback"]["POST"]
    real_id = passage_with(own_index, embedder, "Cheongung").passage_id

    def with_real_passage(case: Any) -> Any:
        if isinstance(case.body, dict) and isinstance(case.body.get("passage_id"), str):
            case.body["passage_id"] = real_id
        return case

    strategy = st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE).map(with_real_passage),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )
    statuses: list[int] = []

    @seed(20241130)
    @settings(max_examples=40, deadline=None, database=None, phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(case=strategy)
    def run(case: Any) -> None:
        response = case.call_and_validate(headers=AUTH)
        assert response.status_code < 500, response.text
        statuses.append(response.status_code)

    run()
    assert len(statuses) >= 20 and 201 in statuses and set(statuses) <= {201, 400, 415, 422}


@pytest.mark.slow
def test_a_reviewer_judges_a_passage_from_a_permalink_in_a_real_browser(
    sample_index: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """`/?claim=...` verifies on load; the passage's button sends the judgement, which lands in SQLite."""
    import shutil
    import time
    from urllib.parse import quote

    sys.path.insert(0, str(REPO / "tests"))  # importlib mode: tests/ is not on sys.path
    from servers import GunicornServer

    try:
        from selenium import webdriver
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.chrome.service import Service
        from selenium.webdriver.common.by import By
    except ImportError:
        pytest.skip("no browser: selenium is not installed")
    binary = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    driver_path = shutil.which("chromedriver")
    if binary is None or driver_path is None:
        pytest.skip("no browser: chromium and chromedriver are not installed")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1280,1000",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium')}",
    ):
        options.add_argument(argument)  # fmt: skip
    db = tmp_path_factory.mktemp("browser-feedback") / "feedback.sqlite3"
    log = tmp_path_factory.mktemp("browser-feedback-server") / "gunicorn.log"
    env = {"CLAIMWIRE_FEEDBACK_TOKEN": TOKEN, "CLAIMWIRE_FEEDBACK_DB": str(db)}
    with GunicornServer(sample_index, log, workers=1, threads=2, env=env) as server:
        try:
            driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
        except WebDriverException as exc:
            pytest.skip(f"no browser: {binary} does not start: {exc.msg}")
        try:

            def wait(condition: Any, what: str, timeout: float = 240.0) -> Any:
                deadline = time.monotonic() + timeout
                while not (value := condition()):
                    assert time.monotonic() < deadline, f"timed out waiting for {what}"
                    time.sleep(0.1)
                return value

            driver.get(f"{server.url}/?claim={quote(CLAIM)}")
            wait(
                lambda: driver.execute_script("return !document.getElementById('result').hidden"),
                "the verdict",
            )
            assert driver.find_element(By.ID, "claim").get_attribute("value") == CLAIM
            card = driver.find_element(By.CSS_SELECTOR, "li.evidence:not(.empty)")
            passage_id = card.get_attribute("data-passage-id")
            side = (
                "supports"
                if card.find_element(By.XPATH, "./..").get_attribute("id") == "supporting"
                else "contradicts"
            )
            card.find_element(By.CSS_SELECTOR, ".feedback-toggle").click()
            form = card.find_element(By.CSS_SELECTOR, ".feedback-form")
            assert form.is_displayed()
            checked = form.find_element(By.CSS_SELECTOR, 'input[type="radio"]:checked')
            assert checked.get_attribute("value") == side  # the service's reading, to confirm or change
            form.find_element(By.CSS_SELECTOR, 'input[value="neither"]').click()
            form.find_element(By.CSS_SELECTOR, ".feedback-note").send_keys("says nothing about a request")
            form.find_element(By.CSS_SELECTOR, ".feedback-token").send_keys(TOKEN)
            form.find_element(By.CSS_SELECTOR, ".feedback-send").click()

            def recorded() -> str | None:
                text: str = form.find_element(By.CSS_SELECTOR, ".feedback-status").text
                return text if text.startswith("Recorded") else None

            status = wait(recorded, "the recorded status")
            assert "neither" in status
        finally:
            driver.quit()
    (record,) = FeedbackStore(db).records()
    assert (record.claim, record.passage_id, record.label) == (CLAIM, passage_id, "neither")
    assert record.note == "says nothing about a request"
