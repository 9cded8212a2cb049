"""`make bench` at a tiny size: every contract line appears once per size and parses."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench.corpus import bench_claims, passages, sentence_pool, write_corpus

ROOT = Path(__file__).resolve().parents[2]
NLI = ROOT.parent / "shared" / "nli"
NUMBER = r"[0-9]+(?:\.[0-9]+)?"
CONTRACT = {
    "bench_verify": ("p50_ms", "p95_ms"),
    "bench_build": ("passages_per_s", "ratio_to_encoder"),
    "bench_ann": ("recall_at_10", "query_ms", "index_mb"),
    "bench_batch": ("claims_per_s",),
    "bench_rss": ("rss_mb",),
}

pytestmark = pytest.mark.skipif(not NLI.is_dir(), reason=f"{NLI} missing")


def test_corpora_are_real_distinct_and_seeded(tmp_path: Path) -> None:
    pool = sentence_pool(NLI)
    assert len(pool) > 100_000  # the pool the 1M corpus joins pairs from
    made = list(passages(pool, len(pool) + 500))
    assert len(set(made)) == len(made)
    assert all(";" in p for p in made[len(pool) :])  # past the pool: two real sentences joined
    a, b = write_corpus(pool, 250, tmp_path / "a.jsonl"), write_corpus(pool, 250, tmp_path / "b.jsonl")
    assert a.read_bytes() == b.read_bytes()
    claims = bench_claims(NLI, 200)
    assert len(set(claims)) == 200


def _bench(cache: Path, *options: str) -> subprocess.CompletedProcess[str]:
    """`python -m bench` at 400 passages and 12 claims, cached in `cache`, without the stage table."""
    argv = ["--sizes", "400", "--claims", "12", "--cache", str(cache), "--no-stages", *options]
    return subprocess.run(
        [sys.executable, "-m", "bench", *argv], cwd=ROOT, capture_output=True, text=True, timeout=900
    )


@pytest.mark.slow
def test_the_contract_lines_at_a_tiny_size(tmp_path: Path) -> None:
    run = _bench(tmp_path, "--batch-all", "--ann-all", "--json", str(tmp_path / "bench.json"))
    assert run.returncode == 0, run.stderr[-3000:]
    lines = run.stdout.splitlines()
    assert lines[0].startswith("bench_cpu capability=") and " precision=" in lines[0]
    for name, fields in CONTRACT.items():
        pattern = rf"{name} passages=([0-9]+)" + "".join(rf" {f}=({NUMBER})" for f in fields) + r"(\s|$)"
        found = [m for line in lines if (m := re.match(pattern, line))]
        assert len(found) == 1, (name, run.stdout)
        assert 380 <= int(found[0].group(1)) <= 420  # the passages the build kept (a few split)
        assert all(float(v) > 0 for v in found[0].groups()[1:-1]), found[0].group(0)
    assert (tmp_path / "bench.json").exists()
    # a second run only times: the cached index is reused, not rebuilt
    built = sorted((tmp_path / "index-400" / "snapshots").iterdir())
    again = _bench(tmp_path, "--json", "")
    assert again.returncode == 0, again.stderr[-3000:]
    assert sorted((tmp_path / "index-400" / "snapshots").iterdir()) == built


def test_cached_ann_candidates_are_rebuilt_when_the_vectors_change(tmp_path: Path) -> None:
    """A candidate index cached over other vectors (the corpus was rebuilt) is not scored against
    the new vectors' truth: it is built again, and finds their exact neighbours."""
    import numpy as np

    from bench.scale import ann_candidates
    from index.embedding import normalize_rows

    rng = np.random.default_rng(1)
    queries = normalize_rows(rng.standard_normal((20, 48)))
    for seed in (2, 3):  # the same size twice, different vectors
        vectors = normalize_rows(np.random.default_rng(seed).standard_normal((2000, 48)))
        _, figures = ann_candidates(vectors, queries, tmp_path / "ann")
        hnsw = next(f for f in figures if f.name == "HNSW32/efSearch=128")
        assert hnsw.recall_at_10 >= 0.9, (seed, hnsw)
