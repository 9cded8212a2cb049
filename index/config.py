"""Build and search settings of the index (`IndexConfig`)."""

from __future__ import annotations

from dataclasses import dataclass

#: Below this many passages the FAISS index is exact (`IndexFlatIP`); at or above, HNSW.
DEFAULT_HNSW_THRESHOLD = 50_000


@dataclass(frozen=True)
class IndexConfig:
    """Tunable settings; the defaults suit news corpora up to a few million passages.

    `hnsw_threshold`: passage count at which the FAISS index switches from exact
    `IndexFlatIP` to the approximate index `ann` (inner product): `ivf_sq8` (IVF cells of 8-bit
    scalar-quantised vectors, `ivf_nprobe` cells searched per query, a tenth of them by default;
    chosen by `make bench` at 1M passages, README "Speed") or `hnsw` (`IndexHNSWFlat`). `hnsw_m`,
    `hnsw_ef_construction` and `hnsw_ef_search` are the HNSW graph parameters (efSearch is
    stored in the manifest and applied on load). `exhaustive_below`: filtered searches of
    indexes smaller than this are searched in full, so filters never lose recall; other searches
    over-fetch `overfetch` x k from each side and grow the fetch until k filtered hits are found.
    """

    hnsw_threshold: int = DEFAULT_HNSW_THRESHOLD
    hnsw_m: int = 32
    hnsw_ef_construction: int = 200
    hnsw_ef_search: int = 128
    ann: str = "ivf_sq8"
    ivf_nprobe: int | None = None  # None: a tenth of the cells (recall@10 >= 0.95, `make bench`)
    batch_size: int = 64
    keep_snapshots: int = 3
    min_passage_words: int = 4
    near_duplicate_jaccard: float = 0.9
    rrf_k: int = 60
    exhaustive_below: int = 20_000
    overfetch: int = 4

    def __post_init__(self) -> None:
        if self.ann not in ("hnsw", "ivf_sq8"):
            raise ValueError("ann must be hnsw or ivf_sq8")
        if self.ivf_nprobe is not None and self.ivf_nprobe < 1:
            raise ValueError("ivf_nprobe must be >= 1")
        if self.hnsw_threshold < 1:
            raise ValueError("hnsw_threshold must be >= 1")
        if self.keep_snapshots < 1:
            raise ValueError("keep_snapshots must be >= 1")
        if self.batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        if not 0.0 < self.near_duplicate_jaccard <= 1.0:
            raise ValueError("near_duplicate_jaccard must be in (0, 1]")
        if self.overfetch < 1 or self.rrf_k < 1:
            raise ValueError("overfetch and rrf_k must be >= 1")
