"""Evaluation on the held-out NLI files: accuracy and macro-F1 per file."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from tqdm import tqdm

from stance.data import LABEL_IDS, LABELS, Pair, eval_files, read_pairs
from stance.model import CrossEncoderStance
from stance.news import split_pairs


@dataclass(frozen=True)
class EvalResult:
    """One file's figures."""

    name: str
    pairs: int
    accuracy: float
    macro_f1: float


def macro_f1(predicted: torch.Tensor, gold: torch.Tensor, classes: int) -> float:
    """Unweighted mean F1 over the classes that occur in gold or predictions."""
    scores = []
    for c in range(classes):
        tp = int(((predicted == c) & (gold == c)).sum())
        fp = int(((predicted == c) & (gold != c)).sum())
        fn = int(((predicted != c) & (gold == c)).sum())
        if tp + fp + fn == 0:
            continue
        scores.append(2 * tp / (2 * tp + fp + fn))
    return sum(scores) / len(scores) if scores else 0.0


def evaluate_file(model: CrossEncoderStance, path: Path, name: str) -> EvalResult:
    """Score every pair of one eval file."""
    return evaluate_pairs(model, read_pairs(path), name)


def evaluate_pairs(model: CrossEncoderStance, pairs: Sequence[Pair], name: str) -> EvalResult:
    """Accuracy and macro-F1 of the model's top label on labelled pairs."""
    logits = model.calibrated_logits([(p.premise, p.hypothesis) for p in pairs])
    # Map the model's columns onto our label ids so any NLI model can be judged.
    to_ours = torch.empty(logits.shape[1], dtype=torch.long)
    for name_, column in model.columns.items():
        to_ours[column] = LABEL_IDS[name_]
    predicted = to_ours[logits.argmax(-1)]
    gold = torch.tensor([p.label for p in pairs])
    return EvalResult(
        name=name,
        pairs=len(pairs),
        accuracy=float((predicted == gold).float().mean()),
        macro_f1=macro_f1(predicted, gold, len(LABELS)),
    )


def evaluate(
    model: CrossEncoderStance, data_dir: Path, news: Sequence[str] = ("dev", "test")
) -> list[EvalResult]:
    """Every `eval_*.jsonl` in `data_dir`, then the news set's splits (`news_<split>`)."""
    files = list(eval_files(data_dir))
    if not files:
        raise FileNotFoundError(f"no eval_*.jsonl files in {data_dir}")
    results = []
    for name, path in tqdm(files, desc="eval-stance", unit="file"):
        results.append(evaluate_file(model, path, name))
    for split in news:
        pairs = split_pairs(split)
        if pairs:
            results.append(evaluate_pairs(model, pairs, f"news_{split}"))
    return results
