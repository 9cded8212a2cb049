"""The pipeline's rules on their own: classification thresholds and the verdict table."""

from __future__ import annotations

import pytest
from service_fakes import passage

from index import SearchHit
from service.pipeline import (
    Evidence,
    Stance,
    Thresholds,
    Verdict,
    classify,
    decide,
    distinct_outlets,
    parse_date,
)

# The rules under test, with fixed numbers (the shipped defaults are tuned separately).
T = Thresholds(
    support_threshold=0.5, contradict_threshold=0.5, min_contradict_similarity=0.45, verdict_threshold=0.6
)


def hit(similarity: float, outlet: str | None = "A") -> SearchHit:
    return SearchHit(passage(1, "text", outlet=outlet), similarity, similarity, None, None)


@pytest.mark.parametrize(
    ("similarity", "entailment", "contradiction", "expected"),
    [
        (0.5, 0.9, 0.05, Stance.SUPPORTS),
        (0.5, 0.5, 0.1, Stance.SUPPORTS),  # thresholds are inclusive
        (0.5, 0.49, 0.1, None),
        (0.5, 0.5, 0.5, None),  # a tie is neither
        (0.5, 0.05, 0.9, Stance.CONTRADICTS),
        (0.45, 0.05, 0.5, Stance.CONTRADICTS),
        (0.44, 0.05, 0.9, None),  # too far from the claim to contradict it
        (0.40, 0.9, 0.05, Stance.SUPPORTS),  # the stricter gate is for contradictions only
        (0.5, 0.3, 0.3, None),  # neutral
    ],
)
def test_classify(
    similarity: float, entailment: float, contradiction: float, expected: Stance | None
) -> None:
    evidence = classify(hit(similarity), entailment, contradiction, T)
    assert (evidence.stance if evidence else None) == expected
    if evidence is not None:
        assert evidence.stance_score == max(entailment, contradiction)


def ev(stance: Stance, score: float) -> Evidence:
    e = classify(
        hit(0.9),
        score if stance is Stance.SUPPORTS else 0.0,
        score if stance is Stance.CONTRADICTS else 0.0,
        T,
    )
    assert e is not None
    return e


@pytest.mark.parametrize(
    ("support", "contra", "best", "verdict", "confidence"),
    [
        ([0.9, 0.7], [], 0.9, Verdict.SUPPORTED, 0.9),
        ([], [0.8], 0.8, Verdict.REFUTED, 0.8),
        ([0.9], [0.7], 0.9, Verdict.CONFLICTING, 0.7),
        ([0.9], [0.55], 0.9, Verdict.SUPPORTED, 0.9),  # unconfident contradiction listed, not decisive
        ([0.55], [0.52], 0.55, Verdict.NOT_ENOUGH_INFO, 0.45),
        ([], [], 0.2, Verdict.NOT_ENOUGH_INFO, 0.8),
        ([], [], None, Verdict.NOT_ENOUGH_INFO, 1.0),  # nothing relevant at all
        ([0.6], [0.6], 0.6, Verdict.CONFLICTING, 0.6),  # VERDICT_THRESHOLD is inclusive
    ],
)
def test_verdict_table(
    support: list[float], contra: list[float], best: float | None, verdict: Verdict, confidence: float
) -> None:
    got = decide(
        [ev(Stance.SUPPORTS, s) for s in support], [ev(Stance.CONTRADICTS, c) for c in contra], best, T
    )
    assert got[0] == verdict
    assert got[1] == pytest.approx(confidence)


def test_distinct_outlets_keep_order_and_skip_unknown() -> None:
    items = [classify(hit(0.9, outlet), 0.9, 0.0, T) for outlet in ["B", None, "A", "B"]]
    assert distinct_outlets([e for e in items if e]) == ["B", "A"]


DATES = [
    ("2024-11-28", "2024-11-28"),
    ("2024-11-28T10:00:00Z", "2024-11-28"),
    (None, None),
    ("", None),
    ("?", None),
]


@pytest.mark.parametrize(("raw", "parsed"), DATES)
def test_parse_date(raw: str | None, parsed: str | None) -> None:
    value = parse_date(raw)
    assert (value.isoformat() if value else None) == parsed
