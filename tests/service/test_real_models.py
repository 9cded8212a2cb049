"""The service on the bundled sample corpus with the real models: the answers must mean the right thing.

These need the shipped stance model and tuned thresholds; they load the models once per session.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

SAMPLE_CORPUS = Path(__file__).resolve().parents[2] / "data" / "sample"

PROPELLANT = "Ukraine requested 155mm propellant charges"
CHEONGUNG = "Ukraine asked South Korea to sell it Cheongung air defense systems"
ECB = "The European Central Bank raised interest rates in November 2024"


def verify(client: FlaskClient, claim: str, **options: Any) -> dict[str, Any]:
    response = client.post("/verify", json={"claim": claim, **options})
    assert response.status_code == 200, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    return body


def test_propellant_claim_is_supported_by_both_reports(real_client: FlaskClient) -> None:
    body = verify(real_client, PROPELLANT)
    assert body["verdict"] == "supported", body
    supporting = body["supporting"]
    texts = " ".join(e["text"].lower() for e in supporting)
    assert "propellants" in texts and "launching charges" in texts
    outlets = {
        e["outlet"] for e in supporting if "propellant" in e["text"].lower() or "charge" in e["text"].lower()
    }
    assert "TROIB News" in outlets
    assert None in outlets  # the 003 article, whose outlet is unknown
    assert any(e["document_id"].startswith("003") for e in supporting)
    assert body["confidence"] >= 0.2


CHEONGUNG_SHORT = "Ukraine asked South Korea for the Cheongung air defence system"
TRUMP_PLAN = "Trump has laid out a detailed plan to end the war in Ukraine"


def test_cheongung_claim_is_supported_by_the_reports_and_never_by_the_denial(
    real_client: FlaskClient,
) -> None:
    for claim in (CHEONGUNG, CHEONGUNG_SHORT):
        body = verify(real_client, claim)
        assert body["verdict"] in {"supported", "conflicting"}, body
        assert any("cheongung" in e["text"].lower() for e in body["supporting"]), body["supporting"]
        # the defect: the minister's denial was listed as *supporting* the request
        assert not any("did not receive any proposals" in e["text"] for e in body["supporting"])


def test_a_not_yet_sentence_never_supports_the_claim_that_it_happened(real_client: FlaskClient) -> None:
    body = verify(real_client, TRUMP_PLAN, explain=True)
    assert not any("has yet to" in e["text"] for e in body["supporting"]), body["supporting"]
    read = [x for x in body["explanation"] if "has yet to outline" in x["text"]]
    assert read and read[0]["decision"] != "supports"  # it was scored, and not filed as support
    # and it is what it is: evidence against the claim
    assert any("has yet to outline" in e["text"] for e in body["contradicting"]), body["contradicting"]


def test_cheongung_claim_is_conflicting(real_client: FlaskClient) -> None:
    # the reports of the request on one side, the Korea Herald's "did not request" on the other
    body = verify(real_client, CHEONGUNG_SHORT)
    assert body["verdict"] == "conflicting", body
    assert any("did not request" in e["text"] for e in body["contradicting"]), body["contradicting"]
    assert any("specifically sought to purchase the Cheongung" in e["text"] for e in body["supporting"])


def test_reports_of_the_visit_itself_do_not_contradict(real_client: FlaskClient) -> None:
    # The SNLI-style false contradiction the two-way rule removes: these sentences report the
    # visit and say nothing against the request (the shipped model gives them 0.51-0.74
    # contradiction passage -> claim, 0.07-0.18 claim -> passage).
    body = verify(real_client, CHEONGUNG)
    texts = [e["text"] for e in body["contradicting"]]
    assert not any(t.startswith("A high-level Ukrainian military delegation") for t in texts), texts
    assert not any(t.startswith("Shin, the national security adviser") for t in texts), texts
    assert not any(t.startswith("Amid these developments") for t in texts), texts


def test_cheongung_denial_from_the_korea_herald_contradicts(real_client: FlaskClient) -> None:
    body = verify(real_client, CHEONGUNG_SHORT)
    herald = [e for e in body["contradicting"] if e["outlet"] == "The Korea Herald"]
    # the check: the Herald's report that the delegation did not request it (the defence
    # minister's "did not receive any proposals" line reads c 0.34, just under the fitted 0.35:
    # model card, Known weaknesses)
    assert any(e["text"].startswith("The delegation from Ukraine did not request") for e in herald), body[
        "contradicting"
    ]
    assert "The Korea Herald" in body["outlets"]["contradicting"]


def test_a_contradiction_phrased_far_from_the_claim_is_found(real_client: FlaskClient) -> None:
    # "avoided directly supplying arms" sits at similarity 0.35-0.40 to the claim: under the
    # support gate, over the contradiction gate (README, Verdict rules)
    body = verify(real_client, "South Korea supplies lethal weapons to Ukraine")
    assert body["verdict"] == "refuted", body
    assert body["supporting"] == []
    texts = [e["text"] for e in body["contradicting"]]
    assert any(t.startswith("But it has avoided directly supplying arms") for t in texts), texts
    assert any(t.startswith("Currently, South Korea limits its support to Ukraine") for t in texts)


def test_unrelated_claim_has_no_evidence(real_client: FlaskClient) -> None:
    body = verify(real_client, ECB)
    assert body["verdict"] == "not_enough_info", body
    assert body["supporting"] == [] and body["contradicting"] == []


def test_filters_narrow_the_evidence(real_client: FlaskClient) -> None:
    body = verify(real_client, CHEONGUNG, outlets=["The Korea Herald"])
    assert {e["outlet"] for e in body["supporting"] + body["contradicting"]} <= {"The Korea Herald"}
    undated = verify(real_client, PROPELLANT, date_from="2024-11-01")
    assert all(e["date"] is not None for e in undated["supporting"] + undated["contradicting"])


def test_evidence_fields_are_well_formed(real_client: FlaskClient) -> None:
    body = verify(real_client, CHEONGUNG)
    assert 0.0 <= body["confidence"] <= 1.0
    for evidence in body["supporting"] + body["contradicting"]:
        assert 0.0 <= evidence["stance_score"] <= 1.0
        assert -1.0 <= evidence["similarity"] <= 1.0
        assert evidence["context"].keys() == {"before", "after"}
    assert body["models"]["embedding"] and body["models"]["stance"] == "stance-minilm-l6-nli"
    index = real_client.get("/index").get_json()
    assert index["passages"] == body["index"]["passages"] > 0
    assert "The Korea Herald" in index["outlets"]


def test_publishing_a_rebuilt_index_is_picked_up(
    real_client: FlaskClient, real_models: tuple[Any, Any], sample_index: Path
) -> None:
    from index import build_index

    before = real_client.get("/index").get_json()["snapshot"]
    build_index(SAMPLE_CORPUS, sample_index, real_models[0], progress=False)  # a new snapshot id
    assert real_client.application.extensions["claimwire"].runtime.refresh() is True
    after = real_client.get("/index").get_json()["snapshot"]
    assert after != before
    assert verify(real_client, ECB)["index"]["snapshot"] == after


def test_claims_verified_together_answer_as_each_alone(sample_snapshot: Any, stance_model: Any) -> None:
    """A batch run verifies claims together (one embedder call, one stance call for all their
    passages); each answer is the one /verify gives for the claim alone."""
    from service.config import DefaultConfig, thresholds
    from service.pipeline import Query, verify, verify_many

    t = thresholds(vars(DefaultConfig))
    queries = [Query(c) for c in (PROPELLANT, CHEONGUNG, ECB, "Kyiv sent a delegation to Seoul")]
    together = verify_many(queries, sample_snapshot, stance_model, t, embedding_model="m")
    assert sum(len(v.supporting) + len(v.contradicting) for v in together) >= 5
    for query, batched in zip(queries, together, strict=True):
        alone = verify(query, sample_snapshot, stance_model, t, embedding_model="m")
        assert batched.verdict == alone.verdict, query.claim
        for side in ("supporting", "contradicting"):
            a, b = getattr(alone, side), getattr(batched, side)
            assert [e.passage_id for e in a] == [e.passage_id for e in b], (query.claim, side)
            assert [e.stance_score for e in a] == pytest.approx([e.stance_score for e in b], abs=0.02)


def test_confidence_is_the_fitted_probability_that_the_verdict_is_right(
    sample_snapshot: Any, stance_model: Any
) -> None:
    """The shipped rule maps the rule's confidence through its verdict's fitted curve: the verdict
    and the evidence stay as they are, and a verdict backed by several independent sources is
    still surer than one backed by fewer."""
    from service.config import DefaultConfig, thresholds
    from service.pipeline import Query, verify
    from stance.rule import Verdict

    t = thresholds(vars(DefaultConfig))
    assert t.confidence_map is not None  # the shipped model's rule.json has its curves
    raw_rule = thresholds({**vars(DefaultConfig), "CALIBRATED_CONFIDENCE": False})
    assert raw_rule.confidence_map is None and raw_rule == t
    answers = {}
    for claim in (PROPELLANT, CHEONGUNG, ECB, TRUMP_PLAN):
        fitted = verify(Query(claim), sample_snapshot, stance_model, t, embedding_model="m")
        raw = verify(Query(claim), sample_snapshot, stance_model, raw_rule, embedding_model="m")
        assert fitted.verdict == raw.verdict, claim
        assert [e.passage_id for e in fitted.supporting] == [e.passage_id for e in raw.supporting]
        assert [e.passage_id for e in fitted.contradicting] == [e.passage_id for e in raw.contradicting]
        assert fitted.confidence == pytest.approx(t.calibrated(fitted.verdict, raw.confidence))
        assert 0.0 < fitted.confidence < 1.0
        answers[claim] = (fitted, raw)
    # the rule alone said 0.93-0.94 for the two supported claims; on dev such answers were right
    # about seven times in ten, and so they now say
    for claim in (PROPELLANT, CHEONGUNG):
        fitted, raw = answers[claim]
        assert raw.confidence > 0.9 > fitted.confidence + 0.05 > 0.65, claim
    # no passage about the ECB in the index: not_enough_info stays all but certain
    assert answers[ECB][0].verdict == "not_enough_info" and answers[ECB][0].confidence > 0.99
    # within a verdict the order of the raw confidence is kept
    assert t.calibrated(Verdict.SUPPORTED, 0.95) > t.calibrated(Verdict.SUPPORTED, 0.75)
