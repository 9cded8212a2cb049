"""The benchmark at a corpus size: cached build, HTTP latency and throughput, RSS, batch, ANN.

Everything is measured in one process run on one machine, and cached under `var/bench/`:
`corpus-N.jsonl` (the articles), `index-N/` (a published index built by `index.build_index`,
the project's own build) with `bench-build.json` (the build's figures, measured in the run that
built it, next to the bare encoder's in that same run), and `ann-N/` (the candidate FAISS
indexes of the ANN comparison). A second run only times.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from bench.corpus import SENTENCES_PER_ARTICLE, sentence_pool, write_corpus
from index.precision import cpu_name

BUILD_RECORD = "bench-build.json"
ENCODER_SAMPLE = 20_000  # passages the bare encoder is timed on, next to each build
BENCH_CANDIDATES = 20  # stance reads the top 20 candidates (CANDIDATES=20, top_k=5)
BENCH_TOP_K = 5


def percentile(samples: Sequence[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


# --- build ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class BuildFigures:
    passages: int
    seconds: float
    passages_per_s: float
    encoder_per_s: float
    ratio_to_encoder: float
    index_type: str
    precision: str
    built_at: str
    cpu: str
    timings: dict[str, float] = field(default_factory=dict)  # the build's stages (BuildReport)
    encoder_before_after: tuple[float, float] | None = None  # the bare encoder's two timings

    def line(self) -> str:
        return (
            f"bench_build passages={self.passages} passages_per_s={self.passages_per_s:.1f} "
            f"ratio_to_encoder={self.ratio_to_encoder:.3f}"
        )


def encoder_rate(texts: Sequence[str], embedder: Any) -> float:
    """Sentences/s of the bare sentence-transformers model under the embedder (same weights and
    precision), on `texts` as one `encode` call: the ceiling an index build can reach."""
    model = embedder._model
    start = time.perf_counter()
    model.encode(list(texts), batch_size=embedder.batch_size, show_progress_bar=False)
    return len(texts) / (time.perf_counter() - start)


def passage_sample(corpus: Path, n: int) -> list[str]:
    """About `n` passage texts of `corpus` as the build makes them: articles taken evenly over the
    whole file, split by the project's segmenter (`index.passages`)."""
    from index import IndexConfig
    from index.articles import load_corpus
    from index.passages import Segmenter, article_sentences

    articles = load_corpus(corpus).articles
    segmenter, config = Segmenter(), IndexConfig()
    stride = max(1, len(articles) * SENTENCES_PER_ARTICLE // max(1, n))
    texts: list[str] = []
    for article in articles[::stride]:
        texts.extend(article_sentences(article, segmenter, config))
        if len(texts) >= n:
            break
    return texts[:n]


def build_cached(size: int, root: Path, nli_dir: Path, embedder: Any) -> tuple[Path, BuildFigures]:
    """The index of the `size`-passage corpus under `root`, built (and timed) only when missing."""
    from index import build_index

    index_dir = root / f"index-{size}"
    record = index_dir / BUILD_RECORD
    if record.exists() and (index_dir / "current").is_symlink():
        return index_dir, BuildFigures(**json.loads(record.read_text()))
    corpus = root / f"corpus-{size}.jsonl"
    if not corpus.exists():
        print(f"bench: writing corpus-{size}.jsonl from the NLI sentence pool", file=sys.stderr)
        write_corpus(sentence_pool(nli_dir), size, corpus)
    # The bare encoder, in this same run, on passages as the build makes them (articles spread over
    # the whole corpus, split by the project's segmenter), timed warm (one untimed pass first, as
    # the build's own first batches also pay for the kernels of each new padded length), once
    # before the build and once after: the mean, since this CPU's speed drifts by up to 10%
    # within minutes.
    sample = passage_sample(corpus, min(ENCODER_SAMPLE, size))
    encoder_rate(sample[:2000], embedder)
    before = encoder_rate(sample, embedder)
    print(
        f"bench: building the {size}-passage index (the encoder alone does {before:.0f} passages/s "
        f"here: about {size / before / 60:.1f} min of encoding); Ctrl-C is safe, a rerun starts over",
        file=sys.stderr,
    )
    report = build_index(corpus, index_dir, embedder, progress=True)
    after = encoder_rate(sample, embedder)
    rate = (before + after) / 2
    figures = BuildFigures(
        passages=report.passages,
        seconds=report.seconds,
        passages_per_s=report.passages / report.seconds,
        encoder_per_s=rate,
        ratio_to_encoder=report.passages / report.seconds / rate,
        index_type=report.index_type,
        precision=str(getattr(embedder, "precision", "fp32")),
        built_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        cpu=cpu_name(),
        timings={k: round(v, 2) for k, v in report.timings.items()},
        encoder_before_after=(round(before, 1), round(after, 1)),
    )
    tmp = record.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(figures), indent=2) + "\n")
    tmp.replace(record)
    return index_dir, figures


# --- the server --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def served(index_dir: Path, env: dict[str, str] | None = None, timeout: float = 600) -> Iterator[str]:
    """gunicorn as `make serve` starts it, on a free port, until ready; yields its base URL."""
    import httpx

    port = free_port()
    full_env = {
        **os.environ,
        "CLAIMWIRE_INDEX_DIR": str(index_dir),
        "PORT": str(port),
        "HF_HUB_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
        "LOG_LEVEL": "warning",
        **(env or {}),
    }
    gunicorn = Path(sys.executable).parent / "gunicorn"
    # The server's log goes to a file: a pipe nobody reads fills up and blocks the workers.
    log_path = Path(index_dir).parent / f"server-{Path(index_dir).name}.log"
    log = log_path.open("w", encoding="utf-8")
    proc = subprocess.Popen(
        [str(gunicorn), "-c", "service/gunicorn_conf.py", "service:create_app()"],
        env=full_env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {log_path.read_text()[-2000:]}")
            with contextlib.suppress(httpx.HTTPError):
                # every worker must be ready: ask a few times (connections land on any worker)
                if all(httpx.get(f"{url}/ready", timeout=5).status_code == 200 for _ in range(6)):
                    break
            if time.monotonic() > deadline:
                raise TimeoutError(f"gunicorn not ready after {timeout:.0f} s")
            time.sleep(1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def server_rss_mb(url: str) -> float:
    """Resident memory of the gunicorn listening on `url`: master plus workers, in MB."""
    import psutil

    port = int(url.rsplit(":", 1)[1])
    for conn in psutil.net_connections(kind="tcp"):
        if conn.laddr and conn.laddr.port == port and conn.status == psutil.CONN_LISTEN and conn.pid:
            master = psutil.Process(conn.pid)
            while master.parent() is not None and "gunicorn" in " ".join(master.parent().cmdline()):
                master = master.parent()
            procs = [master, *master.children(recursive=True)]
            return float(sum(p.memory_info().rss for p in procs)) / 2**20
    raise RuntimeError(f"no process listens on {url}")


@dataclass(frozen=True)
class HttpFigures:
    p50_ms: float
    p95_ms: float
    claims_per_s: float
    clients: int


def post_claims(url: str, claims: Sequence[str], clients: int = 1) -> HttpFigures:
    """POST every claim to /verify from `clients` concurrent clients; latency and throughput."""
    import httpx

    def worker(part: Sequence[str]) -> list[float]:
        times = []
        with httpx.Client(base_url=url, timeout=120) as client:
            for claim in part:
                start = time.perf_counter()
                response = client.post("/verify", json={"claim": claim, "top_k": BENCH_TOP_K})
                if response.status_code != 200:
                    raise RuntimeError(f"/verify answered {response.status_code}: {response.text[:300]}")
                times.append((time.perf_counter() - start) * 1000)
        return times

    with httpx.Client(base_url=url, timeout=120) as warm:  # each worker loads lazily: warm both
        for claim in claims[:6]:
            warm.post("/verify", json={"claim": claim, "top_k": BENCH_TOP_K})
    parts = [claims[i::clients] for i in range(clients)]
    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        samples = [t for times in pool.map(worker, parts) for t in times]
    wall = time.perf_counter() - start
    return HttpFigures(
        p50_ms=statistics.median(samples),
        p95_ms=percentile(samples, 0.95),
        claims_per_s=len(samples) / wall,
        clients=clients,
    )


# --- batch ---------------------------------------------------------------------------------


def batch_rate(index_dir: Path, claims: Sequence[str], out: Path) -> float:
    """Claims/s of `python -m service.batch` over `claims` (a fresh output file; models loaded
    before the clock starts), the path `make verify-batch` runs."""
    from flask import Config

    from service.batch import Item, run
    from service.config import DefaultConfig, thresholds
    from service.pipeline import Query
    from service.runtime import Runtime, default_model_loader, default_snapshot_loader

    config = Config(os.getcwd())
    config.from_object(DefaultConfig)
    config.from_prefixed_env("CLAIMWIRE")
    config["CANDIDATES"] = BENCH_CANDIDATES
    runtime = Runtime(
        index_dir,
        default_model_loader(config["EMBEDDING_MODEL"], config["STANCE_MODEL"]),
        default_snapshot_loader,
    )
    runtime.refresh()
    loaded = runtime.loaded
    if loaded is None:
        raise RuntimeError(str(runtime.problem))
    items = [
        Item(id=f"c{i}", options={"claim": c, "top_k": BENCH_TOP_K}, error=None) for i, c in enumerate(claims)
    ]
    loaded.verify(Query(claims[0]), thresholds(config))  # warm-up
    out.unlink(missing_ok=True)
    start = time.perf_counter()
    run(items, out, loaded, thresholds(config), progress=False)
    return len(claims) / (time.perf_counter() - start)


# --- ANN ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnnFigures:
    name: str
    recall_at_10: float
    query_ms: float
    index_mb: float
    build_s: float

    def line(self, passages: int) -> str:
        return (
            f"bench_ann_candidate passages={passages} index={self.name} recall_at_10={self.recall_at_10:.4f} "
            f"query_ms={self.query_ms:.2f} index_mb={self.index_mb:.0f} build_s={self.build_s:.0f}"
        )


def recall_at_10(found: npt.NDArray[np.int64], truth: npt.NDArray[np.int64]) -> float:
    hits = sum(len(set(f[:10].tolist()) & set(t[:10].tolist())) for f, t in zip(found, truth, strict=True))
    return hits / (10 * len(truth))


def time_queries(search: Callable[[npt.NDArray[np.float32]], Any], queries: npt.NDArray[np.float32]) -> float:
    """Median ms of one-query searches (as the service makes them)."""
    for q in queries[:5]:
        search(q[None, :])
    samples = []
    for q in queries:
        start = time.perf_counter()
        search(q[None, :])
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def vectors_fingerprint(vectors: npt.NDArray[np.float32]) -> str:
    """A digest of the vectors' shape and of a thousand rows spread over them."""
    import hashlib

    n = len(vectors)
    rows = np.ascontiguousarray(vectors[:: max(1, n // 1000)], dtype=np.float32)
    return hashlib.sha256(repr(vectors.shape).encode() + rows.tobytes()).hexdigest()[:16]


def ann_candidates(
    vectors: npt.NDArray[np.float32], queries: npt.NDArray[np.float32], cache: Path
) -> tuple[npt.NDArray[np.int64], list[AnnFigures]]:
    """Exact top-10 of the queries, and each candidate FAISS index's recall, speed and size.

    Candidates: HNSW (M=32) at two efSearch values; IVF with a flat, 8-bit scalar-quantised or
    product-quantised store at two nprobe values. Built indexes are cached in `cache`.
    """
    import faiss

    from index.vectors import ivf_lists

    n, d = vectors.shape
    cache.mkdir(parents=True, exist_ok=True)
    exact = faiss.IndexFlatIP(d)
    exact.add(vectors)
    _, truth = exact.search(queries, 10)
    nlist = ivf_lists(n)  # the served index's cell count (4 sqrt(n), >= 39 training vectors a cell)
    specs: dict[str, Callable[[], Any]] = {
        "HNSW32": lambda: faiss.IndexHNSWFlat(d, 32, faiss.METRIC_INNER_PRODUCT),
        f"IVF{nlist},Flat": lambda: faiss.index_factory(d, f"IVF{nlist},Flat", faiss.METRIC_INNER_PRODUCT),
        f"IVF{nlist},SQ8": lambda: faiss.index_factory(d, f"IVF{nlist},SQ8", faiss.METRIC_INNER_PRODUCT),
    }
    # PQ kept 0.62 of the exact top 10 at 100k passages: not worth its training at 1M; below
    # FAISS's minimum of 39 x 256 training vectors its k-means crawls (a minute for 400 vectors)
    if 39 * 256 <= n < 500_000:
        specs[f"IVF{nlist},PQ48"] = lambda: faiss.index_factory(
            d, f"IVF{nlist},PQ48", faiss.METRIC_INNER_PRODUCT
        )
    figures: list[AnnFigures] = []
    rng = np.random.default_rng(0)
    fingerprint = vectors_fingerprint(vectors)
    for name, make in specs.items():
        path = cache / f"{name.replace(',', '_')}.faiss"
        meta = path.with_suffix(".json")
        index: Any
        # a candidate built over other vectors (the index was rebuilt since) would be timed and
        # scored against the wrong truth: reused only when it holds these very vectors
        saved = json.loads(meta.read_text()) if path.exists() and meta.exists() else {}
        if saved.get("vectors") == fingerprint:
            index = faiss.read_index(str(path))
            build_s = float(saved["build_s"])
        else:
            print(f"bench: building {name} over {n} vectors", file=sys.stderr)
            start = time.perf_counter()
            index = make()
            if name.startswith("HNSW"):
                index.hnsw.efConstruction = 80
            else:
                train = vectors[rng.choice(n, size=min(n, 50 * nlist), replace=False)]
                index.train(train)
            index.add(vectors)
            build_s = time.perf_counter() - start
            faiss.write_index(index, str(path) + ".tmp")
            os.replace(str(path) + ".tmp", path)
            meta.write_text(json.dumps({"build_s": build_s, "vectors": fingerprint}))
        size_mb = path.stat().st_size / 2**20
        settings = (
            [("efSearch", 64), ("efSearch", 128)]
            if name.startswith("HNSW")
            else [("nprobe", 16), ("nprobe", 64)]
        )
        for param, value in settings:
            if param == "efSearch":
                index.hnsw.efSearch = value
            else:
                faiss.extract_index_ivf(index).nprobe = value
            _, found = index.search(queries, 10)
            figures.append(
                AnnFigures(
                    name=f"{name}/{param}={value}",
                    recall_at_10=recall_at_10(found, truth),
                    query_ms=time_queries(partial(index.search, k=10), queries),
                    index_mb=size_mb,
                    build_s=build_s,
                )
            )
    figures.append(
        AnnFigures(
            name="Flat (exact)",
            recall_at_10=1.0,
            query_ms=time_queries(lambda q: exact.search(q, 10), queries),
            index_mb=n * d * 4 / 2**20,
            build_s=0.0,
        )
    )
    return truth, figures
