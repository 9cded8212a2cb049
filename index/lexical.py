"""The lexical side of retrieval: a BM25 index (bm25s) with a stemming, number-aware tokenizer."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

_WORD = re.compile(r"[^\W_]+(?:[-‐‑'’][^\W_]+)*")
# "155mm" -> "155 mm", "KM-SAM2" -> "KM-SAM 2": names and units must match either spelling.
_DIGIT_LETTER = re.compile(r"(?<=\d)(?=[^\W\d_])|(?<=[^\W\d_])(?=\d)")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")
_HYPHENS = re.compile(r"[-‐‑'’]")


def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


def _stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN)


class Tokenizer:
    """Lowercase words, split at digit/letter boundaries, hyphenated words kept whole and in
    parts ("km-sam" -> "kmsam", "km", "sam"), English stopwords dropped, Snowball-stemmed."""

    def __init__(self) -> None:
        self._stem = _stemmer()
        self._stop = _stopwords()

    def raw_tokens(self, text: str) -> list[str]:
        text = _THOUSANDS.sub("", text.lower())
        tokens: list[str] = []
        for word in _WORD.findall(text):
            if word.isalpha():  # the common case: one plain word
                tokens.append(word)
                continue
            parts = [p for p in _HYPHENS.split(word) if p]
            if len(parts) > 1 and not word.endswith(("'s", "’s")):
                tokens.append("".join(parts))
            elif len(parts) > 1:
                parts = parts[:-1]
            for part in parts:
                if part.isalpha() or part.isdecimal():
                    tokens.append(part)
                else:
                    tokens.extend(t for t in _DIGIT_LETTER.split(part) if t)
        return [t for t in tokens if t not in self._stop]

    def __call__(self, text: str) -> list[str]:
        return [str(s) for s in self._stem.stemWords(self.raw_tokens(text))]


class LexicalIndex:
    """BM25 over the passages, in passage order; scores every passage for a query."""

    def __init__(self, bm25: Any, tokenizer: Tokenizer | None = None) -> None:
        self._bm25 = bm25
        self._tokenizer = tokenizer or Tokenizer()

    @classmethod
    def build(cls, texts: Iterable[str], *, progress: bool = False) -> LexicalIndex:
        import bm25s

        tokenizer = Tokenizer()
        corpus = [tokenizer(t) or [""] for t in texts]
        bm25 = bm25s.BM25()
        bm25.index(corpus, show_progress=progress)
        return cls(bm25, tokenizer)

    def save(self, directory: Path) -> None:
        self._bm25.save(str(directory), show_progress=False)

    @classmethod
    def load(cls, directory: Path) -> LexicalIndex:
        import bm25s

        return cls(bm25s.BM25.load(str(directory), show_progress=False, mmap=False))

    @property
    def size(self) -> int:
        return int(self._bm25.scores["num_docs"])

    def scores(self, query: str) -> npt.NDArray[np.float32]:
        """BM25 score of every passage (0 where no query term occurs)."""
        vocab: dict[str, int] = self._bm25.vocab_dict
        ids = [vocab[t] for t in self._tokenizer(query) if t in vocab and t != ""]
        if not ids:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(ids), dtype=np.float32)

    def rank(self, query: str, limit: int) -> list[tuple[int, float]]:
        """Top `limit` (passage row, score) with a positive score, best first."""
        scores = self.scores(query)
        return [(row, float(scores[row])) for row in self.top(scores, limit)]

    @staticmethod
    def top(scores: npt.NDArray[np.float32], limit: int) -> list[int]:
        """Rows of the `limit` best positive scores, best first (ties by row).

        Only those rows are sorted (a partition finds them first): at 1M passages a common word
        gives hundreds of thousands of positive scores, and sorting them all cost more than the
        BM25 scoring itself.
        """
        positive = np.flatnonzero(scores > 0)
        if positive.size == 0 or limit <= 0:
            return []
        if limit < positive.size:
            # the limit-th best score; every row scoring above it, plus ties at it in row order
            kth = np.partition(scores[positive], positive.size - limit)[positive.size - limit]
            above = positive[scores[positive] > kth]
            ties = positive[scores[positive] == kth][: limit - above.size]
            positive = np.concatenate([above, ties])
            positive.sort()
        order = positive[np.argsort(-scores[positive], kind="stable")][:limit]
        return [int(i) for i in order]
