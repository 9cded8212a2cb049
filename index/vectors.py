"""The dense side of retrieval: FAISS inner-product indexes, exact or approximate by corpus size."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from index.config import IndexConfig

FLAT = "flat_ip"
HNSW = "hnsw_flat_ip"
IVF_SQ8 = "ivf_sq8_ip"
#: `IndexConfig.ann` values and the index type each builds.
ANN_TYPES = {"hnsw": HNSW, "ivf_sq8": IVF_SQ8}


class VectorIndex(Protocol):
    """Nearest neighbours by inner product over unit vectors (= cosine similarity)."""

    index_type: str

    @property
    def size(self) -> int: ...

    @property
    def dimension(self) -> int: ...

    def search(self, query: npt.NDArray[np.float32], k: int) -> list[tuple[int, float]]:
        """Top k (row, inner product) for one query vector, best first."""
        ...


def _faiss() -> Any:
    """The faiss module, typed loosely (its stubs miss the HNSW attributes we use)."""
    import faiss

    return faiss


def choose_index_type(n_passages: int, config: IndexConfig) -> str:
    """Exact search below `config.hnsw_threshold` passages, `config.ann` at or above it."""
    return FLAT if n_passages < config.hnsw_threshold else ANN_TYPES[config.ann]


KMEANS_ITERATIONS = 10
KMEANS_PER_CELL = 40


def ivf_lists(n_passages: int) -> int:
    """IVF cells for n vectors: 4 sqrt(n) (FAISS's rule of thumb), at least 39 vectors a cell."""
    return max(1, min(int(4 * np.sqrt(n_passages)), n_passages // 39))


class FaissIndex:
    """A FAISS `IndexFlatIP`, `IndexHNSWFlat` or IVF with 8-bit scalar quantisation (all
    METRIC_INNER_PRODUCT); read-only once built."""

    def __init__(self, index: Any, index_type: str) -> None:
        self._index = index
        self.index_type = index_type

    @classmethod
    def build(cls, vectors: npt.NDArray[np.float32], config: IndexConfig) -> FaissIndex:
        faiss = _faiss()
        n, dim = vectors.shape
        index_type = choose_index_type(n, config)
        if index_type == FLAT:
            index = faiss.IndexFlatIP(dim)
        elif index_type == IVF_SQ8:
            lists = ivf_lists(n)
            index = faiss.index_factory(dim, f"IVF{lists},SQ8", faiss.METRIC_INNER_PRODUCT)
            # k-means on a fixed sample, 10 iterations (FAISS: 25) over 40 vectors a cell (FAISS
            # warns under 39; its cap is 256): the same recall@10 as 25 over 64 (0.988 at 100k
            # passages, 0.984 vs 0.983 at 1M) in a quarter of the time (1M: 22 vs 91 s)
            index.cp.niter = KMEANS_ITERATIONS
            sample = np.random.default_rng(0).choice(n, size=min(n, KMEANS_PER_CELL * lists), replace=False)
            index.train(np.ascontiguousarray(vectors[np.sort(sample)], dtype=np.float32))
            # saved with the index; a tenth of the cells: a twentieth kept only 0.93 of the exact
            # top 10 at 100k passages (`make bench`)
            index.nprobe = min(lists, config.ivf_nprobe or max(1, lists // 10))
        else:
            index = faiss.IndexHNSWFlat(dim, config.hnsw_m, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = config.hnsw_ef_construction
            index.hnsw.efSearch = config.hnsw_ef_search
        if n:
            index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        return cls(index, index_type)

    def save(self, path: Path) -> None:
        _faiss().write_index(self._index, str(path))

    @classmethod
    def load(cls, path: Path, index_type: str, *, ef_search: int | None = None) -> FaissIndex:
        index = _faiss().read_index(str(path))
        if index_type == HNSW and ef_search is not None:
            index.hnsw.efSearch = ef_search
        return cls(index, index_type)

    @property
    def size(self) -> int:
        return int(self._index.ntotal)

    @property
    def dimension(self) -> int:
        return int(self._index.d)

    @property
    def faiss_index(self) -> Any:
        return self._index

    def search(self, query: npt.NDArray[np.float32], k: int) -> list[tuple[int, float]]:
        k = min(k, self.size)
        if k <= 0:
            return []
        q = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        if self.index_type == HNSW:
            # efSearch bounds how many neighbours HNSW can return; large fetches need more.
            params = _faiss().SearchParametersHNSW()
            params.efSearch = max(int(self._index.hnsw.efSearch), k)
            scores, ids = self._index.search(q, k, params=params)
        else:
            scores, ids = self._index.search(q, k)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]
