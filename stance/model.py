"""Stance inference: an NLI cross-encoder that scores (premise, hypothesis) pairs.

The model is any sequence-classification checkpoint with entailment / neutral / contradiction
labels in its config (the shipped `models/stance-minilm-l6-nli`, or a hub id such as
`cross-encoder/nli-deberta-v3-base` for users with internet). Label order is read from the
model's `id2label`, never assumed. Probabilities are temperature-scaled when the model
directory carries a `calibration.json` (written by `python -m stance calibrate`).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from index.int8 import activation_ranges, quantize_int8, read_ranges
from stance.precision import choose_precision

log = logging.getLogger(__name__)

SHIPPED_MODEL = Path(__file__).resolve().parent.parent / "models" / "stance-minilm-l6-nli"
CALIBRATION_FILE = "calibration.json"
_NAMES = ("entailment", "neutral", "contradiction")


class StanceModelError(RuntimeError):
    """The stance model cannot be loaded or its labels are not NLI labels."""


@dataclass(frozen=True)
class NLIScores:
    """Calibrated probabilities that a premise entails, is neutral to, or contradicts a hypothesis."""

    entailment: float
    neutral: float
    contradiction: float


class StanceModel(Protocol):
    """What the verification pipeline needs from a stance model."""

    @property
    def name(self) -> str: ...

    def predict(self, pairs: Sequence[tuple[str, str]]) -> list[NLIScores]:
        """Score `(premise, hypothesis)` pairs, all in one call."""
        ...


def label_indices(id2label: dict[int, str]) -> dict[str, int]:
    """Map entailment/neutral/contradiction to the model's output columns."""
    found: dict[str, int] = {}
    for index, label in id2label.items():
        key = str(label).strip().lower()
        for name in _NAMES:
            if key == name or key.startswith(name[:7]):
                found[name] = int(index)
    missing = [n for n in _NAMES if n not in found]
    if missing:
        raise StanceModelError(
            f"model labels {sorted(id2label.values())} do not name {', '.join(missing)}; "
            "an NLI model with entailment/neutral/contradiction labels is required"
        )
    return found


def read_calibration(model_dir: Path) -> tuple[float, dict[str, float]]:
    """Temperature and per-label logit offsets from `calibration.json` (1.0 and none without it)."""
    path = model_dir / CALIBRATION_FILE
    if not path.is_file():
        return 1.0, {}
    try:
        data = json.loads(path.read_text())
        temperature = float(data["temperature"])
        bias = {str(k): float(v) for k, v in data.get("logit_bias", {}).items()}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise StanceModelError(f"{path}: unreadable calibration ({exc})") from exc
    if not 0.05 <= temperature <= 20.0:
        raise StanceModelError(f"{path}: implausible temperature {temperature}")
    return temperature, bias


def linear_weights_bf16(model: Any) -> None:
    """Store the Linear layers' weights in bf16, for a model that only ever runs under bf16 autocast.

    Autocast casts each fp32 Linear weight to bf16 on every call (the same rounding as `.to`), so
    the outputs are bit-identical, minus that copy: about a tenth of a `/verify`'s stance time
    (20 sample passages: 78 -> 70 ms on an AMD EPYC with `avx512_bf16`). Embeddings and
    LayerNorm stay fp32, as autocast computes them.
    """
    for module in model.modules():
        if isinstance(module, torch.nn.Linear):
            module.to(torch.bfloat16)


@torch.inference_mode()
def batched_logits(
    model: Any,
    tokenizer: Any,
    pairs: Sequence[tuple[str, str]],
    *,
    max_length: int,
    batch_size: int,
    bf16: bool = False,
) -> torch.Tensor:
    """Logits for (premise, hypothesis) pairs, scored in length-sorted batches, in input order.

    Sorting by length keeps padding (most of the CPU time in a mixed batch) small; each batch is
    padded to its own longest pair. `bf16` runs the matrix products under bf16 autocast (weights
    stay fp32), which pays only on CPUs with native bf16 (`stance.precision`). Used by the
    service model and by training's hold-out check, so both score pairs the same way.
    """
    out = torch.empty(len(pairs), int(model.config.num_labels))
    order = sorted(range(len(pairs)), key=lambda i: len(pairs[i][0]) + len(pairs[i][1]))
    for start in range(0, len(order), batch_size):
        idx = order[start : start + batch_size]
        inputs = tokenizer(
            [pairs[i][0] for i in idx],
            [pairs[i][1] for i in idx],
            truncation="longest_first",
            max_length=max_length,
            padding=True,
            return_tensors="pt",
        )
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            out[idx] = model(**inputs).logits.float()
    return out


ENSEMBLE_FILE = "ensemble.json"


def _load_member(source: str) -> tuple[Any, Any, dict[str, int]]:
    """Tokenizer, model and label columns of one cross-encoder (a directory or a model id)."""
    try:
        tokenizer = AutoTokenizer.from_pretrained(source)
        model = AutoModelForSequenceClassification.from_pretrained(source, dtype=torch.float32)
    except (OSError, ValueError) as exc:
        hint = (
            ""
            if Path(source).is_dir()
            else (
                " (not a local directory; as a model id it needs the hub or a local cache, "
                "and HF_HUB_OFFLINE is set)"
                if os.environ.get("HF_HUB_OFFLINE") == "1"
                else " (not a local directory, and not a model id that could be fetched)"
            )
        )
        raise StanceModelError(f"cannot load stance model {source!r}{hint}: {exc}") from exc
    model.eval()
    return tokenizer, model, label_indices(dict(model.config.id2label))


def ensemble_members(model_dir: Path) -> list[Path] | None:
    """The member directories named by the directory's `ensemble.json`; None for a single model."""
    path = model_dir / ENSEMBLE_FILE
    if not path.is_file():
        return None
    try:
        names = json.loads(path.read_text())["members"]
        members = [model_dir / str(name) for name in names]
    except (ValueError, KeyError, TypeError) as exc:
        raise StanceModelError(f"{path}: unreadable ensemble ({exc})") from exc
    if not members or any(m.resolve().parent != model_dir.resolve() or not m.is_dir() for m in members):
        raise StanceModelError(f"{path}: members must be existing sub-directories of {model_dir}")
    return members


def write_ensemble(out: Path, members: Sequence[Path]) -> None:
    """Copy trained models into `out/<member name>` and name them in `out/ensemble.json`.

    Written into a temporary sibling and swapped in by rename, so an interrupted run leaves the
    previous `out` whole. Calibration is fitted afterwards (`python -m stance calibrate`).
    """
    names = [m.name for m in members]
    if len(set(names)) != len(names):
        raise StanceModelError(f"ensemble members need distinct directory names: {names}")
    for member in members:
        if not (member / "config.json").is_file() or not (member / "training.json").is_file():
            raise StanceModelError(f"{member}: not a trained model directory (config.json, training.json)")
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for member in members:
        # a member's own calibration and card do not apply inside the ensemble
        shutil.copytree(
            member, tmp / member.name, ignore=shutil.ignore_patterns(CALIBRATION_FILE, "README.md")
        )
    (tmp / ENSEMBLE_FILE).write_text(json.dumps({"members": names}, indent=2) + "\n")
    old = out.with_name(out.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if out.exists():
        out.rename(old)
    tmp.rename(out)
    shutil.rmtree(old, ignore_errors=True)


class CrossEncoderStance:
    """A transformers cross-encoder, or an ensemble of them, on the CPU in length-sorted batches.

    An ensemble is a directory with `ensemble.json` (`{"members": [subdir, ...]}`): each member
    scores the same pairs, their log-probabilities are averaged (a geometric mean of the members'
    probabilities) and the ensemble's own `calibration.json` applies on top. For a single model
    the average is its log-softmax, which gives the same probabilities as its logits.
    """

    def __init__(
        self,
        name_or_path: str | Path = SHIPPED_MODEL,
        *,
        max_length: int = 256,
        # 16, measured (AMD EPYC, avx512_bf16, 2 threads, bf16): 20 sample passages 57 ms p50 vs
        # 81 ms at 32 (two length-sorted batches pad less than one), and 369 vs 340 pairs/s in bulk
        batch_size: int = 16,
        temperature: float | None = None,
        logit_bias: dict[str, float] | None = None,
        precision: str | None = None,
    ) -> None:
        source = str(name_or_path)
        local = Path(source)
        members = ensemble_members(local) if local.is_dir() else None
        sources = [str(m) for m in members] if members else [source]
        loaded = [_load_member(s) for s in sources]
        first = loaded[0][2]
        # output columns: the three NLI labels in the first member's order (compact, for models
        # with extra labels too); each member's logits are picked into that order
        names = sorted(first, key=first.__getitem__)
        self._columns = {name: i for i, name in enumerate(names)}
        self._members = [(tok, model, [cols[n] for n in names]) for tok, model, cols in loaded]
        fitted_t, fitted_bias = read_calibration(local) if local.is_dir() else (1.0, {})
        self.temperature = temperature if temperature is not None else fitted_t
        self.logit_bias = logit_bias if logit_bias is not None else fitted_bias
        self._bias = torch.zeros(len(self._columns))
        for label, value in self.logit_bias.items():
            if label in self._columns:
                self._bias[self._columns[label]] = value
        self.max_length = max_length
        self.batch_size = batch_size
        # bf16 where the CPU multiplies it natively, fp32 elsewhere (int8 loses some evidence:
        # `index.precision`); CLAIMWIRE_PRECISION / CLAIMWIRE_STANCE_PRECISION force one
        self.precision = choose_precision(precision, role="stance")
        # forced int8 takes each layer's fixed range from the model's `int8_ranges.json` (every
        # member's), so a pair scores the same in any batch; without them, one range per call
        self.int8_ranges: str | None = None
        if self.precision == "int8":
            ranges = [read_ranges(Path(s)) if Path(s).is_dir() else None for s in sources]
            fixed = all(r is not None for r in ranges)
            self.int8_ranges = "fixed" if fixed else "per call"
            if not fixed:
                log.warning(
                    "stance model %s has no int8_ranges.json for its weights (python -m stance "
                    "int8-ranges): int8 ranges per call, so scores depend on the batch",
                    source,
                )
            self._members = [
                (tok, quantize_int8(model, member_ranges if fixed else None), order)
                for (tok, model, order), member_ranges in zip(self._members, ranges, strict=True)
            ]
        elif self.precision == "bf16":
            for _tok, model, _order in self._members:
                linear_weights_bf16(model)
        self._name = local.name if local.is_dir() else source
        # Fast tokenizers are not safe to share between threads (gunicorn gthread workers).
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self._name

    @property
    def columns(self) -> dict[str, int]:
        """The model's output column for entailment, neutral and contradiction."""
        return dict(self._columns)

    @property
    def members(self) -> int:
        """How many cross-encoders score each pair (1 unless this is an ensemble)."""
        return len(self._members)

    def logits(self, pairs: Sequence[tuple[str, str]]) -> torch.Tensor:
        """Log-probabilities averaged over the members, in the first member's column order."""
        total = torch.zeros(len(pairs), len(self._columns))
        with self._lock:
            for tokenizer, model, order in self._members:
                raw = batched_logits(
                    model,
                    tokenizer,
                    pairs,
                    max_length=self.max_length,
                    batch_size=self.batch_size,
                    bf16=self.precision == "bf16",
                )
                total += torch.log_softmax(raw[:, order], dim=-1)
        return total / len(self._members)

    def measure_int8_ranges(self, pairs: Sequence[tuple[str, str]]) -> list[dict[str, float]]:
        """Each member's fixed int8 activation ranges (`index.int8`), measured on `pairs` in fp32."""
        if self.precision != "fp32":
            raise StanceModelError(f"int8 ranges are measured on the fp32 model, not {self.precision}")

        def runner(model: Any, tokenizer: Any) -> Callable[[], object]:
            return lambda: batched_logits(
                model, tokenizer, pairs, max_length=self.max_length, batch_size=self.batch_size
            )

        return [activation_ranges(model, runner(model, tok)) for tok, model, _order in self._members]

    def calibrated_logits(self, pairs: Sequence[tuple[str, str]]) -> torch.Tensor:
        """Logits with the label-shift offsets and temperature applied (what `predict` softmaxes)."""
        scaled: torch.Tensor = (self.logits(pairs) + self._bias) / self.temperature
        return scaled

    def predict(self, pairs: Sequence[tuple[str, str]]) -> list[NLIScores]:
        probs = torch.softmax(self.calibrated_logits(pairs), dim=-1)
        e, n, c = (self._columns[k] for k in _NAMES)
        return [NLIScores(float(row[e]), float(row[n]), float(row[c])) for row in probs]
