"""`/verify` and `/verify/batch` wiring on fakes: evidence lists, verdicts, filters, batch ids."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from service_fakes import FakeStance


def test_verify_response_shape(client: FlaskClient) -> None:
    body = client.post("/verify", json={"claim": "Ukraine asked for propellant charges"}).get_json()
    assert set(body) == {
        "claim",
        "verdict",
        "confidence",
        "supporting",
        "contradicting",
        "outlets",
        "independent_sources",
        "index",
        "models",
    }
    assert body["verdict"] == "conflicting"
    assert body["confidence"] == 0.9
    assert [e["passage_id"] for e in body["supporting"]] == ["doc1:0", "doc2:0"]  # best first
    assert [e["passage_id"] for e in body["contradicting"]] == ["doc3:0"]  # doc5 is below the gate
    evidence = body["supporting"][1]
    assert set(evidence) == {
        "passage_id", "document_id", "sentence_index", "text", "outlet", "date", "title", "url",
        "similarity", "stance", "stance_score", "context",
        "also_in", "relays", "attribution", "mismatches", "source",
    }  # fmt: skip
    assert evidence["outlet"] is None
    assert evidence["date"] == "2024-11-28"
    assert evidence["stance"] == "supports"
    assert evidence["stance_score"] == 0.9
    assert evidence["context"] == {"before": None, "after": None}
    assert body["outlets"] == {"supporting": ["Outlet A"], "contradicting": ["Outlet B"]}
    assert body["index"] == {"snapshot": "snap-1", "passages": 5}
    assert body["models"] == {"embedding": "fake-embedder", "stance": "fake-stance"}


def test_unrelated_passages_are_never_scored(app: Flask, client: FlaskClient) -> None:
    client.post("/verify", json={"claim": "anything"})
    stance: FakeStance = app.config["STANCE"]
    (pairs,) = stance.calls  # one predict call per claim
    # The 0.1-similarity passage was gated out; the other four have no previous sentence, so
    # each is read once, passage -> claim.
    assert len(pairs) == 4
    assert all(hypothesis == "anything" for _, hypothesis in pairs)


def test_explain_gives_every_candidate_its_readings_and_reason(client: FlaskClient) -> None:
    plain = client.post("/verify", json={"claim": "anything"}).get_json()
    assert "explanation" not in plain
    body = client.post("/verify", json={"claim": "anything", "explain": True}).get_json()
    by_id = {e["passage_id"]: e for e in body["explanation"]}
    assert len(by_id) == 5  # every candidate, the gated one too
    assert by_id["doc1:0"]["decision"] == "supports"
    assert by_id["doc1:0"]["readings"]["with_context"]["entailment"] == 0.9
    assert by_id["doc1:0"]["readings"]["alone"] is None  # no previous sentence: one reading
    assert by_id["doc3:0"]["decision"] == "contradicts"
    assert by_id["doc4:0"]["decision"] == "left_out" and "neutral" in by_id["doc4:0"]["reason"]
    assert by_id["doc5:0"]["readings"]["with_context"] is None
    assert by_id["doc5:0"]["reason"].startswith("not read: similarity 0.10")
    assert {e["passage_id"] for e in body["supporting"]} == {
        k for k, v in by_id.items() if v["decision"] == "supports"
    }


def test_filters_and_candidates_reach_the_index(app: Flask, client: FlaskClient) -> None:
    body = {
        "claim": "c",
        "top_k": 20,
        "outlets": ["Outlet B"],
        "date_from": "2024-11-01",
        "date_to": "2024-11-30",
    }
    result = client.post("/verify", json=body).get_json()
    snapshot = app.extensions["claimwire"].runtime.loaded.snapshot
    _, k, filters = snapshot.searches[-1]
    assert k == 60  # max(3 * top_k, CANDIDATES)
    assert filters.outlets == frozenset({"Outlet B"})
    assert str(filters.date_from) == "2024-11-01" and str(filters.date_to) == "2024-11-30"
    assert result["verdict"] == "refuted"
    assert result["supporting"] == []


def test_top_k_cuts_each_side(client: FlaskClient) -> None:
    body = client.post("/verify", json={"claim": "c", "top_k": 1}).get_json()
    assert len(body["supporting"]) == 1 and len(body["contradicting"]) == 1


def test_batch_echoes_ids_in_order(client: FlaskClient) -> None:
    claims = [
        "first",
        {"id": "x-7", "claim": "second", "outlets": ["Outlet B"]},
        {"claim": "third", "top_k": 1},
    ]
    results = client.post("/verify/batch", json={"claims": claims}).get_json()["results"]
    assert [r["id"] for r in results] == ["0", "x-7", "2"]
    assert [r["claim"] for r in results] == ["first", "second", "third"]
    assert [r["verdict"] for r in results] == ["conflicting", "refuted", "conflicting"]
    assert len(results[2]["supporting"]) == 1


def test_index_describes_the_snapshot(client: FlaskClient) -> None:
    body = client.get("/index").get_json()
    assert body["snapshot"] == "snap-1"
    assert body["passages"] == 5 and body["documents"] == 5
    assert body["outlets"] == ["Outlet A", "Outlet B", "Outlet C", "Outlet D"]
    assert body["models"] == {"embedding": "fake-embedder", "stance": "fake-stance"}
    assert body["built_at"] and body["loaded_at"]


def test_ready_names_the_snapshot(client: FlaskClient) -> None:
    assert client.get("/ready").get_json() == {"status": "ready", "snapshot": "snap-1"}
