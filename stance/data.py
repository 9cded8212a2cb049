"""NLI pair files: reading `{"premise","hypothesis","label","source"}` JSON Lines."""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

# The order hub NLI cross-encoders (cross-encoder/nli-*) use; the shipped model keeps it
# so that a user can swap models without remapping anything.
LABELS: tuple[str, ...] = ("contradiction", "entailment", "neutral")
LABEL_IDS: dict[str, int] = {label: i for i, label in enumerate(LABELS)}


@dataclass(frozen=True)
class Pair:
    """One labelled NLI example."""

    premise: str
    hypothesis: str
    label: int
    source: str
    # a teacher's probabilities in LABELS order (`stance.distill`); None for a plain labelled pair
    soft: tuple[float, ...] | None = None


def read_soft(probs: dict[str, float]) -> tuple[float, ...]:
    """A teacher's `{"contradiction": p, "entailment": p, "neutral": p}` in LABELS order."""
    soft = tuple(float(probs[label]) for label in LABELS)
    if min(soft) < 0 or abs(sum(soft) - 1) > 1e-3:
        raise ValueError(f"probabilities must be >= 0 and sum to 1, got {probs}")
    return soft


def read_pairs(path: Path) -> list[Pair]:
    """Read a JSON Lines NLI file; a malformed line is an error naming file and line.

    A row may carry a teacher's `probs` (a distillation set, `python -m stance label`); its
    `label` is then optional and defaults to the teacher's top label.
    """
    pairs: list[Pair] = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                soft = read_soft(row["probs"]) if "probs" in row else None
                if "label" in row or soft is None:
                    label = LABEL_IDS[row["label"]]
                else:
                    label = max(range(len(LABELS)), key=soft.__getitem__)
                pairs.append(
                    Pair(
                        premise=str(row["premise"]),
                        hypothesis=str(row["hypothesis"]),
                        label=label,
                        source=str(row.get("source", "")),
                        soft=soft,
                    )
                )
            except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
                raise ValueError(f"{path}:{number}: not an NLI pair ({exc})") from exc
    return pairs


def pairs_digest(pairs: Sequence[Pair]) -> str:
    """A fingerprint of the pairs themselves (texts, labels, teachers' probabilities, in order):
    what a resumed training run must still be reading, whatever its `--data` names."""
    digest = hashlib.sha256()
    for p in pairs:
        digest.update(json.dumps([p.premise, p.hypothesis, p.label, p.soft]).encode())
        digest.update(b"\n")
    return digest.hexdigest()


def split_holdout(pairs: list[Pair], size: int, seed: int) -> tuple[list[Pair], list[Pair]]:
    """Split off a fixed random held-out slice (for calibration and model selection)."""
    order = list(range(len(pairs)))
    random.Random(seed).shuffle(order)
    held = set(order[:size])
    train = [p for i, p in enumerate(pairs) if i not in held]
    holdout = [pairs[i] for i in sorted(held)]
    return train, holdout


def eval_files(directory: Path) -> Iterator[tuple[str, Path]]:
    """Yield `(name, path)` for every `eval_*.jsonl` in a directory, sorted by name."""
    for path in sorted(directory.glob("eval_*.jsonl")):
        yield path.stem.removeprefix("eval_"), path
