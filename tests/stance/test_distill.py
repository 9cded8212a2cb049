"""Distillation: a teacher's probabilities written beside the gold label, read back, trained on."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest
import torch

from stance.data import LABEL_IDS, LABELS, Pair, read_pairs
from stance.distill import label_pairs, recipe_key
from stance.model import CrossEncoderStance, NLIScores
from stance.train import TrainConfig, augment, targets

PAIRS = [
    Pair(
        "The ministry has yet to publish its budget for next year.",
        "The ministry published its budget",
        LABEL_IDS["contradiction"],
        "test",
    ),
    Pair(
        "The city council voted to buy 40 electric buses from a Polish maker.",
        "The city is purchasing electric buses",
        LABEL_IDS["entailment"],
        "test",
    ),
    Pair(
        "The spokesman declined to say whether the talks had taken place.",
        "The talks took place",
        LABEL_IDS["neutral"],
        "test",
    ),
    Pair(
        "Fire crews reached the warehouse within 30 minutes of the first call.",
        "Firefighters took two hours to arrive at the warehouse",
        LABEL_IDS["contradiction"],
        "test",
    ),
]


def test_labels_resume_after_an_interruption_and_read_back(
    teacher: CrossEncoderStance, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "distill.jsonl"
    calls = 0
    real_predict = teacher.predict

    def stop_after_first_chunk(pairs: Sequence[tuple[str, str]]) -> list[NLIScores]:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise KeyboardInterrupt
        return real_predict(pairs)

    with monkeypatch.context() as patch:  # the instance is the session's: put predict back at once
        patch.setattr(teacher, "predict", stop_after_first_chunk)
        with pytest.raises(KeyboardInterrupt):
            label_pairs(teacher, PAIRS, out, key="k", chunk=2)
    assert not out.exists(), "an interrupted run must not publish the file"
    assert len((tmp_path / "distill.jsonl.partial").read_text().splitlines()) == 2

    assert label_pairs(teacher, PAIRS, out, key="k", chunk=2) == len(PAIRS)
    read = read_pairs(out)
    assert [(p.premise, p.label) for p in read] == [(p.premise, p.label) for p in PAIRS]
    top = []
    for pair in read:
        assert pair.soft is not None and abs(sum(pair.soft) - 1) < 1e-3
        top.append(LABELS[max(range(len(LABELS)), key=pair.soft.__getitem__)])
    # the teacher (the shipped model) files the plain paraphrase and the plain number clash
    assert top[1] == "entailment" and top[3] == "contradiction"


def test_a_partial_file_of_another_recipe_is_started_over(
    teacher: CrossEncoderStance, tmp_path: Path
) -> None:
    out = tmp_path / "distill.jsonl"
    (tmp_path / "distill.jsonl.partial").write_text('{"premise": "stale"}\n{"prem')
    (tmp_path / "distill.jsonl.partial.key").write_text("another teacher")
    label_pairs(teacher, PAIRS[:2], out, key="k")
    assert [p.premise for p in read_pairs(out)] == [p.premise for p in PAIRS[:2]]


def test_a_torn_last_line_is_dropped_on_resume(teacher: CrossEncoderStance, tmp_path: Path) -> None:
    out = tmp_path / "distill.jsonl"
    label_pairs(teacher, PAIRS[:1], out, key="first")
    first = out.read_text()
    (tmp_path / "distill.jsonl.partial").write_text(first + '{"premise": "torn')
    (tmp_path / "distill.jsonl.partial.key").write_text("k")
    label_pairs(teacher, PAIRS, out, key="k")
    assert [p.premise for p in read_pairs(out)] == [p.premise for p in PAIRS]


def test_targets_smooth_gold_as_cross_entropy_does_and_mix_in_the_teacher() -> None:
    plain = PAIRS[0]
    soft = Pair(plain.premise, plain.hypothesis, plain.label, "test", soft=(0.2, 0.1, 0.7))
    got = targets([plain, soft], label_smoothing=0.1, distill_weight=0.5)
    logits = torch.tensor([[2.0, -1.0, 0.5], [2.0, -1.0, 0.5]])
    expected = torch.nn.CrossEntropyLoss(label_smoothing=0.1)(logits[:1], torch.tensor([plain.label]))
    assert torch.nn.CrossEntropyLoss()(logits[:1], got[:1]).item() == pytest.approx(expected.item())
    gold = torch.full((3,), 0.1 / 3)
    gold[plain.label] += 0.9
    assert got[1].tolist() == pytest.approx((0.5 * torch.tensor(soft.soft) + 0.5 * gold).tolist())
    assert got.sum(-1).tolist() == pytest.approx([1.0, 1.0])


def test_augmentation_keeps_a_teachers_probabilities() -> None:
    soft = [Pair(p.premise, p.hypothesis, p.label, "t", soft=(0.1, 0.8, 0.1)) for p in PAIRS]
    recipe = TrainConfig(base="b", data=["d"], out="o", work_dir="w", distractor_context=1.0)
    view = augment(soft, recipe, epoch=0)
    assert all(p.soft == (0.1, 0.8, 0.1) for p in view)
    assert any(p.premise != q.premise for p, q in zip(view, soft, strict=True))


def test_bad_probabilities_name_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    row = {"premise": "a", "hypothesis": "b", "probs": dict.fromkeys(LABELS, 0.5)}
    path.write_text(json.dumps(row) + "\n")
    with pytest.raises(ValueError, match=r"bad.jsonl:1: .*sum to 1"):
        read_pairs(path)


def test_a_row_with_probabilities_only_takes_the_teachers_top_label(tmp_path: Path) -> None:
    path = tmp_path / "soft.jsonl"
    probs = {"contradiction": 0.1, "entailment": 0.2, "neutral": 0.7}
    path.write_text(json.dumps({"premise": "a", "hypothesis": "b", "probs": probs}) + "\n")
    (pair,) = read_pairs(path)
    assert LABELS[pair.label] == "neutral" and pair.soft == (0.1, 0.2, 0.7)


def test_a_teacher_retrained_in_place_does_not_resume_the_old_ones_file(tmp_path: Path) -> None:
    teacher = tmp_path / "teacher"
    teacher.mkdir()
    (teacher / "model.safetensors").write_bytes(b"old weights")
    before = recipe_key(str(teacher), ["nli-news:train"], 10)
    assert before == recipe_key(str(teacher), ["nli-news:train"], 10)
    (teacher / "model.safetensors").write_bytes(b"new weights, retrained")
    assert recipe_key(str(teacher), ["nli-news:train"], 10) != before
    assert recipe_key(str(teacher), ["nli-news:dev"], 10) != recipe_key(str(teacher), ["nli-news:train"], 10)


def test_refitting_the_teachers_rule_keeps_its_labelling_resumable(tmp_path: Path) -> None:
    teacher = tmp_path / "teacher"
    teacher.mkdir()
    (teacher / "model.safetensors").write_bytes(b"weights")
    (teacher / "calibration.json").write_text('{"temperature": 1.2}')
    before = recipe_key(str(teacher), ["nli-news-unlabelled:16"], 10)
    (teacher / "rule.json").write_text('{"support_threshold": 0.5}')
    assert recipe_key(str(teacher), ["nli-news-unlabelled:16"], 10) == before
    (teacher / "calibration.json").write_text('{"temperature": 1.3}')
    assert recipe_key(str(teacher), ["nli-news-unlabelled:16"], 10) != before
