"""`python -m bench` (`make bench`): claimwire's speed, from the sample corpus up to 1M passages.

First line: `bench_cpu capability=... precision=...` (what the CPU offers and what each model
runs in). Then, for each size of `--sizes` (a corpus of real sentences, `bench.corpus`; its
index built by the project's own build and cached under `var/bench/`, `bench.scale`):

    bench_build passages=N passages_per_s=X ratio_to_encoder=X   (the build vs the bare encoder)
    bench_verify passages=N p50_ms=X p95_ms=X       (POST /verify, one client, gunicorn as served)
    bench_concurrency passages=N clients=8 claims_per_s=X p50_ms=X p95_ms=X
    bench_rss passages=N rss_mb=X                   (the server: master and workers)
    bench_batch passages=N claims_per_s=X           (`make verify-batch`'s path; sizes >= 100k)
    bench_lexical passages=N query_ms=X             (BM25 alone, one claim)
    bench_ann passages=N recall_at_10=X query_ms=X index_mb=X   (the index served; sizes >= 1M,
                                                    with a `bench_ann_candidate` line per index tried)

Every figure of a size comes from one run on one machine. `/verify` is timed with stance on the
top 20 candidates (CANDIDATES=20, top_k=5) over 200 fixed claims (NLI eval hypotheses). Then,
unless `--no-stages`, each stage of one verification on the sample corpus as a multiple of the
raw encoder's time for one claim, so figures from different machines can be compared.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench import scale

CLAIMS = [
    "Ukraine requested 155mm propellant charges",
    "Ukraine asked South Korea to sell it Cheongung air defense systems",
    "The European Central Bank raised interest rates in November 2024",
    "South Korea declined to sell weapons to Ukraine",
]


def timed(fn: Callable[[], object], repeat: int, warmup: int = 3) -> dict[str, float]:
    """p50/p95/mean milliseconds of `repeat` calls after `warmup` untimed ones."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return {
        "p50_ms": statistics.median(samples),
        "p95_ms": samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))],
        "mean_ms": statistics.fmean(samples),
    }


def stages(args: argparse.Namespace) -> dict[str, Any]:
    """Each stage of one verification on the sample corpus, as a multiple of the raw encoder."""
    import torch
    from sentence_transformers import SentenceTransformer

    from index import Snapshot, build_index, current_snapshot_path, load_embedder
    from index.embedding import resolve_model
    from service import create_app
    from service.config import thresholds as served_thresholds
    from service.pipeline import Query, read_stance, verify
    from stance.model import CrossEncoderStance

    print(f"bench: torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} cores")
    claim = CLAIMS[0]
    results: dict[str, dict[str, float]] = {}

    _, path = resolve_model("sentence-transformers/all-MiniLM-L6-v2")
    raw = SentenceTransformer(path, device="cpu")
    results["raw encoder, 1 claim"] = timed(lambda: raw.encode([claim]), args.repeat)

    embedder = load_embedder()
    results["claimwire embedder, 1 claim"] = timed(lambda: embedder.encode([claim]), args.repeat)

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "index"
        start = time.perf_counter()
        report = build_index(Path(args.corpus), root, embedder, progress=False)
        build_s = time.perf_counter() - start
        snapshot = Snapshot.load(current_snapshot_path(root), embedder)
        results["hybrid search, k=30"] = timed(lambda: snapshot.search(claim, 30), args.repeat)

        stance = CrossEncoderStance()
        # the rule the service runs (the shipped model's fitted rule.json): with context_weight 0
        # each passage is read once, alone, and one that refers back ("They ...") also with its
        # previous sentence where reference_weight > 0: the pairs `read_stance` builds when serving
        thresholds = served_thresholds({})
        hits = snapshot.search(claim, 20)
        readings = read_stance(claim, hits, stance, with_context=thresholds.reads_with_context)
        twice = sum(r.with_context is not None and r.alone is not None for r in readings)
        results[f"stance, 1 claim x {len(hits)} passages ({twice} of them read twice)"] = timed(
            lambda: read_stance(claim, hits, stance, with_context=thresholds.reads_with_context), args.repeat
        )

        queries = [Query(c) for c in CLAIMS]
        counter = iter(range(10**9))

        def one_verify() -> object:
            q = queries[next(counter) % len(queries)]
            return verify(q, snapshot, stance, thresholds, embedding_model=embedder.name)

        results["pipeline verify (no HTTP)"] = timed(one_verify, args.repeat)

        app = create_app(
            {
                "TESTING": True,
                "INDEX_DIR": str(root),
                "EMBEDDER": embedder,
                "STANCE": stance,
                "RELOAD_THREAD": False,
            }
        )
        client = app.test_client()

        def one_request() -> object:
            c = CLAIMS[next(counter) % len(CLAIMS)]
            response = client.post("/verify", json={"claim": c})
            if response.status_code != 200:
                raise RuntimeError(
                    f"/verify answered {response.status_code}: {response.get_data(as_text=True)}"
                )
            return response

        results["POST /verify (Flask test client)"] = timed(one_request, args.repeat)

    base = results["raw encoder, 1 claim"]["p50_ms"]
    print(
        f"\nindex build: {report.documents} documents, {report.passages} passages in {build_s:.2f} s "
        f"({report.passages / build_s:.0f} passages/s, model already loaded)"
    )
    width = max(len("stage"), *map(len, results))
    print(f"\n{'stage':<{width}} {'p50 ms':>9} {'p95 ms':>9} {'x encoder':>10}")
    for name, r in results.items():
        print(f"{name:<{width}} {r['p50_ms']:>9.1f} {r['p95_ms']:>9.1f} {r['p50_ms'] / base:>10.1f}")
    out: dict[str, Any] = {
        "stages": results,
        "ratio_to_raw_encoder_p50": {k: v["p50_ms"] / base for k, v in results.items()},
        "index_build": {"documents": report.documents, "passages": report.passages, "seconds": build_s},
        "threads": torch.get_num_threads(),
        "repeat": args.repeat,
    }
    return out


def cpu_line() -> str:
    from index.precision import choose_precision, cpu_capability, cpu_flags, cpu_name

    bf16 = ",".join(sorted(cpu_flags() & {"amx_bf16", "avx512_bf16"})) or "none"
    return (
        f"bench_cpu capability={cpu_capability()} bf16_flags={bf16} "
        f"precision=embedding:{choose_precision(role='embedding')},stance:{choose_precision(role='stance')} "
        f"cores={os.cpu_count()} cpu={cpu_name().replace(' ', '_')}"
    )


def at_size(size: int, args: argparse.Namespace, claims: list[str], embedder: Any) -> dict[str, Any]:
    """Every figure of one corpus size (see the module docstring)."""
    import numpy as np

    from index import current_snapshot_path
    from index.lexical import LexicalIndex

    root = Path(args.cache)
    index_dir, build = scale.build_cached(size, root, Path(args.nli_dir), embedder)
    n = build.passages
    out: dict[str, Any] = {"build": asdict(build)}
    parts = ", ".join(f"{k} {v:.0f} s" for k, v in build.timings.items())
    print(
        build.line() + f"  (built {build.built_at}, {build.index_type}, {build.cpu}"
        f"{'; ' + parts if parts else ''})",
        flush=True,
    )
    env = {"CLAIMWIRE_CANDIDATES": str(scale.BENCH_CANDIDATES)}
    with scale.served(index_dir, env) as url:
        one = scale.post_claims(url, claims, clients=1)
        print(f"bench_verify passages={n} p50_ms={one.p50_ms:.1f} p95_ms={one.p95_ms:.1f}", flush=True)
        eight = scale.post_claims(url, claims, clients=8)
        print(
            f"bench_concurrency passages={n} clients=8 claims_per_s={eight.claims_per_s:.1f} "
            f"p50_ms={eight.p50_ms:.1f} p95_ms={eight.p95_ms:.1f}",
            flush=True,
        )
        rss = scale.server_rss_mb(url)
        print(f"bench_rss passages={n} rss_mb={rss:.0f}", flush=True)
    out.update(verify=asdict(one), concurrency=asdict(eight), rss_mb=rss)
    if size >= 100_000 or args.batch_all:
        rate = scale.batch_rate(index_dir, claims, root / f"batch-{size}.jsonl")
        print(f"bench_batch passages={n} claims_per_s={rate:.1f}", flush=True)
        out["batch_claims_per_s"] = rate
    snapshot = current_snapshot_path(index_dir)
    lexical = LexicalIndex.load(snapshot / "bm25")
    lexical_ms = scale.time_queries(
        lambda q: lexical.rank(claims[int(q[0, 0]) % len(claims)], 100),
        np.arange(len(claims), dtype=np.float32)[:, None],
    )
    bm25_s = build.timings.get("bm25")
    if bm25_s is None:  # a build cached before builds timed their stages: time BM25's alone
        texts = [json.loads(line)["text"] for line in (snapshot / "passages.jsonl").open(encoding="utf-8")]
        start = time.perf_counter()
        LexicalIndex.build(texts)
        bm25_s = time.perf_counter() - start
    print(f"bench_lexical passages={n} query_ms={lexical_ms:.1f} build_s={bm25_s:.0f}", flush=True)
    out["lexical_query_ms"] = lexical_ms
    out["lexical_build_s"] = bm25_s
    if size >= 1_000_000 or args.ann_all:
        out["ann"] = ann(snapshot, n, claims, embedder, root / f"ann-{size}")
    return out


def ann(snapshot: Path, n: int, claims: list[str], embedder: Any, cache: Path) -> dict[str, Any]:
    """Candidate FAISS indexes against exact search, then the dense search the snapshot serves:
    its index's fetch (4 x k) re-ranked by the exact inner product (`Snapshot._dense`)."""
    import numpy as np

    from index import Snapshot
    from index.config import IndexConfig

    vectors = np.load(snapshot / "vectors.npy", mmap_mode="r")
    queries = embedder.encode(claims)
    truth, candidates = scale.ann_candidates(np.ascontiguousarray(vectors), queries, cache)
    for c in candidates:
        print(c.line(n), flush=True)
    served = Snapshot.load(snapshot, embedder, verify=False)
    fetch = 10 * IndexConfig().overfetch

    def dense(q: Any) -> list[int]:
        return served._dense(q.reshape(-1), fetch, None)[:10]

    found = np.array([dense(q) for q in queries])
    recall = scale.recall_at_10(found, truth)
    query_ms = scale.time_queries(dense, queries)
    manifest = json.loads((snapshot / "manifest.json").read_text())
    index_mb = (snapshot / "vectors.faiss").stat().st_size / 2**20
    print(
        f"bench_ann passages={n} recall_at_10={recall:.4f} query_ms={query_ms:.2f} index_mb={index_mb:.0f}"
        f"  (served: {manifest['index_type']}, fetch {fetch} re-ranked exactly)",
        flush=True,
    )
    return {
        "served": {
            "index_type": manifest["index_type"],
            "recall_at_10": recall,
            "query_ms": query_ms,
            "index_mb": index_mb,
        },
        "candidates": [asdict(c) for c in candidates],
    }


SERVING_LAYOUTS = ((2, 4, 1), (1, 4, 2), (1, 8, 2), (2, 4, 2))


def serving_matrix(size: int, args: argparse.Namespace, claims: list[str]) -> list[dict[str, Any]]:
    """One client and 8 clients against each gunicorn layout, on the cached `size` index."""
    index_dir = Path(args.cache) / f"index-{size}"
    rows = []
    for workers, threads, torch_threads in SERVING_LAYOUTS:
        env = {
            "CLAIMWIRE_CANDIDATES": str(scale.BENCH_CANDIDATES),
            "WEB_CONCURRENCY": str(workers),
            "GUNICORN_THREADS": str(threads),
            "TORCH_THREADS": str(torch_threads),
        }
        with scale.served(index_dir, env) as url:
            one = scale.post_claims(url, claims, clients=1)
            eight = scale.post_claims(url, claims, clients=8)
            rss = scale.server_rss_mb(url)
        print(
            f"bench_serving passages={size} workers={workers} threads={threads} "
            f"torch_threads={torch_threads} "
            f"p50_ms={one.p50_ms:.1f} p95_ms={one.p95_ms:.1f} clients8_claims_per_s={eight.claims_per_s:.1f} "
            f"clients8_p50_ms={eight.p50_ms:.1f} rss_mb={rss:.0f}",
            flush=True,
        )
        rows.append(
            {
                "workers": workers,
                "threads": threads,
                "torch_threads": torch_threads,
                "one": asdict(one),
                "eight": asdict(eight),
                "rss_mb": rss,
            }
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="comma list of passage counts")
    parser.add_argument("--claims", type=int, default=200, help="fixed claims timed per size")
    parser.add_argument("--nli-dir", default="../shared/nli", help="the sentence pool and the claims")
    parser.add_argument("--cache", default="var/bench", help="corpora, indexes and ANN candidates")
    parser.add_argument("--batch-all", action="store_true", help="bench_batch at every size")
    parser.add_argument("--ann-all", action="store_true", help="bench_ann at every size")
    parser.add_argument("--no-stages", action="store_true", help="skip the per-stage table")
    parser.add_argument(
        "--serving",
        action="store_true",
        help="also time gunicorn layouts (workers x threads x torch threads) at the last size",
    )
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--corpus", default="data/sample", help="corpus of the per-stage table")
    parser.add_argument("--json", default="var/bench.json", help="also write the figures here")
    args = parser.parse_args(argv)

    print(cpu_line(), flush=True)
    from bench.corpus import bench_claims
    from index import load_embedder

    sizes = [int(s.replace("_", "")) for s in str(args.sizes).split(",") if s.strip()]
    claims = bench_claims(Path(args.nli_dir), args.claims)
    embedder = load_embedder()
    figures: dict[str, Any] = {"cpu": cpu_line(), "sizes": {}}
    for size in sizes:
        figures["sizes"][str(size)] = at_size(size, args, claims, embedder)
    if args.serving:
        figures["serving"] = serving_matrix(sizes[-1], args, claims)
    if not args.no_stages:
        figures["stages"] = stages(args)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")
        print(f"\nfigures written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
