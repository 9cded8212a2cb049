"""The shipped stance model: offline loading, label mapping, and how it reads the sample corpus."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from stance.calibrate import holdout_split
from stance.context import ContextMode, build_premise
from stance.model import (
    SHIPPED_MODEL,
    CrossEncoderStance,
    StanceModelError,
    batched_logits,
    label_indices,
    linear_weights_bf16,
    write_ensemble,
)

REPO = Path(__file__).resolve().parents[2]

# Sentences as they stand in data/sample, with the previous sentence of their article.
PROPELLANT_003 = (
    "The delegation even requested 155 mm artillery shell propellants, suggesting that if lethal "
    "ammunition sales were impossible, they would settle for propellant materials."
)
PROPELLANT_003_BEFORE = (
    "Government sources revealed that Ukraine was particularly interested in purchasing non-lethal weaponry."
)
PROPELLANT_TROIB = "Additionally, they requested launching charges for 155mm shells, according to the source."
PROPELLANT_TROIB_BEFORE = (
    "SBS reported that a government source indicated Kiev's intention to negotiate the purchase of weapons "
    "from South Korean defense firms, specifically KM-SAM systems, along with radars for air defense and "
    "counter-battery operations."
)
MINISTER = (
    "Minister of National Defense Kim Yong-hyun, who spoke with his visiting Ukrainian counterpart Rustem "
    "Umerov for 30 minutes on Wednesday, said he “did not receive any proposals” from the delegation about "
    "buying the Cheongung air defense system, as some reports had speculated."
)


def test_shipped_model_loads_with_no_network() -> None:
    # A fresh interpreter in which any socket connection fails: loading must not need one.
    code = (
        "import socket\n"
        "def refuse(*a, **k): raise OSError('network disabled in this test')\n"
        "socket.socket.connect = refuse\n"
        "socket.create_connection = refuse\n"
        "from stance.model import CrossEncoderStance\n"
        "m = CrossEncoderStance()\n"
        "s = m.predict([('A man is sleeping.', 'A person is asleep.')])[0]\n"
        "import json; print(json.dumps({'name': m.name, 'e': s.entailment, 't': m.temperature}))\n"
    )
    env = {"PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO)}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["name"] == SHIPPED_MODEL.name
    assert result["e"] > 0.5


def test_shipped_model_is_small_and_labelled() -> None:
    config = json.loads((SHIPPED_MODEL / "config.json").read_text())
    assert set(config["id2label"].values()) == {"entailment", "neutral", "contradiction"}
    assert (SHIPPED_MODEL / "model.safetensors").stat().st_size <= 100 * 1024 * 1024
    assert (SHIPPED_MODEL / "calibration.json").is_file()
    assert (SHIPPED_MODEL / "README.md").is_file()


@pytest.mark.parametrize(
    ("id2label", "expected"),
    [
        (
            {0: "contradiction", 1: "entailment", 2: "neutral"},
            {"contradiction": 0, "entailment": 1, "neutral": 2},
        ),
        (
            {0: "ENTAILMENT", 1: "NEUTRAL", 2: "CONTRADICTION"},
            {"entailment": 0, "neutral": 1, "contradiction": 2},
        ),
    ],
)
def test_labels_come_from_the_config(id2label: dict[int, str], expected: dict[str, int]) -> None:
    assert label_indices(id2label) == expected


def test_a_model_without_nli_labels_is_refused() -> None:
    with pytest.raises(StanceModelError, match="entailment"):
        label_indices({0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"})


def test_a_missing_model_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StanceModelError, match="cannot load stance model"):
        CrossEncoderStance(tmp_path / "nowhere")


def test_empty_batch(stance_model: CrossEncoderStance) -> None:
    assert stance_model.predict([]) == []


def test_probabilities_sum_to_one(stance_model: CrossEncoderStance) -> None:
    scores = stance_model.predict([("A man is sleeping.", "A man is awake."), ("Dogs bark.", "Cats meow.")])
    for s in scores:
        assert s.entailment + s.neutral + s.contradiction == pytest.approx(1.0, abs=1e-5)


def test_bf16_linear_weights_give_exactly_what_autocast_gives() -> None:
    # The served bf16 path stores the Linear weights in bf16 instead of letting autocast cast them
    # on every call: a speed-up only, never a different answer.
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(SHIPPED_MODEL)
    model = AutoModelForSequenceClassification.from_pretrained(SHIPPED_MODEL, dtype=torch.float32).eval()
    pairs = [
        (PROPELLANT_003, "Ukraine asked for propellant charges"),
        (MINISTER, "Ukraine asked to buy Cheongung"),
    ]
    autocast = batched_logits(model, tokenizer, pairs, max_length=256, batch_size=8, bf16=True)
    linear_weights_bf16(model)
    stored = batched_logits(model, tokenizer, pairs, max_length=256, batch_size=8, bf16=True)
    assert torch.equal(autocast, stored)


PROPELLANT_REPORTS = pytest.mark.parametrize(
    ("passage", "before"),
    [(PROPELLANT_003, PROPELLANT_003_BEFORE), (PROPELLANT_TROIB, PROPELLANT_TROIB_BEFORE)],
    ids=["003-propellants", "troib-launching-charges"],
)


@PROPELLANT_REPORTS
def test_propellant_reports_support_the_claim(
    stance_model: CrossEncoderStance, passage: str, before: str
) -> None:
    # What the pipeline relies on (README "Verdict rules"): entailment above the support threshold
    # and above contradiction, with the previous sentence saying who "they" / "the delegation" are.
    premise = build_premise(passage, before=before, mode=ContextMode.PREVIOUS)
    (s,) = stance_model.predict([(premise, "Ukraine requested 155mm propellant charges")])
    assert s.entailment > s.contradiction, s
    assert s.entailment >= 0.2, s


@PROPELLANT_REPORTS
def test_propellant_reports_entail_the_claim_read_alone(
    stance_model: CrossEncoderStance, passage: str, before: str
) -> None:
    # The rule fitted on news dev weighs the alone reading most (context_weight 0.25): the
    # news-trained model no longer needs "the delegation" spelled out by the previous sentence.
    (s,) = stance_model.predict([(passage, "Ukraine requested 155mm propellant charges")])
    assert s.entailment > max(s.neutral, s.contradiction), s


@PROPELLANT_REPORTS
def test_propellant_reports_entail_the_claim_outright(
    stance_model: CrossEncoderStance, passage: str, before: str
) -> None:
    premise = build_premise(passage, before=before, mode=ContextMode.PREVIOUS)
    (s,) = stance_model.predict([(premise, "Ukraine requested 155mm propellant charges")])
    assert s.entailment > max(s.neutral, s.contradiction), s


@pytest.mark.xfail(
    strict=True,
    reason="known weakness (models/stance-minilm-l6-nli/README.md): the distilled model reads the "
    'minister\'s "did not receive any proposals" as entailment (0.61) of the bare request; served, '
    "it stays out of both buckets (entailment 0.41 under SUPPORT_THRESHOLD 0.5)",
)
def test_minister_denial_contradicts_the_cheongung_claim(stance_model: CrossEncoderStance) -> None:
    (s,) = stance_model.predict([(MINISTER, "Ukraine asked to buy the Cheongung system")])
    assert s.contradiction > max(s.neutral, s.entailment), s


def test_unrelated_pair_is_not_entailed(stance_model: CrossEncoderStance) -> None:
    (s,) = stance_model.predict(
        [(PROPELLANT_TROIB, "The European Central Bank raised interest rates in November 2024")]
    )
    assert s.entailment < 0.2


def _copy_model(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("README.md", "calibration.json"))
    return target


def test_an_ensemble_of_one_model_twice_reads_as_that_model(
    stance_model: CrossEncoderStance, tmp_path: Path
) -> None:
    # Averaging the log-probabilities of identical members must change nothing: same
    # probabilities as the single model under the same calibration.
    members = [_copy_model(SHIPPED_MODEL, tmp_path / name) for name in ("a", "b")]
    out = tmp_path / "ensemble"
    write_ensemble(out, members)
    shutil.copy(SHIPPED_MODEL / "calibration.json", out / "calibration.json")
    ensemble = CrossEncoderStance(out)
    assert ensemble.members == 2 and ensemble.name == "ensemble"
    pairs = [
        (
            build_premise(PROPELLANT_003, before=PROPELLANT_003_BEFORE),
            "Ukraine requested 155mm propellant charges",
        ),
        (MINISTER, "Ukraine asked to buy the Cheongung system"),
    ]
    for one, both in zip(stance_model.predict(pairs), ensemble.predict(pairs), strict=True):
        assert both.entailment == pytest.approx(one.entailment, abs=1e-5)
        assert both.contradiction == pytest.approx(one.contradiction, abs=1e-5)
    recipe = json.loads((SHIPPED_MODEL / "training.json").read_text())["recipe"]
    assert holdout_split(out) == (recipe["holdout_size"], recipe["holdout_seed"])


def test_ensemble_members_must_share_their_hold_out(tmp_path: Path) -> None:
    out = tmp_path / "ensemble"
    for name, seed in (("a", 13), ("b", 29)):
        (out / name).mkdir(parents=True)
        recipe = {"holdout_size": 2000, "seed": seed, "holdout_seed": seed}
        (out / name / "training.json").write_text(json.dumps({"recipe": recipe}))
    (out / "ensemble.json").write_text(json.dumps({"members": ["a", "b"]}))
    with pytest.raises(ValueError, match="same --holdout-seed"):
        holdout_split(out)


@pytest.mark.parametrize("members", [["missing"], ["../elsewhere"], []])
def test_an_ensemble_naming_no_member_of_its_own_is_refused(tmp_path: Path, members: list[str]) -> None:
    (tmp_path / "elsewhere").mkdir()
    out = tmp_path / "ensemble"
    out.mkdir()
    (out / "ensemble.json").write_text(json.dumps({"members": members}))
    with pytest.raises(StanceModelError, match="sub-directories"):
        CrossEncoderStance(out)


def test_writing_an_ensemble_needs_trained_models(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(StanceModelError, match="not a trained model"):
        write_ensemble(tmp_path / "ensemble", [tmp_path / "empty"])
    assert not (tmp_path / "ensemble").exists()
