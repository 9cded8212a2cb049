"""Temperature scaling: fit one temperature on the training hold-out, report ECE before/after."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import torch

from stance.confidence import calibration_error
from stance.data import LABEL_IDS, read_pairs, split_holdout
from stance.model import CALIBRATION_FILE, CrossEncoderStance, ensemble_members


def expected_calibration_error(probs: torch.Tensor, gold: torch.Tensor, bins: int = 15) -> float:
    """ECE of the top-class confidence over equal-width bins (`stance.confidence.calibration_error`)."""
    confidence, predicted = probs.max(dim=-1)
    return calibration_error(confidence.tolist(), (predicted == gold).float().tolist(), bins)


def fit_temperature(logits: torch.Tensor, gold: torch.Tensor) -> float:
    """The temperature minimising negative log-likelihood (optimised in log space)."""
    log_t = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.LBFGS([log_t], lr=0.1, max_iter=200)
    loss_fn = torch.nn.CrossEntropyLoss()

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        loss = loss_fn(logits / log_t.exp(), gold)
        loss.backward()
        return loss  # type: ignore[no-any-return]

    optimizer.step(closure)  # type: ignore[no-untyped-call]
    return float(log_t.detach().exp())


def holdout_split(model_dir: Path) -> tuple[int, int]:
    """Size and seed of the hold-out the model (every member of an ensemble) never trained on."""
    members = ensemble_members(model_dir) or [model_dir]
    splits = set()
    for member in members:
        recipe = json.loads((member / "training.json").read_text())["recipe"]
        splits.add((int(recipe["holdout_size"]), int(recipe.get("holdout_seed", recipe["seed"]))))
    if len(splits) != 1:
        raise ValueError(
            f"{model_dir}: the ensemble's members held out different pairs {sorted(splits)}, "
            "so no hold-out is unseen by all of them; train them with the same --holdout-seed"
        )
    return splits.pop()


def label_shift(prior: dict[str, float]) -> dict[str, float]:
    """Logit offsets that move a model trained on `prior` to a uniform label prior.

    The training mix is 38% neutral, 34% entailment, 28% contradiction; claims reaching the
    service have no reason to follow it, so no label should win on its training frequency
    alone (label-shift correction, Saerens et al. 2002: add log(target) - log(train)).
    """
    uniform = 1.0 / len(prior)
    return {name: math.log(uniform) - math.log(p) for name, p in prior.items()}


def calibrate(model_dir: Path, data: Path) -> dict[str, Any]:
    """Fit and write `calibration.json` into the model directory, using the recipe's hold-out.

    Two parts: the label-shift offsets (from the training split's label frequencies) and one
    temperature fitted on the hold-out, applied as softmax((logits + offsets) / T).
    """
    size, seed = holdout_split(model_dir)
    train, holdout = split_holdout(read_pairs(data), size, seed)
    names = {v: k for k, v in LABEL_IDS.items()}
    counts = {name: 0 for name in LABEL_IDS}
    for pair in train:
        counts[names[pair.label]] += 1
    prior = {name: c / len(train) for name, c in counts.items()}
    offsets = label_shift(prior)

    model = CrossEncoderStance(model_dir, temperature=1.0, logit_bias={})
    pairs = [(p.premise, p.hypothesis) for p in holdout]
    raw = model.logits(pairs).clone()  # leave inference mode: the fit needs autograd
    columns = {name: model.columns[name] for name in LABEL_IDS}
    bias = torch.zeros(raw.shape[1])
    for name, value in offsets.items():
        bias[columns[name]] = value
    logits = raw + bias
    gold = torch.tensor([columns[names[p.label]] for p in holdout])
    temperature = fit_temperature(logits, gold)
    if not math.isfinite(temperature):
        raise ValueError("temperature fit diverged")
    nll = torch.nn.CrossEntropyLoss()
    report = {
        "temperature": round(temperature, 4),
        "logit_bias": {k: round(v, 4) for k, v in offsets.items()},
        "train_prior": {k: round(v, 4) for k, v in prior.items()},
        "holdout_pairs": len(holdout),
        "holdout_accuracy_raw": round(float((raw.argmax(-1) == gold).float().mean()), 4),
        "holdout_accuracy": round(float((logits.argmax(-1) == gold).float().mean()), 4),
        "ece_before": round(expected_calibration_error(torch.softmax(raw, -1), gold), 4),
        "ece_after": round(expected_calibration_error(torch.softmax(logits / temperature, -1), gold), 4),
        "nll_before": round(float(nll(raw, gold)), 4),
        "nll_after": round(float(nll(logits / temperature, gold)), 4),
        "note": "hold-out slice of train.jsonl (never the eval files), split by the recipe's hold-out seed",
    }
    path = model_dir / CALIBRATION_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(report, indent=2) + "\n")
    tmp.replace(path)
    return report


def fit_bias_and_temperature(logits: torch.Tensor, gold: torch.Tensor) -> tuple[torch.Tensor, float]:
    """Per-label offsets and one temperature minimising NLL of softmax((logits + b) / T)."""
    bias = torch.zeros(logits.shape[1], requires_grad=True)
    log_t = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.LBFGS([bias, log_t], lr=0.1, max_iter=300)
    loss_fn = torch.nn.CrossEntropyLoss()

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        loss = loss_fn((logits + bias) / log_t.exp(), gold)
        loss.backward()
        return loss  # type: ignore[no-any-return]

    optimizer.step(closure)  # type: ignore[no-untyped-call]
    centred = (bias - bias.mean()).detach()
    return centred, float(log_t.detach().exp())


def calibrate_on_news(model_dir: Path, split: str = "dev") -> dict[str, Any]:
    """Fit offsets and temperature on task-like pairs: the news set's dev split (never test).

    The label mix and wording of news claims differ from the NLI training mix, so the offsets
    are fitted on news dev pairs instead of derived from training frequencies.
    """
    from stance.news import split_pairs

    pairs = split_pairs(split)
    if not pairs:
        raise ValueError(f"no data/nli-news pairs in split {split!r}")
    model = CrossEncoderStance(model_dir, temperature=1.0, logit_bias={})
    raw = model.logits([(p.premise, p.hypothesis) for p in pairs]).clone()
    names = {v: k for k, v in LABEL_IDS.items()}
    columns = {name: model.columns[name] for name in LABEL_IDS}
    gold = torch.tensor([columns[names[p.label]] for p in pairs])
    bias, temperature = fit_bias_and_temperature(raw, gold)
    if not math.isfinite(temperature):
        raise ValueError("temperature fit diverged")
    scaled = (raw + bias) / temperature
    nll = torch.nn.CrossEntropyLoss()
    report = {
        "temperature": round(temperature, 4),
        "logit_bias": {name: round(float(bias[col]), 4) for name, col in columns.items()},
        "fitted_on": f"data/nli-news {split} split ({len(pairs)} pairs), never test",
        "accuracy_raw": round(float((raw.argmax(-1) == gold).float().mean()), 4),
        "accuracy": round(float((scaled.argmax(-1) == gold).float().mean()), 4),
        "ece_before": round(expected_calibration_error(torch.softmax(raw, -1), gold), 4),
        "ece_after": round(expected_calibration_error(torch.softmax(scaled, -1), gold), 4),
        "nll_before": round(float(nll(raw, gold)), 4),
        "nll_after": round(float(nll(scaled, gold)), 4),
    }
    path = model_dir / CALIBRATION_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(report, indent=2) + "\n")
    tmp.replace(path)
    return report
