"""ClaimReview JSON-LD: `POST /verify` with `Accept: application/ld+json`, and `--format claimreview`.

The fields checked are those schema.org's ClaimReview and Google's fact-check markup (read by the
fact-check aggregators) require or recommend: `claimReviewed`, `reviewRating` (a `Rating` with a
numeric value inside `worstRating`..`bestRating` and the verdict in words as `alternateName`),
`url` (absolute, on the publisher's own host), `author` (an Organization with a name),
`datePublished` and `itemReviewed` (a `Claim`).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient
from service_fakes import FakeEmbedder, FakeSnapshot, FakeStance, default_rows, fake_config, publish

from service import create_app
from service.batch import completed_ids, read_claims, run
from service.claimreview import JSON_LD, RATINGS, claim_review
from service.pipeline import Query, Thresholds, Verdict, verify
from service.runtime import Loaded
from service.schemas import ClaimReviewSchema

CLAIM = "Ukraine asked for propellant charges"
WORDS = {
    "supported": "Supported",
    "refuted": "Refuted",
    "conflicting": "Conflicting",
    "not_enough_info": "Not enough information",
}


def check_claim_review(review: dict[str, Any], claim: str, organization: str, host: str) -> None:
    """Every property the aggregators need, with the values it must have."""
    assert ClaimReviewSchema().validate(review) == {}
    assert review["@context"] == "https://schema.org" and review["@type"] == "ClaimReview"
    assert review["claimReviewed"] == claim
    rating = review["reviewRating"]
    assert rating["@type"] == "Rating"
    assert (rating["worstRating"], rating["bestRating"]) == (1, 5)
    assert isinstance(rating["ratingValue"], int) and 1 <= rating["ratingValue"] <= 5
    assert rating["alternateName"] in WORDS.values()
    assert review["itemReviewed"]["@type"] == "Claim" and review["itemReviewed"]["text"] == claim
    assert review["author"]["@type"] == "Organization" and review["author"]["name"] == organization
    assert dt.date.fromisoformat(review["datePublished"]) == dt.datetime.now(dt.UTC).date()
    url = urlsplit(review["url"])
    assert url.scheme in {"http", "https"} and url.netloc == host and url.path == "/"
    assert parse_qs(url.query) == {"claim": [claim]}  # the page's permalink for this claim
    assert urlsplit(review["author"]["url"]).netloc == host  # same domain as the review
    assert review["reviewBody"].startswith("Verdict: ")


def test_verify_answers_json_ld_when_asked(index_dir: Path) -> None:
    publish(index_dir, "snap-1")
    app = create_app(
        fake_config(index_dir, ORGANIZATION_NAME="Seoul Fact Desk", PUBLIC_URL="https://facts.example.org")
    )
    client = app.test_client()
    try:
        response = client.post("/verify", json={"claim": CLAIM}, headers={"Accept": JSON_LD})
        assert response.status_code == 200
        assert response.mimetype == JSON_LD and "Accept" in response.headers["Vary"]
        review = response.get_json(force=True)
        check_claim_review(review, CLAIM, "Seoul Fact Desk", "facts.example.org")
        plain = client.post("/verify", json={"claim": CLAIM}).get_json()
        assert review["reviewRating"]["alternateName"] == WORDS[plain["verdict"]] == "Conflicting"
        assert review["reviewRating"]["ratingValue"] == 3
        assert "2 supporting passages" in review["reviewBody"] and "Outlet A" in review["reviewBody"]
    finally:
        app.extensions["claimwire"].runtime.stop()


def test_json_stays_the_default(client: FlaskClient) -> None:
    for headers in (
        {},
        {"Accept": "application/json"},
        {"Accept": "*/*"},
        {"Accept": "application/json, */*"},
    ):
        response = client.post("/verify", json={"claim": CLAIM}, headers=headers)
        assert response.mimetype == "application/json", headers
        assert response.get_json()["verdict"] == "conflicting"
        assert "Accept" in response.headers["Vary"]


def test_without_public_url_the_permalink_is_on_the_requests_host(client: FlaskClient) -> None:
    review = client.post(
        "/verify", json={"claim": CLAIM}, headers={"Accept": JSON_LD}, base_url="http://verify.local:8080"
    ).get_json(force=True)
    check_claim_review(review, CLAIM, "claimwire", "verify.local:8080")


def test_a_bad_request_is_still_problem_json(client: FlaskClient) -> None:
    response = client.post("/verify", json={"claim": ""}, headers={"Accept": JSON_LD})
    assert response.status_code == 422 and response.mimetype == "application/problem+json"


@pytest.mark.parametrize(
    ("verdict", "value"),
    [(Verdict.SUPPORTED, 5), (Verdict.REFUTED, 1), (Verdict.CONFLICTING, 3), (Verdict.NOT_ENOUGH_INFO, 3)],
)
def test_every_verdict_has_a_rating_and_a_name(verdict: Verdict, value: int) -> None:
    snapshot = FakeSnapshot("snap-1", default_rows())
    result = verify(Query(CLAIM), snapshot, FakeStance(), Thresholds(), embedding_model="fake")
    review = claim_review(
        result.__class__(**{**result.__dict__, "verdict": verdict}),
        organization="Desk",
        public_url="https://desk.example/",
        published=dt.date(2024, 11, 29),
    )
    assert review["reviewRating"]["ratingValue"] == value == RATINGS[verdict][0]
    assert review["reviewRating"]["alternateName"] == WORDS[verdict.value]
    assert review["datePublished"] == "2024-11-29"
    assert review["url"] == "https://desk.example/?claim=Ukraine%20asked%20for%20propellant%20charges"


def test_batch_writes_claim_reviews_and_resumes_on_their_identifiers(tmp_path: Path) -> None:
    claims = tmp_path / "claims.jsonl"
    claims.write_text(
        f'{{"id": "c1", "claim": "{CLAIM}"}}\n{{"id": "c2", "claim": "Shares fell"}}\nnot json\n'
    )
    out = tmp_path / "reviews.jsonl"
    loaded = Loaded(FakeSnapshot("snap-1", default_rows()), FakeEmbedder(), FakeStance(), Path("snap-1"), 0.0)
    summary = run(
        list(read_claims(claims)),
        out,
        loaded,
        Thresholds(),
        progress=False,
        output="claimreview",
        organization="Desk",
        public_url="https://desk.example",
    )
    assert (summary.verified, summary.errors) == (2, 1)
    records = [json.loads(line) for line in out.read_text().splitlines()]
    reviews = [r for r in records if "@type" in r]
    assert [r["identifier"] for r in reviews] == ["c1", "c2"]
    check_claim_review(
        {k: v for k, v in reviews[0].items() if k != "identifier"}, CLAIM, "Desk", "desk.example"
    )
    assert records[2]["id"] == "3" and records[2]["error"]["status"] == 422
    assert completed_ids(out) == {"c1", "c2", "3"}
    again = run(list(read_claims(claims)), out, loaded, Thresholds(), progress=False, output="claimreview")
    assert again.skipped == 3 and again.verified == 0


def test_the_real_answer_as_a_claim_review(real_client: FlaskClient) -> None:
    claim = "Ukraine asked South Korea for the Cheongung air defence system"
    plain = real_client.post("/verify", json={"claim": claim}).get_json()
    review = real_client.post("/verify", json={"claim": claim}, headers={"Accept": JSON_LD}).get_json(
        force=True
    )
    check_claim_review(review, claim, "claimwire", "localhost")
    assert review["reviewRating"]["alternateName"] == WORDS[plain["verdict"]]
    assert f"confidence {plain['confidence']:.2f}" in review["reviewBody"]
