"""The sample-corpus probe: hand-labelled (passage, claim) pairs from `data/sample`.

It measures what the NLI benchmarks cannot: how the model reads news sentences that lean on
their neighbours, and which premise context (none / previous sentence / headline) helps.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from stance.context import ContextMode, build_premise, refers_back
from stance.model import StanceModel
from stance.rule import Reading, Stance, Thresholds

PROBE_FILE = Path(__file__).resolve().parent.parent / "data" / "stance_probe.jsonl"


@dataclass(frozen=True)
class ProbeRow:
    """One labelled pair; `before` is the previous sentence of the article."""

    document: str
    title: str | None
    before: str | None
    passage: str
    claim: str
    label: str


@dataclass(frozen=True)
class ProbeResult:
    """Figures for one context mode."""

    mode: ContextMode
    accuracy: float
    gold_probability: float  # mean probability given to the right label
    wrong: list[tuple[str, str, str]]  # (claim, gold, predicted)


def read_probe(path: Path = PROBE_FILE) -> list[ProbeRow]:
    """Read the probe set."""
    with path.open(encoding="utf-8") as handle:
        return [ProbeRow(**json.loads(line)) for line in handle if line.strip()]


def run_probe(model: StanceModel, rows: list[ProbeRow], mode: ContextMode) -> ProbeResult:
    """Score every row with premises built in one context mode (one batch)."""
    pairs = [(build_premise(r.passage, before=r.before, title=r.title, mode=mode), r.claim) for r in rows]
    scores = model.predict(pairs)
    correct = 0
    gold_total = 0.0
    wrong = []
    for row, s in zip(rows, scores, strict=True):
        probs = {"entailment": s.entailment, "neutral": s.neutral, "contradiction": s.contradiction}
        predicted = max(probs, key=lambda k: probs[k])
        gold_total += probs[row.label]
        if predicted == row.label:
            correct += 1
        else:
            wrong.append((row.claim, row.label, predicted))
    return ProbeResult(mode, correct / len(rows), gold_total / len(rows), wrong)


def run_rule_probe(model: StanceModel, rows: list[ProbeRow], rule: Thresholds) -> ProbeResult:
    """Score every row as the service does: both readings weighed by the rule, then its side (or neutral).

    The relevance and contradiction similarity gates are left out: the probe's pairs are all
    about the claim's event, and the gates need the embedder.
    """
    with_context = [(build_premise(r.passage, before=r.before), r.claim) for r in rows]
    alone = [(r.passage.strip(), r.claim) for r in rows]
    scores = model.predict(with_context + alone)
    correct = 0
    gold_total = 0.0
    wrong = []
    names = {Stance.SUPPORTS: "entailment", Stance.CONTRADICTS: "contradiction", None: "neutral"}
    for i, row in enumerate(rows):
        ctx, solo = scores[i], scores[len(rows) + i]
        reading = Reading.combine(
            ctx, solo if with_context[i][0] != alone[i][0] else None, refers_back=refers_back(row.passage)
        )
        stance, _ = rule.stance(reading, 1.0)
        predicted = names[stance]
        gold_total += {"entailment": reading.entailment, "contradiction": reading.contradiction}.get(
            row.label, 1.0 - max(reading.entailment, reading.contradiction)
        )
        if predicted == row.label:
            correct += 1
        else:
            wrong.append((row.claim, row.label, predicted))
    return ProbeResult(ContextMode.PREVIOUS, correct / len(rows), gold_total / len(rows), wrong)
