"""schema.org `ClaimReview` JSON-LD for one verification: what fact-check aggregators read.

`claim_review(result, organization=..., public_url=..., published=...)` maps a `/verify` answer
to a ClaimReview with the properties schema.org and Google's fact-check markup ask for:
`claimReviewed`, `reviewRating` (`ratingValue` on a 1..5 scale, `bestRating` 5, `worstRating` 1,
`alternateName`: the verdict in words), `itemReviewed` (a `Claim`), `author` (the organisation,
`ORGANIZATION_NAME`), `datePublished` and `url`, a permalink to the claim on the service's page
(`<PUBLIC_URL>/?claim=...`, which the page verifies when opened), plus a `reviewBody` that says
what the verdict rests on.

Rating scale (documented, as the aggregators ask): 1 refuted, 3 conflicting or not enough
information (the evidence does not decide), 5 supported. No Flask here: `POST /verify` with
`Accept: application/ld+json` and `python -m service.batch --format claimreview` both call it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from .pipeline import Verdict, Verification

JSON_LD = "application/ld+json"
CONTEXT = "https://schema.org"
BEST_RATING = 5
WORST_RATING = 1
# verdict -> (ratingValue, alternateName)
RATINGS: Mapping[Verdict, tuple[int, str]] = {
    Verdict.SUPPORTED: (5, "Supported"),
    Verdict.CONFLICTING: (3, "Conflicting"),
    Verdict.NOT_ENOUGH_INFO: (3, "Not enough information"),
    Verdict.REFUTED: (1, "Refuted"),
}
#: The batch CLI's base URL when PUBLIC_URL is not set (where `make serve` listens).
LOCAL_URL = "http://127.0.0.1:8000"


def permalink(public_url: str, claim: str) -> str:
    """The page's address for this claim: opening it verifies the claim again."""
    return f"{public_url.rstrip('/')}/?claim={quote(claim, safe='')}"


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def review_body(result: Verification) -> str:
    """One paragraph: the verdict, what it rests on, and which model and snapshot decided it."""
    sources = result.independent_sources
    parts = [
        f"Verdict: {RATINGS[result.verdict][1].lower()} (confidence {result.confidence:.2f}).",
        f"{_count(len(result.supporting), 'supporting passage')} from "
        f"{_count(sources['supporting'], 'independent source')}, "
        f"{_count(len(result.contradicting), 'contradicting passage')} from "
        f"{_count(sources['contradicting'], 'independent source')}.",
    ]
    named = [s for s in dict.fromkeys(e.source for e in result.supporting + result.contradicting) if s]
    if named:
        parts.append("Sources: " + ", ".join(named) + ".")
    parts.append(
        f"Decided automatically by claimwire (stance model {result.stance_model}, "
        f"index snapshot {result.snapshot})."
    )
    return " ".join(parts)


def claim_review(
    result: Verification,
    *,
    organization: str,
    public_url: str,
    published: dt.date | None = None,
) -> dict[str, Any]:
    """The ClaimReview JSON-LD object for one verification (see the module docstring)."""
    value, words = RATINGS[result.verdict]
    base = public_url.rstrip("/")
    return {
        "@context": CONTEXT,
        "@type": "ClaimReview",
        "claimReviewed": result.claim,
        "reviewRating": {
            "@type": "Rating",
            "ratingValue": value,
            "bestRating": BEST_RATING,
            "worstRating": WORST_RATING,
            "alternateName": words,
        },
        "itemReviewed": {"@type": "Claim", "text": result.claim},
        "author": {"@type": "Organization", "name": organization, "url": f"{base}/"},
        "datePublished": (published or dt.datetime.now(dt.UTC).date()).isoformat(),
        "url": permalink(base, result.claim),
        "reviewBody": review_body(result),
    }
