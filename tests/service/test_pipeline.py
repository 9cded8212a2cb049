"""The pipeline's rules on their own: classification thresholds and the verdict table."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

import pytest
from service_fakes import passage

from index import SearchHit
from service.pipeline import (
    Evidence,
    Reading,
    Stance,
    Thresholds,
    Verdict,
    classify,
    decide,
    distinct_outlets,
    mutual_contradiction,
    parse_date,
    read_stance,
)
from stance.model import NLIScores

# The rules under test, with fixed numbers (the shipped defaults are tuned separately).
T = Thresholds(
    support_threshold=0.5, contradict_threshold=0.5, min_contradict_similarity=0.45, verdict_threshold=0.6
)


def hit(similarity: float, outlet: str | None = "A") -> SearchHit:
    return SearchHit(passage(1, "text", outlet=outlet), similarity, similarity, None, None)


@pytest.mark.parametrize(
    ("similarity", "entailment", "contradiction", "mutual", "expected"),
    [
        (0.5, 0.9, 0.05, 0.05, Stance.SUPPORTS),
        (0.5, 0.5, 0.1, 0.1, Stance.SUPPORTS),  # thresholds are inclusive
        (0.5, 0.49, 0.1, 0.1, None),
        (0.5, 0.5, 0.5, 0.5, None),  # a tie is neither
        (0.5, 0.05, 0.9, 0.9, Stance.CONTRADICTS),
        (0.45, 0.05, 0.5, 0.5, Stance.CONTRADICTS),
        (0.5, 0.05, 0.9, 0.3, None),  # contradicts one way only: not a conflict
        (0.44, 0.05, 0.9, 0.9, None),  # too far from the claim to contradict it
        (0.40, 0.9, 0.05, 0.0, Stance.SUPPORTS),  # the stricter gate is for contradictions only
        (0.5, 0.3, 0.3, 0.3, None),  # neutral
    ],
)
def test_classify(
    similarity: float, entailment: float, contradiction: float, mutual: float, expected: Stance | None
) -> None:
    evidence = classify(hit(similarity), Reading(entailment, contradiction, mutual), T)
    assert (evidence.stance if evidence else None) == expected
    if evidence is not None:
        assert evidence.stance_score == (entailment if expected is Stance.SUPPORTS else mutual)


def test_mutual_contradiction_needs_both_directions() -> None:
    assert mutual_contradiction(0.81, 0.81) == pytest.approx(0.81)
    assert mutual_contradiction(0.9, 0.1) == pytest.approx(0.3)
    assert mutual_contradiction(0.9, 0.0) == 0.0


def ev(stance: Stance, score: float) -> Evidence:
    contradiction = score if stance is Stance.CONTRADICTS else 0.0
    e = classify(
        hit(0.9), Reading(score if stance is Stance.SUPPORTS else 0.0, contradiction, contradiction), T
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
    items = [classify(hit(0.9, outlet), Reading(0.9, 0.0, 0.0), T) for outlet in ["B", None, "A", "B"]]
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


class ScriptedStance:
    """Scores looked up by (premise, hypothesis); records the single batch it is given."""

    name = "scripted"

    def __init__(self, table: dict[tuple[str, str], tuple[float, float, float]]) -> None:
        self.table = table
        self.calls: list[list[tuple[str, str]]] = []

    def predict(self, pairs: Sequence[tuple[str, str]]) -> list[NLIScores]:
        self.calls.append(list(pairs))
        return [NLIScores(*self.table.get(p, (0.1, 0.8, 0.1))) for p in pairs]


def test_read_stance_reads_close_passages_alone_and_both_ways() -> None:
    claim = "Ukraine asked to buy the system"
    denial = replace(passage(1, "He received no proposals."), context_before="They met on Thursday.")
    far = passage(2, "Markets rose.")
    with_context = "They met on Thursday. He received no proposals."
    model = ScriptedStance(
        {
            (with_context, claim): (0.4, 0.3, 0.3),  # context distracts the forward reading
            ("He received no proposals.", claim): (0.1, 0.26, 0.64),  # alone: a denial
            (claim, "He received no proposals."): (0.1, 0.0, 0.9),  # and the other way round
        }
    )
    hits = [SearchHit(denial, 0.6, 0.6, None, None), SearchHit(far, 0.4, 0.4, None, None)]
    near, distant = read_stance(claim, hits, model, T)
    (batch,) = model.calls  # one batch for every reading
    assert batch[:2] == [(with_context, claim), ("Markets rose.", claim)]
    assert set(batch[2:]) == {("He received no proposals.", claim), (claim, "He received no proposals.")}
    assert (near.entailment, near.contradiction) == (0.4, 0.3)  # support is judged with context
    assert near.mutual == pytest.approx(math.sqrt(0.64 * 0.9))
    assert distant.mutual == 0.0  # below the contradiction gate: never read both ways
