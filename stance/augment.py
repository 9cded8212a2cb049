"""Contrastive pairs made by program: one fact of the claim changed, the label changed by rule.

Each transformation edits the hypothesis (the claim) of a labelled pair and sets the new label
by a rule that holds whatever the premise says:

- **number swap** (entailment -> contradiction): a number the claim shares with the premise is
  replaced by another ("40 buses" -> "25 buses"). Skipped where a comparative or approximation
  ("more than", "about", "up to") or a range makes a different number still true.
- **year swap** (entailment -> contradiction): a year the claim shares with the premise moves.
- **month swap** (entailment -> contradiction): likewise for a month name.
- **negation insertion** on the claim's single auxiliary ("has" -> "has not"): entailment ->
  contradiction (the premise now contradicts the negated claim), contradiction -> entailment
  (a premise contradicting "X was signed" entails "X was not signed"), neutral stays neutral.
- **negation removal** ("has not" -> "has"): the same table, the other way.

Only the claim changes, so the premise stays real news text. `python -m stance train
--augment` adds one fresh sample of these per epoch; the model card records whether it helped
on dev (it is kept only where it does).
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Sequence

from stance.data import LABEL_IDS, Pair

E, N, C = LABEL_IDS["entailment"], LABEL_IDS["neutral"], LABEL_IDS["contradiction"]
_APPROX = re.compile(
    r"\b(more|less|fewer|over|under|about|around|nearly|almost|roughly|approximately|at least|"
    r"at most|up to|some|between|than|above|below|dozens?|several)\b",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"(?<![\w.,])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?![\w.,]*\d)")
_YEAR = re.compile(r"\b(19[5-9]\d|20[0-4]\d)\b")
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_MONTH = re.compile(r"\b(" + "|".join(MONTHS) + r")\b")
_AUX = re.compile(
    r"\b(has|have|had|is|are|was|were|will|would|can|could|should|did|does|do)\b(?!\s+not\b|n't)"
)
_NEG = re.compile(r"\b(has|have|had|is|are|was|were|will|would|can|could|should|did|does|do) not\b")
_ANY_NEG = re.compile(r"\b(not|never|no|n't|none|nobody|nothing|neither|nor|without)\b|n't", re.IGNORECASE)
FLIP = {E: C, C: E, N: N}


def _other_number(value: str, rng: random.Random) -> str:
    plain = value.replace(",", "")
    if "." in plain:
        return f"{float(plain) * rng.choice((0.5, 1.5, 2.0)):.1f}"
    n = int(plain)
    candidates = {n + d for d in (1, 2, 5, 10)} | {n * 2, max(1, n // 2), n * 3}
    candidates.discard(n)
    new = rng.choice(sorted(c for c in candidates if c > 0))
    return f"{new:,}" if "," in value else str(new)


def number_swap(pair: Pair, rng: random.Random) -> Pair | None:
    if (
        pair.label != E
        or _APPROX.search(pair.hypothesis)
        or re.search(r"\d\s*(-|to|–)\s*\d", pair.hypothesis)
    ):
        return None
    shared = [m for m in _NUMBER.finditer(pair.hypothesis) if m.group(1) in pair.premise]
    shared = [m for m in shared if not _YEAR.fullmatch(m.group(1))]
    if len(shared) != 1:
        return None
    m = shared[0]
    new = _other_number(m.group(1), rng)
    if new in pair.premise:
        return None
    hyp = pair.hypothesis[: m.start(1)] + new + pair.hypothesis[m.end(1) :]
    return Pair(pair.premise, hyp, C, "augment:number")


def year_swap(pair: Pair, rng: random.Random) -> Pair | None:
    if pair.label != E or re.search(r"\b(since|before|after|until|by)\b", pair.hypothesis, re.IGNORECASE):
        return None
    shared = [m for m in _YEAR.finditer(pair.hypothesis) if m.group(1) in pair.premise]
    if len(shared) != 1:
        return None
    m = shared[0]
    new = str(int(m.group(1)) + rng.choice((-3, -2, -1, 1, 2, 3)))
    if new in pair.premise:
        return None
    return Pair(
        pair.premise, pair.hypothesis[: m.start(1)] + new + pair.hypothesis[m.end(1) :], C, "augment:year"
    )


def month_swap(pair: Pair, rng: random.Random) -> Pair | None:
    if pair.label != E or re.search(r"\b(since|before|after|until|by)\b", pair.hypothesis, re.IGNORECASE):
        return None
    shared = [m for m in _MONTH.finditer(pair.hypothesis) if m.group(1) in pair.premise]
    if len(shared) != 1 or len(_MONTH.findall(pair.premise)) != 1:
        return None
    m = shared[0]
    new = rng.choice([x for x in MONTHS if x != m.group(1)])
    return Pair(
        pair.premise, pair.hypothesis[: m.start(1)] + new + pair.hypothesis[m.end(1) :], C, "augment:month"
    )


def negate(pair: Pair, rng: random.Random) -> Pair | None:
    """Insert "not" after the claim's only auxiliary, or remove the claim's only "AUX not"."""
    hyp = pair.hypothesis
    negs = list(_NEG.finditer(hyp))
    if len(negs) == 1 and len(_ANY_NEG.findall(hyp)) == 1:
        m = negs[0]
        return Pair(pair.premise, hyp[: m.end(1)] + hyp[m.end() :], FLIP[pair.label], "augment:negation-")
    if _ANY_NEG.search(hyp):
        return None
    auxes = list(_AUX.finditer(hyp))
    if len(auxes) != 1:
        return None
    m = auxes[0]
    return Pair(
        pair.premise, hyp[: m.end(1)] + " not" + hyp[m.end(1) :], FLIP[pair.label], "augment:negation+"
    )


TRANSFORMS = (number_swap, year_swap, month_swap, negate)


def contrastive(pairs: Iterable[Pair], seed: int, per_pair: int = 1) -> list[Pair]:
    """Up to `per_pair` transformed copies of each pair (the applicable transforms, shuffled)."""
    rng = random.Random(seed)
    out: list[Pair] = []
    for pair in pairs:
        made = 0
        for transform in rng.sample(TRANSFORMS, len(TRANSFORMS)):
            if made >= per_pair:
                break
            new = transform(pair, rng)
            if new is not None and new.hypothesis != pair.hypothesis:
                out.append(new)
                made += 1
    return out


def sample_contrastive(pairs: Sequence[Pair], share: float, seed: int) -> list[Pair]:
    """A seeded sample of contrastive pairs, `share` times as many as `pairs` at most."""
    made = contrastive(pairs, seed)
    rng = random.Random(seed + 1)
    rng.shuffle(made)
    # the rare fact swaps first: negation applies to most claims and would crowd them out
    made.sort(key=lambda p: p.source.startswith("augment:negation"))
    return made[: int(share * len(pairs))]
