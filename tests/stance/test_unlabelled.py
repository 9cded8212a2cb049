"""Unlabelled news events: valid, the sample event kept out, paired for a teacher, never trained raw."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from stance.data import LABELS, read_pairs
from stance.distill import label_pairs
from stance.model import CrossEncoderStance
from stance.train import require_labels
from stance.unlabelled import (
    UNKNOWN,
    UNLABELLED_TAG,
    check_unlabelled,
    event_number,
    load_unlabelled,
    parse_rounds,
    unlabelled_pairs,
)


@pytest.fixture(scope="module")
def events() -> list[dict[str, Any]]:
    return load_unlabelled()


def test_every_unlabelled_event_is_valid_and_spread_over_the_domains(events: list[dict[str, Any]]) -> None:
    assert len(events) >= 864
    domains = Counter(e["domain"] for e in events)
    assert len(domains) == 8 and min(domains.values()) >= 108
    # the first 84 of each domain: the transfer set the shipped model learnt from (model card)
    assert sum(event_number(e) <= 84 for e in events) == 672
    labelled = {json.loads(p.read_text())["event"] for p in Path("data/nli-news/events").glob("*.json")}
    assert not labelled & {e["event"] for e in events}


def event(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "event": "health-u1-test",
        "domain": "health",
        "split": "unlabelled",
        "articles": [
            {
                "id": "a1",
                "outlet": "The Harbour Ledger",
                "date": "2025-03-02",
                "title": "Clinic closes",
                "sentences": [
                    "The Norvik eye clinic closed on Monday after a fire in its basement.",
                    "Patients with appointments this week will be seen at the city hospital.",
                    "The clinic's director said it might reopen in April.",
                ],
            },
            {
                "id": "a2",
                "outlet": "Norvik Today",
                "date": "2025-03-03",
                "title": "Eye clinic shut for months",
                "sentences": [
                    "The eye clinic in Norvik will stay shut until at least September, the council said.",
                    "A council spokesman declined to say what caused the fire.",
                ],
            },
        ],
        "claims": [{"claim": f"Claim number {i} about the Norvik clinic"} for i in range(10)],
    }
    base.update(changes)
    return base


def test_the_checker_names_each_problem() -> None:
    assert check_unlabelled(event(), "ok.json") == []
    bad = event(
        split="train",
        claims=[{"claim": "The clinic reopened in Seoul", "label": "contradiction"}]
        + [{"claim": "The clinic reopened in Seoul"}] * 9,
    )
    problems = "\n".join(check_unlabelled(bad, "bad.json"))
    assert "split must be 'unlabelled'" in problems
    assert "sample corpus's event ('Seoul')" in problems
    assert "only the key 'claim' is allowed" in problems
    assert "repeated claim" in problems
    assert "must be named <domain>-u<n>-<slug>" in "\n".join(check_unlabelled(event(event="clinic"), "x"))
    too_few = check_unlabelled(event(claims=[{"claim": "Too few claims here"}]), "x")
    assert "needs at least" in "\n".join(too_few)


def test_pairs_are_each_claims_nearest_sentences_with_no_label(tmp_path: Path) -> None:
    one = event(
        claims=[{"claim": "The Norvik eye clinic will reopen in April"}]
        + [{"claim": f"Claim number {i} about the Norvik clinic"} for i in range(9)]
    )
    (tmp_path / "health-u1-test.json").write_text(json.dumps(one), encoding="utf-8")
    pairs = unlabelled_pairs(3, directory=tmp_path)
    assert pairs and Counter(p.hypothesis for p in pairs).most_common(1)[0][1] <= 3
    assert all(p.label == UNKNOWN and p.source == UNLABELLED_TAG for p in pairs)
    reopen = [p.premise for p in pairs if p.hypothesis == "The Norvik eye clinic will reopen in April"]
    # the hedge and the clash both reach the teacher: they are what it must tell apart
    assert len(reopen) == 3
    assert "The clinic's director said it might reopen in April." in reopen
    assert "The eye clinic in Norvik will stay shut until at least September, the council said." in reopen


def test_rounds_keep_the_events_asked_for(tmp_path: Path) -> None:
    for n in (1, 2, 3):
        one = event(
            event=f"health-u{n}-test",
            claims=[{"claim": f"Round {n} claim {i} on the Norvik clinic"} for i in range(10)],
        )
        (tmp_path / f"health-u{n}-test.json").write_text(json.dumps(one), encoding="utf-8")

    def rounds(text: str) -> set[str]:
        pairs = unlabelled_pairs(1, directory=tmp_path, rounds=parse_rounds(text))
        return {p.hypothesis.split()[1] for p in pairs}

    assert rounds("") == {"1", "2", "3"}
    assert rounds("1") == {"1"}
    assert rounds("2-3") == {"2", "3"}
    for bad in ("x", "2-", "-3", "1:2"):
        with pytest.raises(ValueError, match="<n> or <a>-<b>"):
            parse_rounds(bad)


def test_a_teacher_labels_them_and_training_refuses_them_raw(
    teacher: CrossEncoderStance, tmp_path: Path
) -> None:
    (tmp_path / "health-u1-test.json").write_text(json.dumps(event()), encoding="utf-8")
    pairs = unlabelled_pairs(1, directory=tmp_path)
    out = tmp_path / "labelled.jsonl"
    label_pairs(teacher, pairs, out, key="k")
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert rows and all("label" not in r for r in rows)  # the teacher's top label is read back
    for pair in read_pairs(out):
        assert pair.soft is not None
        assert pair.label == max(range(len(LABELS)), key=pair.soft.__getitem__)

    with pytest.raises(ValueError, match="label them with a teacher first"):
        require_labels(pairs)
    assert require_labels(read_pairs(out))
