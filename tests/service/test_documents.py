"""`POST /documents`, `GET`/`DELETE /documents/{id}`: token, validation, reuse of vectors, concurrency.

Wiring tests run an in-process app on a counting hash embedder and the fake stance model, with
real snapshots on disk; the acceptance flow runs against a real gunicorn (2 workers) on the real
models and the sample corpus.
"""

from __future__ import annotations

import json
import shutil
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import numpy.typing as npt
import pytest
from flask import Flask
from flask.testing import FlaskClient
from service_fakes import FakeStance

from index import Embedder, build_index
from service import create_app
from service.errors import PROBLEM_JSON, VALIDATION

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # importlib mode: tests/ is not on sys.path
from servers import GunicornServer

REPO = Path(__file__).resolve().parents[2]
TOKEN = "test-admin-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}

FERRY = {
    "id": "baltic-wire-ferry",
    "outlet": "Baltic Wire",
    "date": "2025-03-04",
    "title": "Lindqvist to close Gdansk ferry terminal",
    "url": "https://example.org/ferry",
    "text": (
        "Lindqvist Shipping said on Tuesday that it will close its Gdansk ferry terminal at the end "
        "of March. The company blamed falling passenger numbers on its Baltic routes. About 240 jobs "
        "will be lost, a union representative said."
    ),
}
TRAM = {
    "id": "tram-vote",
    "text": (
        "The Brenford city council approved a new tram line on Monday evening by 31 votes to 12. "
        "Construction is due to start next spring and is expected to cost 410 million euros."
    ),
}
FERRY_CLAIM = "Lindqvist Shipping will close its Gdansk ferry terminal"
FERRY_SENTENCE = "Lindqvist Shipping said on Tuesday that it will close its Gdansk ferry terminal"


class CountingEmbedder:
    """A wrapped embedder that records the texts of every call (the hash embedder, for wiring)."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.name = inner.name
        self.dimension = inner.dimension
        self.calls: list[list[str]] = []
        self.lock = threading.Lock()

    def encode(self, texts: Sequence[str], *, progress: bool = False) -> npt.NDArray[np.float32]:
        with self.lock:
            self.calls.append(list(texts))
        return self.inner.encode(texts, progress=progress)


def big_corpus(path: Path, articles: int, sentences: int) -> Path:
    """`articles` x `sentences` (at most 10) sentences of plain news-like text, as a .jsonl corpus;
    no two of an article are near duplicates (the build keeps one of those)."""
    places = ["Gdansk", "Tallinn", "Riga", "Malmo", "Turku", "Aarhus", "Kiel", "Rostock"]
    things = ["harbour fees", "ferry times", "grain prices", "wind permits", "rail works", "school budgets"]
    sessions = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth"]
    with path.open("w") as out:
        for a in range(articles):
            text = " ".join(
                f"Officials in {places[(a + s) % len(places)]} discussed {things[(a * s) % len(things)]} "
                f"for district {a} at the {sessions[s]} session, said spokesperson number {a * 10 + s}."
                for s in range(sentences)
            )
            out.write(json.dumps({"id": f"base-{a}", "text": text, "outlet": f"Wire {a % 7}"}) + "\n")
    return path


@pytest.fixture
def counting(hash_embedder: Embedder) -> CountingEmbedder:
    return CountingEmbedder(hash_embedder)


def make_app(root: Path, embedder: Embedder, **overrides: Any) -> Flask:
    config: dict[str, Any] = {
        "TESTING": True,
        "INDEX_DIR": str(root),
        "EMBEDDER": embedder,
        "STANCE": FakeStance(),
        "RELOAD_THREAD": False,
        "ADMIN_TOKEN": TOKEN,
        **overrides,
    }
    return create_app(config)


@pytest.fixture
def small(tmp_path: Path, counting: CountingEmbedder) -> Iterator[tuple[Flask, Path]]:
    """An app serving the sample corpus, embedded by the counting hash embedder."""
    root = tmp_path / "index"
    build_index(REPO / "data" / "sample", root, counting, progress=False)
    app = make_app(root, counting)
    yield app, root
    app.extensions["claimwire"].runtime.stop()


def served(client: FlaskClient) -> dict[str, Any]:
    body: dict[str, Any] = client.get("/index").get_json()
    return body


# --- the token --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [("POST", "/documents", {"documents": [TRAM]}), ("DELETE", "/documents/tram-vote", None)],
)
def test_writes_need_the_admin_token(
    small: tuple[Flask, Path], counting: CountingEmbedder, method: str, path: str, body: Any
) -> None:
    app, root = small
    client = app.test_client()
    before = served(client)["snapshot"]
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic abc"}):
        response = client.open(path, method=method, json=body, headers=headers)
        assert response.status_code == 401, response.get_data(as_text=True)
        assert response.mimetype == PROBLEM_JSON and "Bearer" in response.headers["WWW-Authenticate"]
    # Refused before the body is read: an invalid body without the token is still a 401.
    assert client.post("/documents", json={"documents": "nope"}).status_code == 401

    disabled = make_app(root, counting, ADMIN_TOKEN=None)
    try:
        response = disabled.test_client().open(path, method=method, json=body, headers=AUTH)
        assert response.status_code == 403 and response.mimetype == PROBLEM_JSON
        assert "CLAIMWIRE_ADMIN_TOKEN" in response.get_json()["detail"]
    finally:
        disabled.extensions["claimwire"].runtime.stop()
    assert served(client)["snapshot"] == before


# --- validation: every bad article named, nothing written ---------------------------------------


def test_bad_articles_are_each_named_and_nothing_is_written(small: tuple[Flask, Path]) -> None:
    app, root = small
    client = app.test_client()
    before = (root / "current").resolve()
    documents = [
        TRAM,
        {"id": "b", "text": "A report long enough to keep as a sentence.", "date": "2024-13-45"},
        {"id": "tram-vote", "text": "A second article that reuses the first id, sadly."},
        {"id": "d", "text": "   "},
        {"id": "e", "text": "Read more."},
    ]
    response = client.post("/documents", json={"documents": documents}, headers=AUTH)
    assert response.status_code == 422 and response.mimetype == PROBLEM_JSON
    problem = response.get_json()
    assert problem["type"] == VALIDATION
    assert set(problem["errors"]) == {
        "documents.1.date",
        "documents.2.id",
        "documents.3.text",
        "documents.4.text",
    }
    assert "invalid date '2024-13-45'" in problem["errors"]["documents.1.date"][0]
    assert "duplicate article id 'tram-vote'" in problem["errors"]["documents.2.id"][0]
    assert (root / "current").resolve() == before
    assert client.get("/documents/tram-vote").status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"documents": []}, "documents"),
        ({"documents": [TRAM] * 101}, "documents"),
        ({"documents": [{"text": "No id given for this one."}]}, "documents.0.id"),
        ({"documents": [{"id": "x", "text": 5}]}, "documents.0.text"),
        ({"documents": [dict(TRAM, colour="red")]}, "documents.0.colour"),
        ({"docs": [TRAM]}, "docs"),
    ],
)
def test_schema_errors_name_the_field(small: tuple[Flask, Path], body: Any, field: str) -> None:
    app, _ = small
    response = app.test_client().post("/documents", json=body, headers=AUTH)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


# --- writes -------------------------------------------------------------------------------------


def test_post_to_a_10k_passage_index_embeds_only_the_new_passages(
    tmp_path: Path, counting: CountingEmbedder
) -> None:
    root = tmp_path / "index"
    build_index(big_corpus(tmp_path / "big.jsonl", 1000, 10), root, counting, progress=False)
    app = make_app(root, counting)
    try:
        client = app.test_client()
        before = served(client)
        assert before["passages"] == 10_000
        counting.calls.clear()

        response = client.post("/documents", json={"documents": [FERRY, TRAM]}, headers=AUTH)

        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.get_json()
        assert body == {"added": 2, "replaced": 0, "unchanged": 0, "snapshot_id": body["snapshot_id"]}
        assert counting.calls == [
            [
                FERRY_SENTENCE + " at the end of March.",
                "The company blamed falling passenger numbers on its Baltic routes.",
                "About 240 jobs will be lost, a union representative said.",
                "The Brenford city council approved a new tram line on Monday evening by 31 votes to 12.",
                "Construction is due to start next spring and is expected to cost 410 million euros.",
            ]
        ]  # one encoder call: the 5 new passages, none of the 10,000 stored ones
        after = served(client)  # this process already serves the write
        assert after["snapshot"] == body["snapshot_id"] != before["snapshot"]
        assert after["passages"] == 10_005 and "Baltic Wire" in after["outlets"]

        stored = client.get("/documents/baltic-wire-ferry")
        assert stored.status_code == 200
        document = stored.get_json()
        assert (document["outlet"], document["date"], document["title"]) == (
            "Baltic Wire",
            "2025-03-04",
            "Lindqvist to close Gdansk ferry terminal",
        )
        assert [p["sentence_index"] for p in document["passages"]] == [0, 1, 2]
        assert document["passages"][0]["text"].startswith(FERRY_SENTENCE)
        tram = client.get("/documents/tram-vote").get_json()
        assert tram["outlet"] is None and tram["date"] is None

        counting.calls.clear()
        again = client.post("/documents", json={"documents": [FERRY, TRAM]}, headers=AUTH).get_json()
        assert again == {"added": 0, "replaced": 0, "unchanged": 2, "snapshot_id": body["snapshot_id"]}
        assert counting.calls == []

        changed = dict(TRAM, text=str(TRAM["text"]).replace("410 million", "455 million"))
        replaced = client.post("/documents", json={"documents": [changed]}, headers=AUTH).get_json()
        assert (replaced["replaced"], replaced["added"]) == (1, 0)
        assert counting.calls == [
            ["Construction is due to start next spring and is expected to cost 455 million euros."]
        ]
    finally:
        app.extensions["claimwire"].runtime.stop()


def test_delete_then_get_is_404(small: tuple[Flask, Path]) -> None:
    app, _ = small
    client = app.test_client()
    assert client.post("/documents", json={"documents": [TRAM, FERRY]}, headers=AUTH).status_code == 200
    response = client.delete("/documents/tram-vote", headers=AUTH)
    assert response.status_code == 204 and response.get_data() == b""
    missing = client.get("/documents/tram-vote")
    assert missing.status_code == 404 and missing.mimetype == PROBLEM_JSON
    assert "tram-vote" in missing.get_json()["detail"]
    again = client.delete("/documents/tram-vote", headers=AUTH)
    assert again.status_code == 404 and again.mimetype == PROBLEM_JSON
    assert client.get("/documents/baltic-wire-ferry").status_code == 200
    # Ids are whatever the corpus used, slashes included.
    slashed = dict(TRAM, id="wire/2025/03/tram")
    assert client.post("/documents", json={"documents": [slashed]}, headers=AUTH).status_code == 200
    assert client.get("/documents/wire/2025/03/tram").get_json()["document_id"] == "wire/2025/03/tram"
    assert client.delete("/documents/wire/2025/03/tram", headers=AUTH).status_code == 204


def test_eight_concurrent_posts_all_land(small: tuple[Flask, Path]) -> None:
    app, _ = small
    base = served(app.test_client())["passages"]
    start = threading.Barrier(8)

    def post(n: int) -> tuple[int, dict[str, Any]]:
        article = {"id": f"desk-{n}", "text": f"Desk {n} reports that the harbour cranes were idle all week."}
        client = app.test_client()
        start.wait()
        response = client.post("/documents", json={"documents": [article]}, headers=AUTH)
        return response.status_code, response.get_json()

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(post, range(8)))
    assert [status for status, _ in answers] == [200] * 8
    assert all(body["added"] == 1 for _, body in answers)
    assert len({body["snapshot_id"] for _, body in answers}) == 8  # one snapshot per write, in turn
    client = app.test_client()
    app.extensions["claimwire"].runtime.refresh()
    assert served(client)["passages"] == base + 8
    for n in range(8):
        assert client.get(f"/documents/desk-{n}").status_code == 200


# --- fuzzing: generated bodies and ids, valid and invalid -----------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "examples"),
    [
        ("POST", "/documents", 30),
        ("GET", "/documents/{document_id}", 15),
        ("DELETE", "/documents/{document_id}", 15),
    ],
)
def test_fuzzed_requests_get_documented_answers(
    small: tuple[Flask, Path], method: str, path: str, examples: int
) -> None:
    """schemathesis from openapi.yaml: no 5xx, every answer's status and body as documented.

    A schema-valid article can still be refused (a text that leaves no sentence after cleaning, an
    id that is only spaces): JSON Schema cannot say that, so that one check is left out here.
    """
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, seed, settings
    from hypothesis import strategies as st
    from schemathesis import GenerationMode
    from schemathesis.specs.openapi.checks import positive_data_acceptance

    app, _ = small
    schema = schemathesis.openapi.from_path(REPO / "openapi.yaml")
    schema.app = app
    operation = schema[path][method]
    strategy = st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )
    ran = 0

    @seed(20241123)
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def check(case: Any) -> None:
        nonlocal ran
        ran += 1
        response = case.call_and_validate(headers=AUTH, excluded_checks=[positive_data_acceptance])
        assert response.status_code < 500, response.text

    check()
    assert ran >= 1


# --- the acceptance flow on a real gunicorn and the real models ---------------------------------


def wait_served(server: GunicornServer, snapshot_id: str, timeout: float = 60.0) -> None:
    """Until every worker serves `snapshot_id` (consecutive answers, spread over the workers)."""
    deadline = time.monotonic() + timeout
    in_a_row = 0
    while in_a_row < 8:
        assert time.monotonic() < deadline, f"{snapshot_id} not served by every worker"
        answer = httpx.get(f"{server.url}/index", timeout=30).json()["snapshot"]
        in_a_row = in_a_row + 1 if answer == snapshot_id else 0
        time.sleep(0.05)


@pytest.fixture(scope="module")
def live(sample_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GunicornServer]:
    root = tmp_path_factory.mktemp("documents-live") / "index"
    shutil.copytree(sample_index, root, symlinks=True)
    log = root.parent / "gunicorn.log"
    with GunicornServer(root, log, workers=2, threads=4, env={"CLAIMWIRE_ADMIN_TOKEN": TOKEN}) as server:
        yield server


def evidence_of(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [*body["supporting"], *body["contradicting"]]


@pytest.mark.slow
def test_post_verify_delete_on_a_live_server(live: GunicornServer) -> None:
    url = live.url
    refused = httpx.post(f"{url}/documents", json={"documents": [FERRY, TRAM]}, timeout=30)
    assert refused.status_code == 401 and refused.headers["content-type"] == PROBLEM_JSON

    posted = httpx.post(f"{url}/documents", json={"documents": [FERRY, TRAM]}, headers=AUTH, timeout=120)
    assert posted.status_code == 200, posted.text
    body = posted.json()
    assert (body["added"], body["replaced"], body["unchanged"]) == (2, 0, 0)
    wait_served(live, body["snapshot_id"])

    found = httpx.post(f"{url}/verify", json={"claim": FERRY_CLAIM, "top_k": 3}, timeout=120).json()
    assert found["index"]["snapshot"] == body["snapshot_id"]
    ferry = [e for e in found["supporting"] if e["document_id"] == "baltic-wire-ferry"]
    assert ferry and ferry[0]["text"].startswith(FERRY_SENTENCE), found
    assert (ferry[0]["outlet"], ferry[0]["date"]) == ("Baltic Wire", "2025-03-04")
    tram = httpx.post(f"{url}/verify", json={"claim": "Brenford approved a tram line"}, timeout=120).json()
    assert any(e["document_id"] == "tram-vote" for e in tram["supporting"]), tram

    assert httpx.delete(f"{url}/documents/baltic-wire-ferry", timeout=30).status_code == 401
    deleted = httpx.delete(f"{url}/documents/baltic-wire-ferry", headers=AUTH, timeout=120)
    assert deleted.status_code == 204
    now = (live.index_dir / "current").resolve().name  # what the delete published
    wait_served(live, now)
    gone = httpx.post(f"{url}/verify", json={"claim": FERRY_CLAIM, "top_k": 3}, timeout=120).json()
    assert gone["index"]["snapshot"] == now
    assert all(e["document_id"] != "baltic-wire-ferry" for e in evidence_of(gone))
    missing = httpx.get(f"{url}/documents/baltic-wire-ferry", timeout=30)
    assert missing.status_code == 404 and missing.headers["content-type"] == PROBLEM_JSON
    assert httpx.get(f"{url}/documents/tram-vote", timeout=30).status_code == 200


@pytest.mark.slow
def test_eight_concurrent_posts_to_two_workers_all_land(live: GunicornServer) -> None:
    url = live.url
    before = httpx.get(f"{url}/index", timeout=30).json()["passages"]

    def post(n: int) -> int:
        article = {"id": f"live-{n}", "text": f"Desk {n} reports that the harbour cranes in Kiel were idle."}
        response = httpx.post(f"{url}/documents", json={"documents": [article]}, headers=AUTH, timeout=180)
        return response.status_code

    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(post, range(8))) == [200] * 8
    published = (live.index_dir / "current").resolve().name
    wait_served(live, published)
    assert httpx.get(f"{url}/index", timeout=30).json()["passages"] == before + 8
    for n in range(8):
        assert httpx.get(f"{url}/documents/live-{n}", timeout=30).status_code == 200
