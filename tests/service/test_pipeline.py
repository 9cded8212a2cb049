"""The decision rule on its own (`stance.rule`): a passage's side, the verdict table, the readings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import pytest
from service_fakes import passage

from index import SearchHit
from service.config import thresholds
from service.pipeline import (
    Evidence,
    Reading,
    Stance,
    Thresholds,
    Verdict,
    assess,
    classify,
    decide,
    distinct_outlets,
    parse_date,
    read_stance,
)
from stance.context import refers_back
from stance.model import NLIScores

# The rules under test, with fixed numbers (the shipped ones are fitted on dev, `rule.json`).
T = Thresholds(
    support_threshold=0.5,
    contradict_threshold=0.5,
    min_contradict_similarity=0.45,
    verdict_threshold=0.6,
    conflict_threshold=0.75,
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
        (0.5, 0.6, 0.7, Stance.CONTRADICTS),  # a denial also read as entailing: never support
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
    evidence = classify(hit(similarity), Reading(entailment, contradiction), T)
    assert (evidence.stance if evidence else None) == expected
    if evidence is not None:
        assert evidence.stance_score == (entailment if expected is Stance.SUPPORTS else contradiction)


def test_support_has_its_own_similarity_gate() -> None:
    gated = replace(T, min_support_similarity=0.4)
    assert classify(hit(0.39), Reading(0.9, 0.05), gated) is None
    supports = classify(hit(0.4), Reading(0.9, 0.05), gated)
    assert supports is not None and supports.stance is Stance.SUPPORTS
    # the support gate leaves contradictions to their own gate
    contradicts = classify(hit(0.46), Reading(0.05, 0.9), replace(gated, min_support_similarity=0.6))
    assert contradicts is not None and contradicts.stance is Stance.CONTRADICTS
    assert "too far from the claim to support it" in gated.reason(Reading(0.9, 0.05), 0.39)


@pytest.mark.parametrize(
    ("similarity", "contradiction", "expected"),
    [
        (0.5, 0.4, Stance.CONTRADICTS),  # at similarity 0.5 the threshold itself
        (0.5, 0.39, None),
        (0.7, 0.25, Stance.CONTRADICTS),  # close to the claim: 0.4 - 0.2 needed
        (0.9, 0.19, None),  # never under the floor, 0.2
        (0.9, 0.21, Stance.CONTRADICTS),
        (0.45, 0.44, None),  # further off: 0.45 needed
        (0.45, 0.46, Stance.CONTRADICTS),
    ],
)
def test_a_passage_closer_to_the_claim_needs_less_contradiction(
    similarity: float, contradiction: float, expected: Stance | None
) -> None:
    t = replace(T, contradict_threshold=0.4, contradict_slope=1.0, min_contradict_similarity=0.3)
    r = Reading(0.05, contradiction)
    assert t.stance(r, similarity)[0] is expected
    reason = t.reason(r, similarity)
    assert reason.startswith("contradicts" if expected else "left out, neutral"), reason
    assert replace(t, contradict_slope=0.0).contradiction_needed(0.9) == 0.4  # no slope: one threshold


def test_reading_takes_the_stronger_of_context_and_alone() -> None:
    r = Reading.combine(NLIScores(0.4, 0.3, 0.3), NLIScores(0.1, 0.26, 0.64))
    assert (r.entailment, r.contradiction) == (0.4, 0.64)
    assert Reading.combine(NLIScores(0.7, 0.2, 0.1)) == Reading(0.7, 0.1, 0.2, (0.7, 0.2, 0.1), None)


def ev(stance: Stance, score: float) -> Evidence:
    contradiction = score if stance is Stance.CONTRADICTS else 0.0
    e = classify(hit(0.9), Reading(score if stance is Stance.SUPPORTS else 0.0, contradiction), T)
    assert e is not None
    return e


@pytest.mark.parametrize(
    ("support", "contra", "best", "verdict", "confidence"),
    [
        ([0.9, 0.7], [], 0.9, Verdict.SUPPORTED, 0.9),
        ([], [0.8], 0.8, Verdict.REFUTED, 0.8),
        ([0.9], [0.8], 0.9, Verdict.CONFLICTING, 0.8),
        ([0.9], [0.7], 0.9, Verdict.SUPPORTED, 0.9),  # both confident, one not strong: the stronger wins
        ([0.65], [0.7], 0.7, Verdict.REFUTED, 0.7),
        ([0.9], [0.55], 0.9, Verdict.SUPPORTED, 0.9),  # unconfident contradiction listed, not decisive
        ([0.55], [0.52], 0.55, Verdict.NOT_ENOUGH_INFO, 0.45),
        ([], [], 0.2, Verdict.NOT_ENOUGH_INFO, 0.8),
        ([], [], None, Verdict.NOT_ENOUGH_INFO, 1.0),  # nothing relevant at all
        ([0.75], [0.75], 0.75, Verdict.CONFLICTING, 0.75),  # CONFLICT_THRESHOLD is inclusive
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


@pytest.mark.parametrize(
    ("support", "contra", "verdict", "confidence"),
    [
        ([0.7], [0.65], Verdict.CONFLICTING, 0.65),  # both count, neither surer by 0.1: a conflict
        ([0.65], [0.72], Verdict.CONFLICTING, 0.65),
        ([0.9], [0.7], Verdict.SUPPORTED, 0.9),  # 0.2 apart: the stronger side wins
        ([0.7], [0.8], Verdict.REFUTED, 0.8),  # exactly the margin apart: not a conflict
        ([0.7], [0.55], Verdict.SUPPORTED, 0.7),  # a side under VERDICT_THRESHOLD never conflicts
    ],
)
def test_a_margin_makes_evenly_matched_sides_conflicting(
    support: list[float], contra: list[float], verdict: Verdict, confidence: float
) -> None:
    t = replace(T, conflict_margin=0.1)
    sides = [ev(Stance.SUPPORTS, s) for s in support], [ev(Stance.CONTRADICTS, c) for c in contra]
    got = decide(*sides, 0.9, t)
    assert got == (verdict, pytest.approx(confidence))
    assert T.conflict_margin == 0.0  # the default keeps the stronger side (older rule.json files)


def test_settings_override_the_fitted_rule() -> None:
    fitted = thresholds({})
    assert fitted == thresholds({"SUPPORT_THRESHOLD": None})
    changed = thresholds({"SUPPORT_THRESHOLD": "0.91", "CANDIDATES": "40"})
    assert changed == replace(fitted, support_threshold=0.91, candidates=40)


def test_distinct_outlets_keep_order_and_skip_unknown() -> None:
    items = [classify(hit(0.9, outlet), Reading(0.9, 0.0), T) for outlet in ["B", None, "A", "B"]]
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


def test_read_stance_reads_each_passage_with_context_and_alone_in_one_batch() -> None:
    claim = "Ukraine asked to buy the system"
    denial = replace(passage(1, "He received no proposals."), context_before="They met on Thursday.")
    first = passage(2, "Markets rose.")
    with_context = "They met on Thursday. He received no proposals."
    model = ScriptedStance(
        {
            (with_context, claim): (0.4, 0.3, 0.3),  # context distracts
            ("He received no proposals.", claim): (0.1, 0.26, 0.64),  # alone: a denial
        }
    )
    hits = [SearchHit(denial, 0.6, 0.6, None, None), SearchHit(first, 0.4, 0.4, None, None)]
    near, other = read_stance(claim, hits, model)
    (batch,) = model.calls  # one batch for every reading
    assert batch == [(with_context, claim), ("Markets rose.", claim), ("He received no proposals.", claim)]
    assert (near.entailment, near.contradiction) == (0.4, 0.64)
    assert classify(hits[0], near, T) is not None and classify(hits[0], near, T).stance is Stance.CONTRADICTS  # type: ignore[union-attr]
    assert (other.entailment, other.contradiction) == (0.1, 0.1)  # no context: read once


def test_a_passage_that_only_borrows_its_listed_previous_sentence_is_left_out() -> None:
    first = passage(1, "The ministry ordered 40 buses.")
    second = replace(
        passage(1, "They will arrive in May."),
        passage_id="doc1:1",
        sentence_index=1,
        context_before=first.text,
    )
    own = replace(second, passage_id="doc1:2", sentence_index=2, text="It also bought 40 buses.")
    hits = [SearchHit(p, 0.7, 0.7, None, None) for p in (first, second, own)]
    readings = [
        Reading.combine(NLIScores(0.9, 0.05, 0.05)),
        Reading.combine(NLIScores(0.8, 0.1, 0.1), NLIScores(0.1, 0.8, 0.1)),  # support only with context
        Reading.combine(NLIScores(0.8, 0.1, 0.1), NLIScores(0.85, 0.1, 0.05)),  # its own support
    ]
    result = assess(hits, readings, T)
    assert [e.passage_id for e in result.supporting] == ["doc1:0", "doc1:2"]
    assert result.borrowed == {"doc1:1"}
    assert result.verdict is Verdict.SUPPORTED


def test_a_rule_without_context_weight_reads_each_passage_once_alone() -> None:
    claim = "The ministry ordered buses"
    second = replace(
        passage(1, "They cost 40 million."), passage_id="doc1:1", sentence_index=1, context_before="Intro."
    )
    model = ScriptedStance({("They cost 40 million.", claim): (0.2, 0.7, 0.1)})
    (r,) = read_stance(claim, [SearchHit(second, 0.6, 0.6, None, None)], model, with_context=False)
    assert model.calls == [[("They cost 40 million.", claim)]]
    assert (r.with_context, r.alone) == (None, (0.2, 0.7, 0.1))
    assert replace(T, context_weight=0.0).scores(r) == (0.2, 0.1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("They did not request the system.", True),
        ('"It was signed on Monday," he said.', True),
        ("This follows talks in May.", True),
        ("But it has avoided supplying arms.", True),
        ("However, they declined.", True),
        ("Butter prices rose.", False),
        ("Their offer was turned down.", True),
        ("The delegation did not request the system.", False),  # names its subject
        ("Thistle exports rose.", False),  # a word, not the pronoun
        ("Seoul denied it.", False),  # the pronoun is not where the sentence starts
    ],
)
def test_refers_back_finds_sentences_that_open_by_pointing_back(text: str, expected: bool) -> None:
    assert refers_back(text) is expected


def test_a_passage_that_refers_back_is_read_with_its_previous_sentence_the_rest_alone() -> None:
    claim = "Ukraine asked for the system"
    before = "The Ukrainian delegation met officials in Seoul."
    back = replace(
        passage(1, "They did not request the system."),
        passage_id="doc1:1",
        sentence_index=1,
        context_before=before,
    )
    own = replace(
        passage(1, "Seoul received no request."),
        passage_id="doc1:2",
        sentence_index=2,
        context_before="Intro.",
    )
    joined = f"{before} They did not request the system."
    model = ScriptedStance(
        {
            (joined, claim): (0.05, 0.1, 0.85),  # with its subject: a denial
            ("They did not request the system.", claim): (0.1, 0.6, 0.3),  # alone: who?
            ("Seoul received no request.", claim): (0.1, 0.3, 0.6),
        }
    )
    rule = replace(T, context_weight=0.0, reference_weight=0.75)
    hits = [SearchHit(p, 0.6, 0.6, None, None) for p in (back, own)]
    r_back, r_own = read_stance(claim, hits, model, with_context=rule.reads_with_context)
    (batch,) = model.calls  # one model call; only the referring passage is read twice
    assert batch == [
        (joined, claim),
        ("Seoul received no request.", claim),
        ("They did not request the system.", claim),
    ]
    assert r_back.refers_back and not r_own.refers_back
    assert rule.scores(r_back) == pytest.approx((0.75 * 0.05 + 0.25 * 0.1, 0.75 * 0.85 + 0.25 * 0.3))
    assert rule.stance(r_back, 0.6)[0] is Stance.CONTRADICTS
    note = "(opens by referring back: read 0.75 with its previous sentence)"
    assert rule.reason(r_back, 0.6).endswith(note)
    assert (r_own.with_context, rule.scores(r_own)) == (None, (0.1, 0.6))
    # without the reference weight every passage is read alone, once
    assert replace(rule, reference_weight=0.0).scores(r_back) == (0.1, 0.3)
    assert not replace(rule, reference_weight=0.0).reads_with_context(True)


def test_the_reference_weight_never_lowers_the_context_weight() -> None:
    r = Reading.combine(NLIScores(0.8, 0.1, 0.1), NLIScores(0.2, 0.7, 0.1), refers_back=True)
    rule = replace(T, context_weight=0.5, reference_weight=0.0)
    assert rule.scores(r) == pytest.approx((0.5, 0.1))
    assert replace(rule, context_weight=None).scores(r) == (0.8, 0.1)  # unset: the stronger reading


def test_reference_weight_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError, match="REFERENCE_WEIGHT must be between 0 and 1"):
        Thresholds.from_config({"REFERENCE_WEIGHT": 1.5})
