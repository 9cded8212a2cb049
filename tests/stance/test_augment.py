"""Contrastive pairs: each transformation changes one fact of the claim and sets the label by rule."""

from __future__ import annotations

import random

from stance.augment import contrastive, month_swap, negate, number_swap, year_swap
from stance.data import LABEL_IDS, Pair

E, N, C = LABEL_IDS["entailment"], LABEL_IDS["neutral"], LABEL_IDS["contradiction"]
PREMISE = "The city council ordered 40 electric buses from Halden Motors in March 2023."


def test_number_swap_turns_support_into_contradiction() -> None:
    new = number_swap(Pair(PREMISE, "The council ordered 40 buses", E, "x"), random.Random(1))
    assert new is not None and new.label == C
    assert "40" not in new.hypothesis and new.premise == PREMISE


def test_number_swap_skips_comparatives_and_other_labels() -> None:
    rng = random.Random(1)
    assert number_swap(Pair(PREMISE, "The council ordered more than 30 buses", E, "x"), rng) is None
    assert number_swap(Pair(PREMISE, "The council ordered 40 buses", N, "x"), rng) is None


def test_year_and_month_swaps() -> None:
    rng = random.Random(2)
    year = year_swap(Pair(PREMISE, "The buses were ordered in 2023", E, "x"), rng)
    assert year is not None and year.label == C and "2023" not in year.hypothesis
    month = month_swap(Pair(PREMISE, "The buses were ordered in March", E, "x"), rng)
    assert month is not None and month.label == C and "March" not in month.hypothesis


def test_negation_flips_entailment_and_contradiction_and_keeps_neutral() -> None:
    rng = random.Random(3)
    assert negate(Pair(PREMISE, "The order was placed", E, "x"), rng) == Pair(
        PREMISE, "The order was not placed", C, "augment:negation+"
    )
    assert negate(Pair(PREMISE, "The order was not placed", C, "x"), rng) == Pair(
        PREMISE, "The order was placed", E, "augment:negation-"
    )
    assert negate(Pair(PREMISE, "The buses will be delivered in May", N, "x"), rng).label == N  # type: ignore[union-attr]
    assert negate(Pair(PREMISE, "Nobody has ordered buses", C, "x"), rng) is None  # other negations: skipped


def test_contrastive_is_seeded() -> None:
    pairs = [
        Pair(PREMISE, "The council ordered 40 buses", E, "x"),
        Pair(PREMISE, "The order was placed", E, "x"),
    ]
    assert contrastive(pairs, 5) == contrastive(pairs, 5)
    assert {p.label for p in contrastive(pairs, 5)} == {C}
