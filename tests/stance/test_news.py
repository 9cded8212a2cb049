"""The project's news NLI set: valid files, the issue's quotas, splits by event, gold verdicts."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from stance.data import LABEL_IDS
from stance.news import (
    CATEGORIES,
    EVENTS_DIR,
    check_event,
    event_claims,
    event_pairs,
    gold_verdict,
    implied_neutrals,
    load_events,
)

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def events() -> list[dict[str, object]]:
    return load_events(REPO / EVENTS_DIR)


def test_every_event_file_is_valid_and_keeps_the_sample_event_out(events: list[dict[str, object]]) -> None:
    # load_events raises on any problem, the sample corpus's event names included
    assert len(events) >= 40
    assert len({e["domain"] for e in events}) >= 8


def test_the_quotas_of_the_data_set(events: list[dict[str, object]]) -> None:
    pairs = [p for e in events for p in event_pairs(e)]
    assert len(pairs) >= 4000
    labels = Counter(p.label for p in pairs)
    assert all(labels[label] >= 0.25 * len(pairs) for label in ("entailment", "neutral", "contradiction"))
    categories = Counter(p.category for p in pairs)
    assert all(categories[c] >= 150 for c in CATEGORIES if c != "other"), categories


def test_splits_are_by_event_and_test_is_big_enough(events: list[dict[str, object]]) -> None:
    by_split: dict[str, set[str]] = {}
    for e in events:
        by_split.setdefault(str(e["split"]), set()).add(str(e["event"]))
    assert not by_split["train"] & by_split["test"] and not by_split["dev"] & by_split["test"]
    test_pairs = [p for e in events if e["split"] == "test" for p in event_pairs(e)]
    assert len(test_pairs) >= 1000
    train_claims = {c.claim for e in events if e["split"] == "train" for c in event_claims(e)}
    assert not train_claims & {p.claim for p in test_pairs}
    # `extra` (train-like events a recipe may add) shares no claim with the splits it is judged on
    held_out = {c.claim for e in events if e["split"] in ("dev", "test") for c in event_claims(e)}
    extra_claims = {c.claim for e in events if e["split"] == "extra" for c in event_claims(e)}
    assert extra_claims and not extra_claims & held_out


def test_context_is_the_previous_sentence_of_the_same_article(events: list[dict[str, object]]) -> None:
    with_context = [p for e in events for p in event_pairs(e) if p.needs_context]
    assert with_context
    for p in with_context[:50]:
        assert p.premise.endswith(p.sentence) and p.premise != p.sentence


def test_implied_neutrals_are_the_unlabelled_sentences_nearest_each_claim(
    events: list[dict[str, object]], tmp_path: Path
) -> None:
    event = next(e for e in events if e["split"] == "train")
    (tmp_path / "one.json").write_text(json.dumps(event), encoding="utf-8")
    pairs = implied_neutrals("train", per_claim=3, directory=tmp_path)
    sentences = {s for a in event["articles"] for s in a["sentences"]}  # type: ignore[attr-defined]
    by_claim = {c["claim"]: {p["premise"] for p in c["pairs"]} for c in event["claims"]}  # type: ignore[attr-defined]
    assert len(pairs) >= len(by_claim)  # every claim of a real event has related unlabelled sentences
    assert Counter(p.hypothesis for p in pairs).most_common(1)[0][1] <= 3
    for p in pairs:
        assert p.label == LABEL_IDS["neutral"] and p.source == "nli_news:implied_neutral"
        assert p.premise in sentences and p.premise not in by_claim[p.hypothesis]

    # topical: most share a content word with their claim (the rest are paraphrase-near)
    def words(text: str) -> set[str]:
        return {w for w in re.findall(r"[a-z]+", text.lower()) if len(w) > 3}

    shared = [bool(words(p.hypothesis) & words(p.premise)) for p in pairs]
    assert sum(shared) >= 0.6 * len(pairs)


@pytest.mark.parametrize(
    ("supporting", "contradicting", "verdict"),
    [
        (["a"], [], "supported"),
        ([], ["b"], "refuted"),
        (["a"], ["b"], "conflicting"),
        ([], [], "not_enough_info"),
    ],
)
def test_gold_verdict(supporting: list[str], contradicting: list[str], verdict: str) -> None:
    assert gold_verdict(supporting, contradicting) == verdict


def test_the_checker_names_each_problem(tmp_path: Path) -> None:
    event = {
        "event": "x",
        "domain": "health",
        "split": "train",
        "articles": [
            {
                "id": "a1",
                "outlet": "O",
                "date": "2023-13-01",
                "title": "T",
                "sentences": ["One two three four."],
            },
            {
                "id": "a2",
                "outlet": "P",
                "date": "2023-01-01",
                "title": "T",
                "sentences": ["Seoul said no more."],
            },
        ],
        "claims": [
            {
                "claim": "c",
                "pairs": [
                    {"premise": "Not in the event at all.", "label": "entailment", "category": "paraphrase"},
                    {
                        "premise": "One two three four.",
                        "label": "maybe",
                        "category": "nope",
                        "needs_context": True,
                    },
                ],
            }
        ],
    }
    problems = "\n".join(check_event(json.loads(json.dumps(event)), "x.json"))
    for expected in (
        "not YYYY-MM-DD",
        "sample corpus",
        "not a sentence of the event",
        "bad label",
        "bad category",
        "first sentence",
    ):
        assert expected in problems
