"""Syndication: the same sentence published in several documents, exact or lightly edited.

Two passages are copies when `copy_score(a, b)`, the Jaccard similarity of their character
5-grams after normalising case, accents, quotes, "per cent"/"%", digit grouping ("10,000" =
"10 000") and a few spellings ("Kiev"/"Kyiv", "defence"/"defense"), is at least
`COPY_THRESHOLD`. A wire sentence with a dateline added, an attribution tail cut, a verb's tense
changed or British spelling is still the same sentence; two newsrooms reporting one fact in their
own words are not (that is corroboration, which the service must not collapse), nor are two
template sentences that differ in the one word that matters ("killed two people" / "four").

Method and threshold were chosen on hand-labelled pairs (`tests/evidence/data/syndication.jsonl`,
`python -m evidence syndication`: fitted on half the pairs, judged on the other half): character
5-gram Jaccard separated copies from independent reports better than word 3-shingle containment
or Jaccard, token-set Jaccard and embedding cosine (all-MiniLM-L6-v2), which puts two independent
reports of one fact as close as two copies. Exact sets, not MinHash: one claim has at most a few
hundred candidate passages, so comparing them all is cheap; MinHash would only estimate the same
number.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

#: Character 5-gram Jaccard at or above which two sentences are one (fitted; see the module doc).
COPY_THRESHOLD = 0.7

_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "—": "-", "–": "-"})
_TOKEN = re.compile(r"[a-z0-9%]+(?:'[a-z]+)?")
# Spelling variants that syndication changes without changing the sentence.
_VARIANTS = {
    "kiev": "kyiv",
    "defence": "defense",
    "metres": "meters",
    "metre": "meter",
    "millimetres": "mm",
    "millimeters": "mm",
    "cancelled": "canceled",
    "labour": "labor",
    "percent": "%",
    "favour": "favor",
    "harbour": "harbor",
    "programme": "program",
    "us": "u s",
}


@lru_cache(maxsize=4096)
def normalise(text: str) -> tuple[str, ...]:
    """The sentence as comparable words: lower case, no accents, one spelling, digits joined."""
    text = unicodedata.normalize("NFKD", text.translate(_QUOTES))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"(?<=\d)[,\u202f\u00a0 ](?=\d{3}\b)", "", text)  # 10,000 -> 10000
    text = re.sub(r"\bper cent\b", "%", text)
    text = re.sub(r"\bu\.s\.", "us", text)
    text = re.sub(r"(?<=\d)(?=[a-z%])", " ", text)  # 155mm -> 155 mm, 4.75% -> 4.75 %
    words: list[str] = []
    for token in _TOKEN.findall(text):
        words.extend(_VARIANTS.get(token, token).split())
    return tuple(words)


def shingles(words: Sequence[str], n: int = 3) -> frozenset[tuple[str, ...]]:
    if len(words) < n:
        return frozenset({tuple(words)}) if words else frozenset()
    return frozenset(tuple(words[i : i + n]) for i in range(len(words) - n + 1))


def _jaccard(a: frozenset[Any], b: frozenset[Any]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _containment(a: frozenset[Any], b: frozenset[Any]) -> float:
    return len(a & b) / min(len(a), len(b)) if a and b else 0.0


@lru_cache(maxsize=4096)
def _grams(text: str) -> frozenset[str]:
    joined = " ".join(normalise(text))
    return frozenset(joined[i : i + 5] for i in range(max(len(joined) - 4, 1)))


def copy_score(a: str, b: str) -> float:
    """Jaccard similarity of the normalised sentences' character 5-grams, 0..1 (1: the same)."""
    return _jaccard(_grams(a), _grams(b))


def _shingle_containment(a: str, b: str) -> float:
    return _containment(shingles(normalise(a)), shingles(normalise(b)))


def is_copy(a: str, b: str, threshold: float = COPY_THRESHOLD) -> bool:
    return copy_score(a, b) >= threshold


def _token_jaccard(a: str, b: str) -> float:
    return _jaccard(frozenset(normalise(a)), frozenset(normalise(b)))


def _shingle_jaccard(a: str, b: str) -> float:
    return _jaccard(shingles(normalise(a)), shingles(normalise(b)))


#: The methods compared on the labelled pairs (the first is the one used).
METHODS: dict[str, Callable[[str, str], float]] = {
    "character 5-gram Jaccard": copy_score,
    "word 3-shingle containment": _shingle_containment,
    "word 3-shingle Jaccard": _shingle_jaccard,
    "token-set Jaccard": _token_jaccard,
}


def fit_threshold(
    rows: Sequence[dict[str, Any]], similarity: Callable[[str, str], float]
) -> tuple[float, float]:
    """The threshold (of 0.05 steps) with the best F1 on labelled pairs; ties go to the higher one."""
    scored = [(similarity(r["a"], r["b"]), bool(r["copy"])) for r in rows]
    best = (0.0, -1.0)
    for step in range(1, 20):
        threshold = step / 20
        tp = sum(s >= threshold and c for s, c in scored)
        fp = sum(s >= threshold and not c for s, c in scored)
        fn = sum(s < threshold and c for s, c in scored)
        f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        if f1 >= best[1]:
            best = (threshold, f1)
    return best
