"""`python -m bench`: time each stage of a verification against the raw sentence encoder.

Every figure comes from one run on one machine: p50/p95 over `--repeat` timed calls after
warm-up, and each stage's p50 as a multiple of the raw encoder's p50 (encoding one claim
with a bare `SentenceTransformer`), so numbers from different machines can be compared.
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
from pathlib import Path
from typing import Any

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


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--corpus", default="data/sample")
    parser.add_argument("--json", default="var/bench.json", help="also write the figures here")
    args = parser.parse_args(argv)

    import torch
    from sentence_transformers import SentenceTransformer

    from index import Snapshot, build_index, current_snapshot_path, load_embedder
    from index.embedding import resolve_model
    from service import create_app
    from service.pipeline import Query, Thresholds, verify
    from stance.context import build_premise
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
        hits = snapshot.search(claim, 20)
        pairs = [
            (build_premise(h.passage.text, before=h.passage.context_before, title=h.passage.title), claim)
            for h in hits
        ]
        results[f"stance, 1 claim x {len(pairs)} passages"] = timed(
            lambda: stance.predict(pairs), args.repeat
        )

        thresholds = Thresholds()
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
    print(f"\n{'stage':<36} {'p50 ms':>9} {'p95 ms':>9} {'x encoder':>10}")
    for name, r in results.items():
        print(f"{name:<36} {r['p50_ms']:>9.1f} {r['p95_ms']:>9.1f} {r['p50_ms'] / base:>10.1f}")
    out: dict[str, Any] = {
        "stages": results,
        "ratio_to_raw_encoder_p50": {k: v["p50_ms"] / base for k, v in results.items()},
        "index_build": {"documents": report.documents, "passages": report.passages, "seconds": build_s},
        "threads": torch.get_num_threads(),
        "repeat": args.repeat,
    }
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(out, indent=2) + "\n")
        print(f"\nfigures written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
