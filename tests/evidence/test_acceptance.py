"""Issue 14's acceptance on the bundled corpus, through POST /verify with the real models.

Which passages land in `supporting` / `contradicting` is the stance model's business; relays,
attribution and mismatches are properties of the passage (and the claim), so they are checked on
the `"explain": true` entries, which list every candidate, and on whatever evidence is listed.
"""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

CHEONGUNG = "Ukraine asked South Korea for the Cheongung air defence system"
TALKS = "The talks lasted two hours"


def verify(client: FlaskClient, claim: str, **options: Any) -> dict[str, Any]:
    response = client.post("/verify", json={"claim": claim, "explain": True, **options})
    assert response.status_code == 200, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    return body


def test_cheongung_answer_counts_independent_sources_and_troib_relays_rt(real_client: FlaskClient) -> None:
    body = verify(real_client, CHEONGUNG, top_k=50)  # top_k 50: the lists are uncut, as counted
    assert set(body["independent_sources"]) == {"supporting", "contradicting"}
    for side in ("supporting", "contradicting"):
        listed = body[side]
        sources = {e["source"] if e["source"] is not None else f"document:{e['document_id']}" for e in listed}
        assert body["independent_sources"][side] == len(sources) <= len(listed)
    assert body["independent_sources"]["supporting"] + body["independent_sources"]["contradicting"] >= 1

    troib = [e for e in body["explanation"] if e["outlet"] == "TROIB News"]
    assert troib, "no TROIB News passage among the candidates"
    assert all(e["relays"][0] == "RT" for e in troib)
    assert {"RT", "SBS"} <= set(troib[0]["relays"])
    for evidence in body["supporting"] + body["contradicting"]:
        if evidence["outlet"] == "TROIB News":
            assert evidence["relays"][0] == "RT"
        if evidence["document_id"].startswith("003"):  # outlet unknown, relays SBS News throughout
            assert evidence["relays"] == ["SBS"] and evidence["source"] == "SBS"


def test_the_ministers_words_in_the_korea_herald_are_attributed_to_him(real_client: FlaskClient) -> None:
    body = verify(real_client, CHEONGUNG)
    (denial,) = [
        e
        for e in body["explanation"]
        if e["outlet"] == "The Korea Herald" and "did not receive any proposals" in e["text"]
    ]
    assert denial["attribution"]["kind"] in {"quote", "reported_speech"}
    assert "Kim Yong-hyun" in denial["attribution"]["speaker"]
    for evidence in body["supporting"] + body["contradicting"]:
        if evidence["passage_id"] == denial["passage_id"]:
            assert evidence["attribution"] == denial["attribution"]


def test_two_hours_is_flagged_against_the_thirty_minute_passage(real_client: FlaskClient) -> None:
    body = verify(real_client, TALKS)
    (thirty,) = [e for e in body["explanation"] if "for 30 minutes" in e["text"]]
    assert thirty["mismatches"] == [{"kind": "unit", "claim": "two hours", "passage": "30 minutes"}]
    flagged = [e for e in body["explanation"] if e["mismatches"]]
    assert flagged == [thirty]  # no other sample passage states a duration
    for evidence in body["supporting"] + body["contradicting"]:
        if evidence["passage_id"] == thirty["passage_id"]:
            assert evidence["mismatches"] == thirty["mismatches"]


def test_batch_and_http_give_the_same_evidence(real_client: FlaskClient) -> None:
    single = real_client.post("/verify", json={"claim": CHEONGUNG, "top_k": 5}).get_json()
    batch = real_client.post("/verify/batch", json={"claims": [{"claim": CHEONGUNG, "top_k": 5}]}).get_json()
    (item,) = batch["results"]
    for key in ("supporting", "contradicting", "independent_sources", "confidence", "verdict"):
        assert item[key] == single[key], key
