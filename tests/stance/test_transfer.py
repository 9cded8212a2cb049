"""The teacher's labels committed in data/nli-news/transfer: written whole, read back as written,
refused where the events changed since."""

from __future__ import annotations

import copy
import gzip
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from stance.data import LABELS
from stance.model import CrossEncoderStance
from stance.train import read_sources
from stance.transfer import (
    LABELS_FILE,
    TEACHER_FILE,
    TRANSFER_DIR,
    event_digest,
    label_transfer,
    transfer_pairs,
)
from stance.unlabelled import UNLABELLED_TAG, unlabelled_pairs

from .test_unlabelled import event


def write_events(directory: Path, *events: dict[str, Any]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for one in events:
        (directory / f"{one['event']}.json").write_text(json.dumps(one), encoding="utf-8")


def test_labels_are_written_and_read_back_as_the_teacher_gave_them(
    teacher: CrossEncoderStance, tmp_path: Path
) -> None:
    events = tmp_path / "events"
    reopen = event(
        claims=[{"claim": "The Norvik eye clinic will reopen in April"}]
        + [{"claim": f"Claim number {i} about the Norvik clinic"} for i in range(9)]
    )
    write_events(events, reopen, event(event="health-u2-test"))
    out = tmp_path / "transfer"
    facts = label_transfer(teacher, "models/stance-minilm-l6-nli", 3, tmp_path / "work.jsonl", out, events)
    assert (out / LABELS_FILE).is_file() and not (tmp_path / "work.jsonl.partial").exists()
    meta = json.loads((out / TEACHER_FILE).read_text())
    assert meta["pairs"] == facts["pairs"] > 0 and meta["events"] == 2 and meta["pairs_per_claim"] == 3
    assert "cores" in meta["machine"] and meta["teacher"]["calibration"]

    pairs = transfer_pairs(directory=out, events_dir=events)
    assert [(p.premise, p.hypothesis) for p in pairs] == [
        (p.premise, p.hypothesis) for p in unlabelled_pairs(3, directory=events)
    ]
    assert all(p.source == UNLABELLED_TAG and p.soft is not None for p in pairs)
    # the probabilities are the teacher's (to 4 decimals), and the top one is the label
    scores = teacher.predict([(p.premise, p.hypothesis) for p in pairs[:6]])
    for pair, score in zip(pairs, scores, strict=False):
        assert pair.soft is not None
        assert pair.soft == pytest.approx([getattr(score, label) for label in LABELS], abs=2e-3)
        assert pair.label == max(range(len(LABELS)), key=pair.soft.__getitem__)
    by_claim = {
        p.premise: LABELS[p.label]
        for p in pairs
        if p.hypothesis == "The Norvik eye clinic will reopen in April"
    }
    assert by_claim[
        "The eye clinic in Norvik will stay shut until at least September, the council said."
    ] == ("contradiction")
    assert by_claim["The clinic's director said it might reopen in April."] != "contradiction"

    # rounds keep the events asked for; the same labels write the same bytes
    assert {p.hypothesis for p in transfer_pairs((2, 2), out, events)} == {
        c["claim"] for c in event(event="health-u2-test")["claims"]
    }
    first = (out / LABELS_FILE).read_bytes()
    label_transfer(teacher, "models/stance-minilm-l6-nli", 3, tmp_path / "work2.jsonl", out, events)
    assert (out / LABELS_FILE).read_bytes() == first


def test_an_event_changed_or_added_after_labelling_is_refused(
    teacher: CrossEncoderStance, tmp_path: Path
) -> None:
    events = tmp_path / "events"
    one = event()
    write_events(events, one)
    out = tmp_path / "transfer"
    label_transfer(teacher, "models/stance-minilm-l6-nli", 2, tmp_path / "work.jsonl", out, events)
    edited = copy.deepcopy(one)
    edited["articles"][0]["sentences"][0] = (
        "The Norvik eye clinic closed on Tuesday after a fire in its basement."
    )
    write_events(events, edited)
    with pytest.raises(ValueError, match="health-u1-test changed after its labels were written"):
        transfer_pairs(directory=out, events_dir=events)
    write_events(events, one, event(event="health-u3-test"))
    with pytest.raises(ValueError, match="no labels for health-u3-test"):
        transfer_pairs(directory=out, events_dir=events)
    with pytest.raises(ValueError, match="make transfer-labels writes them"):
        transfer_pairs(directory=tmp_path / "none", events_dir=events)
    with gzip.open(out / LABELS_FILE, "wt") as handle:
        handle.write('{"event": "health-u1-test", "digest": "x", "pairs": [[0, 99, 0.1, 0.2, 0.7]]}\n')
    with pytest.raises(ValueError, match="changed after"):
        transfer_pairs(directory=out, events_dir=events)
    for bad in ([0, 99, 0.1, 0.2, 0.7], [0, -1, 0.1, 0.2, 0.7], [0, 1, 0.5, 0.2, 0.7], [0, 1, 0.3, 0.7]):
        row = {"event": "health-u1-test", "digest": event_digest(one), "pairs": [bad]}
        with gzip.open(out / LABELS_FILE, "wt") as handle:
            handle.write(json.dumps(row) + "\n")
        with pytest.raises(ValueError, match="bad pair for health-u1-test"):
            transfer_pairs((1, 1), directory=out, events_dir=events)


def test_the_committed_labels_cover_every_unlabelled_event_and_read_as_a_reader_would() -> None:
    meta = json.loads((TRANSFER_DIR / TEACHER_FILE).read_text())
    pairs = read_sources(["nli-news-transfer"])
    assert len(pairs) == meta["pairs"] >= 190_000 and meta["events"] >= 960
    assert (
        max(Counter(p.hypothesis for p in pairs).values()) <= 16 * 2
    )  # a claim text may recur across events
    # the shipped recipe's 672 events (u1-u84) are a part of them
    assert 130_000 <= len(read_sources(["nli-news-transfer:84"])) < len(pairs)
    tops = Counter(LABELS[p.label] for p in pairs)
    assert (
        tops["neutral"] > len(pairs) / 2 and min(tops["entailment"], tops["contradiction"]) > len(pairs) / 20
    )
    by_pair = {(p.premise, p.hypothesis): p for p in pairs}
    denial = by_pair[
        (
            "The company has yet to receive the written licence, he said.",
            "Brunnhalde has received its written export licence",
        )
    ]
    assert LABELS[denial.label] == "contradiction"
    toll = by_pair[
        (
            "The death toll from Sunday's tanker explosion near Qarin rose to 52 on Monday, "
            "the state emergency agency said.",
            "The death toll from the Qarin explosion reached 52.",
        )
    ]
    assert LABELS[toll.label] == "entailment"
