"""Hybrid retrieval: reciprocal rank fusion of the dense and BM25 rankings, then filters."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Fused:
    """One passage row in the fused ranking; ranks are 1-based, None when absent."""

    row: int
    score: float
    dense_rank: int | None
    lexical_rank: int | None


def rrf_fuse(dense: Sequence[int], lexical: Sequence[int], rrf_k: int) -> list[Fused]:
    """Reciprocal rank fusion: score = sum over rankings of 1 / (rrf_k + rank).

    Ties are broken by the dense rank, then the lexical rank, then the row, so results are
    deterministic.
    """
    dense_rank = {row: r for r, row in enumerate(dense, start=1)}
    lexical_rank = {row: r for r, row in enumerate(lexical, start=1)}
    fused: list[Fused] = []
    for row in dense_rank.keys() | lexical_rank.keys():
        d, lx = dense_rank.get(row), lexical_rank.get(row)
        score = (1.0 / (rrf_k + d) if d is not None else 0.0) + (
            1.0 / (rrf_k + lx) if lx is not None else 0.0
        )
        fused.append(Fused(row, score, d, lx))
    big = len(dense) + len(lexical) + 1
    fused.sort(
        key=lambda f: (
            -f.score,
            f.dense_rank if f.dense_rank is not None else big,
            f.lexical_rank if f.lexical_rank is not None else big,
            f.row,
        )
    )
    return fused
