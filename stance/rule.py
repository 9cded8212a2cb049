"""The decision rule, in one place: a passage's stance from its readings, a claim's verdict.

Every passage that passes the relevance gate is read by the stance model twice, with the same
model call: *with context* (its previous sentence, then the sentence: resolves "they", "the
delegation") and *alone* (a self-contained denial reads more clearly without a neighbour). For a
first sentence the two readings are the same. Support and contradiction are judged on the same
two readings:

    e = w * entailment with context + (1 - w) * entailment alone      (w = context_weight)
    c = w * contradiction with context + (1 - w) * contradiction alone
    (context_weight unset: e and c are the stronger of the two readings)
    w = max(context_weight, reference_weight) for a passage that refers back: it opens with a
        pronoun or a demonstrative ("They did not request it"), so alone it has no subject
    supports     when e >= support_threshold and e > c and similarity >= min_support_similarity
    contradicts  when c >= needed(similarity) and c > e and similarity >= min_contradict_similarity
    otherwise    neither (left out)

(with context_weight 0, as fitted, each passage is read alone, and only a passage that refers
back is read with its previous sentence too, at the cost of one more pair).

    needed(similarity) = contradict_threshold - contradict_slope * (similarity - 0.5),
                         never under min(0.2, contradict_threshold)

(the closer a passage is to the claim, the less contradiction it needs: "The contract has not
been signed" against "The contract was signed" is the claim turned round; a passage further off
needs a surer reading, since it may be about something else).

A denial ("X did not request Y") gets c > e, so it never lands in `supporting`; a non-committal
sentence ("declined to say whether ...") is neutral for a model trained on such pairs, and the
contradiction threshold keeps a weak c out of `contradicting`.

Verdict, from the best score on each side (S, C):
    S >= verdict_threshold and C >= verdict_threshold: conflicting when both are >=
        conflict_threshold (real evidence on both sides), or when neither is surer than the
        other by conflict_margin or more (|S - C| < conflict_margin); else the stronger side wins;
    only S >= verdict_threshold: supported; only C: refuted; neither: not_enough_info.

The numbers are fitted per stance model on the dev split of `data/nli-news` (never on test
files or the sample corpus) by `make fit-rule` (`python -m service.news_eval fit`), which writes
`rule.json` into the model directory; the service reads it and any `CLAIMWIRE_*` setting
overrides it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from stance.confidence import ConfidenceMap

RULE_FILE = "rule.json"
# Configuration keys (service settings) for each field.
CONFIG_KEYS: dict[str, str] = {
    "candidates": "CANDIDATES",
    "min_similarity": "MIN_SIMILARITY",
    "support_threshold": "SUPPORT_THRESHOLD",
    "min_support_similarity": "MIN_SUPPORT_SIMILARITY",
    "contradict_threshold": "CONTRADICT_THRESHOLD",
    "contradict_slope": "CONTRADICT_SLOPE",
    "min_contradict_similarity": "MIN_CONTRADICT_SIMILARITY",
    "verdict_threshold": "VERDICT_THRESHOLD",
    "conflict_threshold": "CONFLICT_THRESHOLD",
    "conflict_margin": "CONFLICT_MARGIN",
    "context_weight": "CONTEXT_WEIGHT",
    "reference_weight": "REFERENCE_WEIGHT",
}


class Verdict(StrEnum):
    """What the evidence says about the claim as a whole."""

    SUPPORTED = "supported"
    REFUTED = "refuted"
    CONFLICTING = "conflicting"
    NOT_ENOUGH_INFO = "not_enough_info"


class Stance(StrEnum):
    """What one passage says about the claim."""

    SUPPORTS = "supports"
    CONTRADICTS = "contradicts"


Probabilities = tuple[float, float, float]  # entailment, neutral, contradiction
# `contradict_threshold` is the contradiction needed at similarity SLOPE_PIVOT; `contradict_slope` moves
# it with similarity, never under CONTRADICT_FLOOR (or the threshold itself, where lower).
SLOPE_PIVOT = 0.5
CONTRADICT_FLOOR = 0.2


@dataclass(frozen=True)
class Reading:
    """What the stance model makes of one passage against the claim (two readings)."""

    entailment: float  # the stronger of with-context and alone
    contradiction: float  # the stronger of with-context and alone
    neutral: float = 0.0  # with context (for reports only)
    with_context: Probabilities | None = None  # as read (kept for `explain`)
    alone: Probabilities | None = None  # None when the passage has no previous sentence
    refers_back: bool = False  # the passage opens by pointing back (`stance.context.refers_back`)

    @classmethod
    def combine(cls, with_context: Any, alone: Any | None = None, *, refers_back: bool = False) -> Reading:
        """From `NLIScores` of the with-context reading and, when it differs, the alone one."""
        ctx = (with_context.entailment, with_context.neutral, with_context.contradiction)
        if alone is None:
            return cls(ctx[0], ctx[2], ctx[1], ctx, None, refers_back)
        solo = (alone.entailment, alone.neutral, alone.contradiction)
        return cls(max(ctx[0], solo[0]), max(ctx[2], solo[2]), ctx[1], ctx, solo, refers_back)


@dataclass(frozen=True)
class Thresholds:
    """The rule's numbers. The defaults here are a fallback; a model's `rule.json` is preferred."""

    candidates: int = 30
    min_similarity: float = 0.35
    support_threshold: float = 0.5
    # Each side has its own similarity gate on top of `min_similarity` (the relevance gate for
    # both): support needs a passage about the claim itself, a contradiction may be phrased further
    # from it ("Deputy Defence Minister Angelov signed the contract" against "The goggles contract
    # has not been signed yet": similarity 0.36).
    min_support_similarity: float = 0.0
    contradict_threshold: float = 0.5
    # How much less contradiction a passage needs per unit of similarity above SLOPE_PIVOT (and how
    # much more below it); 0: the same threshold at every similarity.
    contradict_slope: float = 0.0
    min_contradict_similarity: float = 0.45
    verdict_threshold: float = 0.5
    conflict_threshold: float = 0.7
    # Both sides count and neither is surer than the other by this much: conflicting too (0: the
    # stronger side always wins under `conflict_threshold`). Evidence of equal weight on both
    # sides is a conflict a fact-checker should see, not a coin toss between them.
    conflict_margin: float = 0.0
    # How the two readings combine: None takes the stronger of each (e and c separately); a
    # number w in 0..1 takes w * with-context + (1 - w) * alone, so one confused reading (a long
    # double negation read with its neighbour) cannot carry a passage alone.
    context_weight: float | None = None
    # The with-context weight for a passage that refers back ("They did not request it"), when
    # higher than `context_weight`: alone such a sentence has no subject, and reading only these
    # with their previous sentence costs about a tenth more pairs, not twice as many.
    reference_weight: float = 0.0
    # The verdict's confidence as the probability that it is right (`stance.confidence`), fitted
    # with the thresholds on dev (rule.json's "confidence"); None: the raw confidence. Not a threshold:
    # not compared, not searched by the fit.
    confidence_map: ConfidenceMap | None = field(default=None, compare=False)

    @classmethod
    def from_config(cls, config: Mapping[str, Any], fitted: Thresholds | None = None) -> Thresholds:
        """The fitted rule (or the defaults), with every setting present in `config` on top
        (`CALIBRATED_CONFIDENCE` false: the raw confidence, without the fitted map)."""
        base = fitted or cls()
        changes: dict[str, Any] = {}
        calibrated = config.get("CALIBRATED_CONFIDENCE", True)
        if not isinstance(calibrated, bool):
            raise ValueError(f"CALIBRATED_CONFIDENCE must be true or false, not {calibrated!r}")
        if not calibrated:
            changes["confidence_map"] = None
        for f in fields(cls):
            if f.name not in CONFIG_KEYS:
                continue
            value = config.get(CONFIG_KEYS[f.name])
            if value is not None:
                changes[f.name] = int(value) if f.name == "candidates" else float(value)
        for name in ("context_weight", "reference_weight"):
            weight = changes.get(name)
            if weight is not None and not 0.0 <= weight <= 1.0:
                raise ValueError(f"{CONFIG_KEYS[name]} must be between 0 and 1, not {weight}")
        return replace(base, **changes)

    def weight(self, refers_back: bool) -> float | None:
        """The with-context reading's weight for a passage that refers back, or not (None: the
        stronger reading wins)."""
        if self.context_weight is None:
            return None
        return max(self.context_weight, self.reference_weight) if refers_back else self.context_weight

    def reads_with_context(self, refers_back: bool) -> bool:
        """Whether a passage (one that refers back, or not) needs its with-context reading at all."""
        w = self.weight(refers_back)
        return w is None or w > 0.0

    def scores(self, r: Reading) -> tuple[float, float]:
        """(e, c): the passage's entailment and contradiction, its two readings combined."""
        w = self.weight(r.refers_back)
        if w is None or r.with_context is None or r.alone is None:
            return r.entailment, r.contradiction
        return (
            w * r.with_context[0] + (1 - w) * r.alone[0],
            w * r.with_context[2] + (1 - w) * r.alone[2],
        )

    def contradiction_needed(self, similarity: float) -> float:
        """The contradiction a passage this close to the claim needs to contradict it."""
        needed = self.contradict_threshold - self.contradict_slope * (similarity - SLOPE_PIVOT)
        return max(min(CONTRADICT_FLOOR, self.contradict_threshold), needed)

    def stance(self, r: Reading, similarity: float) -> tuple[Stance | None, float]:
        """The passage's side and its stance score (None, 0.0 when it is neither)."""
        e, c = self.scores(r)
        if e >= self.support_threshold and e > c and similarity >= self.min_support_similarity:
            return Stance.SUPPORTS, e
        if (
            c >= self.contradiction_needed(similarity)
            and c > e
            and similarity >= self.min_contradict_similarity
        ):
            return Stance.CONTRADICTS, c
        return None, 0.0

    def reason(self, r: Reading, similarity: float) -> str:
        """Why `stance` put the passage where it did, in words (for `"explain": true`)."""
        w = self.weight(r.refers_back)
        if r.refers_back and w and r.with_context is not None and r.alone is not None:
            note = f"opens by referring back: read {w:g} with its previous sentence"
            return f"{self._reason(r, similarity)} ({note})"
        return self._reason(r, similarity)

    def _reason(self, r: Reading, similarity: float) -> str:
        ev, cv = self.scores(r)
        e, c = f"e {ev:.3f}", f"c {cv:.3f}"
        needed = self.contradiction_needed(similarity)
        stance, _ = self.stance(r, similarity)
        if stance is Stance.SUPPORTS:
            return f"supports: {e} >= {self.support_threshold:g} and > {c}"
        if stance is Stance.CONTRADICTS:
            return f"contradicts: {c} >= {needed:.3g} and > {e}"
        if cv >= needed and cv > ev:
            return (
                f"left out: {c}, but similarity {similarity:.3f} < "
                f"{self.min_contradict_similarity:g} (too far from the claim to contradict it)"
            )
        if ev >= self.support_threshold and ev > cv:
            return (
                f"left out: {e}, but similarity {similarity:.3f} < "
                f"{self.min_support_similarity:g} (too far from the claim to support it)"
            )
        if ev >= self.support_threshold:
            return f"left out: {e}, but {c} is as strong"
        return f"left out, neutral: {e} < {self.support_threshold:g}, {c} < {needed:.3g}"

    def verdict(
        self, support: Sequence[float], contra: Sequence[float], best_relevant: float | None
    ) -> tuple[Verdict, float]:
        """Verdict and confidence from the stance scores of each side (uncut lists).

        `best_relevant` is the highest entailment or contradiction among relevant candidates (None
        when no candidate passed the relevance gate); it sets the confidence of not_enough_info.
        """
        s = max(support, default=0.0)
        c = max(contra, default=0.0)
        has_s, has_c = s >= self.verdict_threshold, c >= self.verdict_threshold
        if has_s and has_c:
            both_strong = s >= self.conflict_threshold and c >= self.conflict_threshold
            if both_strong or abs(s - c) < self.conflict_margin:
                return Verdict.CONFLICTING, min(s, c)
            return (Verdict.SUPPORTED, s) if s >= c else (Verdict.REFUTED, c)
        if has_s:
            return Verdict.SUPPORTED, s
        if has_c:
            return Verdict.REFUTED, c
        if best_relevant is None:
            return Verdict.NOT_ENOUGH_INFO, 1.0
        return Verdict.NOT_ENOUGH_INFO, 1.0 - best_relevant

    def calibrated(self, verdict: Verdict, confidence: float) -> float:
        """The verdict's confidence as the probability that it is right (`confidence_map`), or
        as it is when there is no map."""
        if self.confidence_map is None:
            return confidence
        return self.confidence_map(str(verdict), confidence)

    def to_json(self) -> dict[str, Any]:
        """The thresholds (the confidence map is written beside them: `write_rule`)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name in CONFIG_KEYS}


def read_rule(model_dir: Path | str | None) -> Thresholds | None:
    """The rule fitted for a stance model (its `rule.json`), None when there is none."""
    if model_dir is None:
        return None
    path = Path(model_dir) / RULE_FILE
    if not path.is_file():
        return None
    data = json.loads(path.read_text())
    thresholds = {k: v for k, v in data.get("thresholds", data).items() if k in CONFIG_KEYS}
    curves = data.get("confidence")
    return Thresholds(**thresholds, confidence_map=ConfidenceMap.from_json(curves) if curves else None)


def write_rule(model_dir: Path, rule: Thresholds, report: Mapping[str, Any]) -> None:
    """Write `rule.json` (thresholds, the confidence map, how they were fitted) atomically."""
    path = model_dir / RULE_FILE
    tmp = path.with_suffix(".tmp")
    record: dict[str, Any] = {"thresholds": rule.to_json()}
    if rule.confidence_map is not None:
        record["confidence"] = rule.confidence_map.to_json()
    tmp.write_text(json.dumps({**record, **report}, indent=2) + "\n")
    tmp.replace(path)
