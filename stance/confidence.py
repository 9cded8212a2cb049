"""A verdict's confidence as the probability that the verdict is right.

The rule's confidence (`Thresholds.verdict`, then `service.pipeline.corroborate` over independent
sources) is a stance score: the best side's probability, which says how sure the model is of one
passage, not how often such a verdict is right. Measured on the 523 news dev claims with the
shipped model, it averaged 0.85 where 71% of the verdicts were right, and a `supported` answer at
0.87 was right about as often as a `refuted` one at 0.85 (68% against 76%).

`ConfidenceMap` turns it into that probability with one logistic curve per verdict (Platt scaling):

    confidence = sigmoid(slope[verdict] * logit(raw) + intercept[verdict]),   slope >= 0

fitted on the dev claims' answers (right or wrong) by `fit_confidence_map`. The slope is never
negative, so within a verdict a higher raw confidence never maps lower: more independent sources
still only raise it, and copies of one source still never do.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

VERDICTS = ("supported", "refuted", "conflicting", "not_enough_info")
_EPS = 1e-4  # raw confidences are clipped to [_EPS, 1 - _EPS] before the logit (1.0 is common)
L2 = 1.0  # ridge penalty on (slope, intercept): a verdict seen a few dozen times stays near the raw curve


def _logit(p: float) -> float:
    p = min(max(p, _EPS), 1.0 - _EPS)
    return math.log(p / (1.0 - p))


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


@dataclass(frozen=True)
class ConfidenceMap:
    """(slope, intercept) on the logit of the raw confidence, per verdict; a verdict not listed
    keeps its raw confidence."""

    curves: tuple[tuple[str, float, float], ...]

    def __call__(self, verdict: str, raw: float) -> float:
        for name, slope, intercept in self.curves:
            if name == verdict:
                return _sigmoid(slope * _logit(raw) + intercept)
        return raw

    def to_json(self) -> dict[str, dict[str, float]]:
        return {name: {"slope": slope, "intercept": intercept} for name, slope, intercept in self.curves}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ConfidenceMap:
        curves = []
        for name, curve in data.items():
            if name not in VERDICTS:
                raise ValueError(f"unknown verdict {name!r} in the confidence map")
            slope, intercept = float(curve["slope"]), float(curve["intercept"])
            if slope < 0 or not math.isfinite(slope) or not math.isfinite(intercept):
                raise ValueError(f"bad confidence curve for {name}: slope {slope}, intercept {intercept}")
            curves.append((str(name), slope, intercept))
        return cls(tuple(curves))


def _fit_curve(xs: Sequence[float], ys: Sequence[bool], l2: float) -> tuple[float, float]:
    """Ridge logistic regression of ys on (x, 1), by L-BFGS as `stance.calibrate` fits its
    temperature; where it wants a negative slope (this verdict's raw confidence orders its
    answers backwards), the best constant instead, so no curve ever decreases."""
    import torch

    x = torch.tensor(xs, dtype=torch.float64)
    y = torch.tensor([float(v) for v in ys], dtype=torch.float64)

    def fit(free_slope: bool) -> tuple[float, float]:
        params = torch.zeros(2, dtype=torch.float64, requires_grad=True)  # slope, intercept
        optimizer = torch.optim.LBFGS(
            [params], max_iter=200, tolerance_grad=1e-10, line_search_fn="strong_wolfe"
        )

        def closure() -> torch.Tensor:
            optimizer.zero_grad()
            slope = params[0] if free_slope else params[0] * 0.0  # held at 0
            z = slope * x + params[1]
            loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y, reduction="sum")
            loss = loss + 0.5 * l2 * (slope**2 + params[1] ** 2)
            loss.backward()  # type: ignore[no-untyped-call]
            return loss

        optimizer.step(closure)  # type: ignore[no-untyped-call]
        slope, intercept = params.detach().tolist()
        return (slope if free_slope else 0.0), intercept

    slope, intercept = fit(free_slope=True)
    return (slope, intercept) if slope >= 0 else fit(free_slope=False)


def fit_confidence_map(answers: Sequence[tuple[str, float, bool]], l2: float = L2) -> ConfidenceMap:
    """One curve per verdict from (verdict, raw confidence, right) answers; a verdict with fewer
    than 10 answers keeps its raw confidence."""
    curves = []
    for name in VERDICTS:
        rows = [(_logit(raw), right) for verdict, raw, right in answers if verdict == name]
        if len(rows) < 10:
            continue
        slope, intercept = _fit_curve([x for x, _ in rows], [y for _, y in rows], l2)
        curves.append((name, round(slope, 4), round(intercept, 4)))
    return ConfidenceMap(tuple(curves))


@dataclass(frozen=True)
class ConfidenceReport:
    """How well confidences predict right answers."""

    answers: int
    accuracy: float
    mean_confidence: float
    ece: float  # expected calibration error, 10 equal-width bins
    brier: float
    auroc: float  # how well a higher confidence picks out right answers (0.5: not at all)
    sure_share: float  # share of answers at confidence >= SURE
    sure_accuracy: float  # accuracy among those

    def line(self) -> str:
        return (
            f"verify_confidence ece={self.ece:.4f} brier={self.brier:.4f} auroc={self.auroc:.4f} "
            f"mean_confidence={self.mean_confidence:.4f} sure_share={self.sure_share:.4f} "
            f"sure_accuracy={self.sure_accuracy:.4f}"
        )


SURE = 0.8  # "sure" answers, for the report: a fact-checker's threshold for trusting a verdict


def calibration_error(confidence: Sequence[float], correct: Sequence[float], bins: int) -> float:
    """Expected calibration error over `bins` equal-width bins (low, high] (the first from 0):
    the share of answers in each bin times the gap between its mean confidence and its accuracy."""
    n = len(confidence)
    ece = 0.0
    for k in range(bins):
        low, high = k / bins, (k + 1) / bins
        idx = [i for i, c in enumerate(confidence) if (low < c or k == 0) and c <= high]
        if idx:
            gap = sum(confidence[i] for i in idx) / len(idx) - sum(correct[i] for i in idx) / len(idx)
            ece += len(idx) / n * abs(gap)
    return ece


def confidence_report(answers: Sequence[tuple[float, bool]]) -> ConfidenceReport:
    """ECE, Brier score, AUROC and the accuracy of the answers at confidence >= SURE."""
    n = len(answers)
    if n == 0:
        raise ValueError("no answers to report on")
    right = [float(ok) for _, ok in answers]
    conf = [c for c, _ in answers]
    ece = calibration_error(conf, right, bins=10)
    pos = [c for c, ok in answers if ok]
    neg = [c for c, ok in answers if not ok]
    if pos and neg:
        ranked = sorted([(c, 1) for c in pos] + [(c, 0) for c in neg])
        # rank-sum (Mann-Whitney) with ties shared
        rank_sum, i = 0.0, 0
        while i < len(ranked):
            j = i
            while j < len(ranked) and ranked[j][0] == ranked[i][0]:
                j += 1
            mid = (i + 1 + j) / 2
            rank_sum += mid * sum(label for _, label in ranked[i:j])
            i = j
        auroc = (rank_sum - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg))
    else:
        auroc = 0.5
    sure = [ok for c, ok in answers if c >= SURE]
    return ConfidenceReport(
        answers=n,
        accuracy=sum(right) / n,
        mean_confidence=sum(conf) / n,
        ece=ece,
        brier=sum((c - y) ** 2 for c, y in zip(conf, right, strict=True)) / n,
        auroc=auroc,
        sure_share=len(sure) / n,
        sure_accuracy=sum(sure) / len(sure) if sure else 0.0,
    )
