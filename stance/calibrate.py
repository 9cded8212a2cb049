"""Temperature scaling: fit one temperature on the training hold-out, report ECE before/after."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path
from typing import Any

import torch

from stance.data import LABEL_IDS, read_pairs, split_holdout
from stance.model import CALIBRATION_FILE, CrossEncoderStance


def expected_calibration_error(probs: torch.Tensor, gold: torch.Tensor, bins: int = 15) -> float:
    """ECE of the top-class confidence over equal-width bins."""
    confidence, predicted = probs.max(dim=-1)
    correct = (predicted == gold).float()
    ece = 0.0
    edges = torch.linspace(0, 1, bins + 1)
    for low, high in itertools.pairwise(edges.tolist()):
        mask = (confidence > low) & (confidence <= high)
        if mask.any():
            ece += float(mask.float().mean()) * abs(
                float(confidence[mask].mean()) - float(correct[mask].mean())
            )
    return ece


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


def calibrate(model_dir: Path, data: Path) -> dict[str, Any]:
    """Fit and write `calibration.json` into the model directory, using the recipe's hold-out."""
    recipe = json.loads((model_dir / "training.json").read_text())["recipe"]
    _, holdout = split_holdout(read_pairs(data), int(recipe["holdout_size"]), int(recipe["seed"]))
    model = CrossEncoderStance(model_dir, temperature=1.0)
    pairs = [(p.premise, p.hypothesis) for p in holdout]
    logits = model.logits(pairs)
    # Gold labels in the model's own column order.
    columns = {name: model._columns[name] for name in LABEL_IDS}
    names = {v: k for k, v in LABEL_IDS.items()}
    gold = torch.tensor([columns[names[p.label]] for p in holdout])
    temperature = fit_temperature(logits, gold)
    nll = torch.nn.CrossEntropyLoss()
    report = {
        "temperature": round(temperature, 4),
        "holdout_pairs": len(holdout),
        "holdout_accuracy": round(float((logits.argmax(-1) == gold).float().mean()), 4),
        "ece_before": round(expected_calibration_error(torch.softmax(logits, -1), gold), 4),
        "ece_after": round(expected_calibration_error(torch.softmax(logits / temperature, -1), gold), 4),
        "nll_before": round(float(nll(logits, gold)), 4),
        "nll_after": round(float(nll(logits / temperature, gold)), 4),
        "note": "hold-out slice of train.jsonl (never the eval files), split by the training recipe's seed",
    }
    if not math.isfinite(temperature):
        raise ValueError("temperature fit diverged")
    path = model_dir / CALIBRATION_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(report, indent=2) + "\n")
    tmp.replace(path)
    return report
