"""FAISS backend contract on random vectors (no model): index type switch, search, persistence."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index import IndexConfig
from index.config import DEFAULT_HNSW_THRESHOLD
from index.embedding import normalize_rows
from index.vectors import FLAT, HNSW, IVF_SQ8, FaissIndex, choose_index_type, ivf_lists


def _random(n: int, dim: int = 16, seed: int = 0) -> np.ndarray:
    return normalize_rows(np.random.default_rng(seed).standard_normal((n, dim)))


def test_default_threshold() -> None:
    assert IndexConfig().hnsw_threshold == DEFAULT_HNSW_THRESHOLD == 50_000
    assert choose_index_type(49_999, IndexConfig()) == FLAT
    assert choose_index_type(50_000, IndexConfig()) == IVF_SQ8  # the ANN `make bench` chose
    assert choose_index_type(50_000, IndexConfig(ann="hnsw")) == HNSW
    with pytest.raises(ValueError, match="ann must be"):
        IndexConfig(ann="lsh")


@pytest.mark.parametrize(("n", "expected"), [(1, FLAT), (63, FLAT), (64, HNSW), (300, HNSW)])
def test_index_type_switches_at_threshold(n: int, expected: str) -> None:
    config = IndexConfig(hnsw_threshold=64, ann="hnsw", hnsw_m=8, hnsw_ef_construction=40, hnsw_ef_search=16)
    index = FaissIndex.build(_random(n), config)
    assert index.index_type == expected
    assert index.size == n and index.dimension == 16


@pytest.mark.parametrize(("threshold", "ann"), [(10_000, "hnsw"), (10, "hnsw"), (10, "ivf_sq8")])
def test_search_finds_self_and_persists(tmp_path: Path, threshold: int, ann: str) -> None:
    vectors = _random(500)
    config = IndexConfig(hnsw_threshold=threshold, ann=ann, hnsw_m=16, hnsw_ef_search=64)
    index = FaissIndex.build(vectors, config)
    for row in (0, 123, 499):
        hits = index.search(vectors[row], 5)
        assert hits[0][0] == row and hits[0][1] == pytest.approx(1.0, abs=1e-2)  # SQ8: ~1e-3
        assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)
    # A fetch larger than efSearch (or than the probed cells hold) still returns that many.
    assert len(index.search(vectors[0], 200)) == 200 or index.index_type == IVF_SQ8
    index.save(tmp_path / "v.faiss")
    loaded = FaissIndex.load(tmp_path / "v.faiss", index.index_type, ef_search=64)
    assert loaded.index_type == index.index_type and loaded.size == 500
    assert loaded.search(vectors[7], 3) == index.search(vectors[7], 3)
    if index.index_type == HNSW:
        assert loaded.faiss_index.hnsw.efSearch == 64
    if index.index_type == IVF_SQ8:  # a tenth of the cells searched, saved with the index
        assert loaded.faiss_index.nprobe == max(1, ivf_lists(500) // 10)


def test_ivf_cells_follow_the_corpus() -> None:
    assert ivf_lists(1_000_000) == 4000 and ivf_lists(100_000) == 1264 and ivf_lists(400) == 10


def test_normalize_rows() -> None:
    out = normalize_rows([[3.0, 4.0], [0.0, 0.0]])
    assert out.dtype == np.float32
    assert np.allclose(out, [[0.6, 0.8], [0.0, 0.0]])
