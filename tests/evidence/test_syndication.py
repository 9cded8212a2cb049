"""Copy detection: the method and threshold, judged on hand-labelled sentence pairs."""

from __future__ import annotations

from evidence import COPY_THRESHOLD, copy_score, is_copy
from evidence.labelled import SYNDICATION_FILE, read_jsonl
from evidence.syndication import METHODS, fit_threshold

PAIRS = read_jsonl(SYNDICATION_FILE)


def test_the_labelled_pairs_hold_copies_and_independent_reports() -> None:
    assert len(PAIRS) >= 100
    copies = sum(p["copy"] for p in PAIRS)
    assert 40 <= copies <= len(PAIRS) - 40
    assert all(p["a"].strip() and p["b"].strip() and p["note"] for p in PAIRS)


def test_the_threshold_is_the_one_fitted_on_half_the_pairs_and_holds_on_the_other_half() -> None:
    fit = [p for i, p in enumerate(PAIRS) if i % 2 == 0]
    held = [p for i, p in enumerate(PAIRS) if i % 2 == 1]
    threshold, _ = fit_threshold(fit, copy_score)
    assert threshold == COPY_THRESHOLD
    said = [(copy_score(p["a"], p["b"]) >= threshold, p["copy"]) for p in held]
    tp = sum(s and c for s, c in said)
    fp = sum(s and not c for s, c in said)
    fn = sum(c and not s for s, c in said)
    assert tp >= 20
    assert tp / (tp + fp) >= 0.95 and tp / (tp + fn) >= 0.95


def test_the_chosen_method_beats_the_others_on_the_held_out_half() -> None:
    fit = [p for i, p in enumerate(PAIRS) if i % 2 == 0]
    held = [p for i, p in enumerate(PAIRS) if i % 2 == 1]

    def errors(similarity: object) -> int:
        threshold, _ = fit_threshold(fit, similarity)  # type: ignore[arg-type]
        return sum((similarity(p["a"], p["b"]) >= threshold) != p["copy"] for p in held)  # type: ignore[operator]

    chosen, *others = METHODS.values()
    assert chosen is copy_score
    assert all(errors(chosen) <= errors(other) for other in others)


def test_syndication_edits_keep_a_sentence_the_same() -> None:
    wire = (
        "Since Russia’s invasion of Ukraine in 2022, South Korea has joined U.S.-led sanctions against "
        "Moscow and shipped humanitarian and financial support to Kyiv."
    )
    assert is_copy(wire, wire)
    assert is_copy(wire, wire.replace("Kyiv", "Kiev").replace("U.S.", "US"))
    assert is_copy(wire, "SEOUL (AP) — " + wire)


def test_two_newsrooms_reporting_one_fact_are_not_copies() -> None:
    herald = (
        "Minister of National Defense Kim Yong-hyun, who spoke with his visiting Ukrainian counterpart "
        "Rustem Umerov for 30 minutes on Wednesday, said he “did not receive any proposals” from the "
        "delegation about buying the Cheongung air defense system, as some reports had speculated."
    )
    troib = (
        "On Thursday, Defense Minister Kim dismissed media reports as speculation, stating during a plenary "
        "session that he “did not receive any proposals” from the Ukrainian delegation regarding the "
        "acquisition of Cheongung air defense systems."
    )
    assert not is_copy(herald, troib)
    assert not is_copy(
        "The floods have killed two people, police said.", "The floods have killed four people, police said."
    )
