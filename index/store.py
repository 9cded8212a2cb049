"""Snapshots on disk: build into a temporary directory, publish atomically, load read-only.

Layout of an index root::

    ROOT/
      current -> snapshots/<snapshot_id>      relative symlink, swapped atomically
      snapshots/<snapshot_id>/
        manifest.json     model, dimension, counts, outlets, checksums, build report
        passages.jsonl    one Passage per line, in vector row order
        vectors.npy       (passages, dimension) float32, L2-normalised
        vectors.faiss     IndexFlatIP or IndexHNSWFlat (inner product)
        bm25/             bm25s index files
      .tmp-<snapshot_id>/ a build in progress (removed by the next build if left by a crash)
      .build.lock         serialises builds into the same root

A snapshot is immutable once published: readers never see half of one. Every way of making
one (`build_index`, `index.ingest`'s writes, the Ray build in `index.distributed`) goes through
`stage_snapshot`: written into `.tmp-<id>`, renamed into `snapshots/`, `current` swapped, old
snapshots pruned.

The dense side of a loaded snapshot is a `VectorStore`'s index: `FaissStore` (the default, the
snapshot's own `vectors.faiss`) or `index.milvus.MilvusStore` (a Milvus collection per snapshot,
made from `vectors.npy` on first load; `vector_store("milvus", uri=...)`). Either way the snapshot
files are the source of truth and the answers are the same.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import hashlib
import json
import multiprocessing
import os
import shutil
import signal
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar, runtime_checkable

import numpy as np
import numpy.typing as npt

from index.articles import Article, load_corpus
from index.config import IndexConfig
from index.embedding import Embedder
from index.errors import CorpusError, SnapshotError
from index.lexical import LexicalIndex
from index.passages import Segmenter, article_passages
from index.schema import InputIssue, Passage, SearchFilters, SearchHit
from index.search import rrf_fuse
from index.vectors import HNSW, IVF_SQ8, FaissIndex, VectorIndex

FORMAT_VERSION = 1
MANIFEST_FILE = "manifest.json"
PASSAGES_FILE = "passages.jsonl"
VECTORS_FILE = "vectors.npy"
FAISS_FILE = "vectors.faiss"
BM25_DIR = "bm25"
SNAPSHOTS_DIR = "snapshots"
CURRENT_LINK = "current"
TMP_PREFIX = ".tmp-"
LOCK_FILE = ".build.lock"
#: Test hook: seconds to pause mid-build (after passages and vectors are written, before the
#: indexes and manifest), announced on stderr, so a test can kill the build there.
PAUSE_ENV = "CLAIMWIRE_TEST_PAUSE_BUILD"


@dataclass(frozen=True)
class SnapshotManifest:
    """What `manifest.json` records about a snapshot."""

    snapshot_id: str
    format_version: int
    embedding_model: str
    dimension: int
    passages: int
    documents: int
    outlets: list[str]
    built_at: str
    corpus_checksum: str
    index_type: str
    index_params: dict[str, int] = field(default_factory=dict)
    corpus: str = ""
    files: dict[str, str] = field(default_factory=dict)
    build: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, obj: object) -> SnapshotManifest:
        if not isinstance(obj, dict):
            raise SnapshotError("manifest.json is not a JSON object")
        expected: dict[str, type | tuple[type, ...]] = {
            "snapshot_id": str,
            "format_version": int,
            "embedding_model": str,
            "dimension": int,
            "passages": int,
            "documents": int,
            "outlets": list,
            "built_at": str,
            "corpus_checksum": str,
            "index_type": str,
            "index_params": dict,
            "files": dict,
        }
        for key, kind in expected.items():
            if key not in obj:
                raise SnapshotError(f"manifest.json lacks {key!r}")
            if not isinstance(obj[key], kind) or isinstance(obj[key], bool):
                raise SnapshotError(f"manifest.json: {key!r} has the wrong type ({obj[key]!r})")
        return cls(
            snapshot_id=obj["snapshot_id"],
            format_version=obj["format_version"],
            embedding_model=obj["embedding_model"],
            dimension=obj["dimension"],
            passages=obj["passages"],
            documents=obj["documents"],
            outlets=[str(o) for o in obj["outlets"]],
            built_at=obj["built_at"],
            corpus_checksum=obj["corpus_checksum"],
            index_type=obj["index_type"],
            index_params={str(k): int(v) for k, v in obj["index_params"].items()},
            corpus=str(obj.get("corpus", "")),
            files={str(k): str(v) for k, v in obj["files"].items()},
            build=dict(obj.get("build") or {}),
        )


@dataclass(frozen=True)
class BuildReport:
    """The outcome of `build_index`: the published snapshot and what was skipped, and why."""

    snapshot_id: str
    path: Path
    documents: int
    passages: int
    skipped: list[InputIssue]
    index_type: str = ""
    corpus: str = ""
    seconds: float = 0.0
    # seconds per stage: read (corpus), split, embed, write (passages, vectors), ann, bm25, finish
    timings: dict[str, float] = field(default_factory=dict)

    def summary(self) -> str:
        lines = [
            f"documents: {self.documents}",
            f"passages:  {self.passages}",
            f"index:     {self.index_type}",
            f"skipped:   {len(self.skipped)} input(s)",
        ]
        lines += [f"  - {issue}" for issue in self.skipped]
        lines += [
            f"snapshot:  {self.snapshot_id}",
            f"path:      {self.path}",
            f"time:      {self.seconds:.1f}s"
            + (
                " (" + ", ".join(f"{k} {v:.1f}s" for k, v in self.timings.items()) + ")"
                if self.timings
                else ""
            ),
        ]
        return "\n".join(lines)


# --- files -------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _data_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.is_file() and p.name != MANIFEST_FILE)


def _write_json(path: Path, obj: object) -> None:
    with path.open("w", encoding="utf-8") as fh:
        json.dump(obj, fh, ensure_ascii=False, indent=2, sort_keys=True)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())


# --- build -------------------------------------------------------------------------------


@contextlib.contextmanager
def _build_lock(root: Path) -> Iterator[None]:
    with (root / LOCK_FILE).open("a") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _clean_stale(root: Path) -> None:
    """Remove what a crashed build left behind (safe: we hold the build lock)."""
    for tmp in root.glob(f"{TMP_PREFIX}*"):
        shutil.rmtree(tmp, ignore_errors=True)
    stale_link = root / f"{CURRENT_LINK}.tmp"
    if stale_link.is_symlink() or stale_link.exists():
        stale_link.unlink()


def _new_snapshot_id(root: Path, corpus_checksum: str) -> str:
    """`<UTC second>-<8 hex of the corpus checksum>`, suffixed `-2`, `-3`... within one second.

    The suffix continues past every id of that second still on disk, so an id is never reused
    (even after pruning deleted an older one): a changed `current` link always means new data.
    """
    base = f"{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-{corpus_checksum[:8]}"
    taken = [p.name for p in (root / SNAPSHOTS_DIR).glob(f"{base}*")]
    taken += [p.name.removeprefix(TMP_PREFIX) for p in root.glob(f"{TMP_PREFIX}{base}*")]
    if not taken:
        return base
    suffixes = [1]
    for name in taken:
        rest = name[len(base) :]
        if rest.startswith("-") and rest[1:].isdigit():
            suffixes.append(int(rest[1:]))
    return f"{base}-{max(suffixes) + 1}"


def _pause_for_tests(tmp: Path) -> None:
    value = os.environ.get(PAUSE_ENV)
    if not value:
        return
    print(f"{PAUSE_ENV}: build paused in {tmp}", file=sys.stderr, flush=True)
    time.sleep(float(value))


def publish(root: Path, snapshot_id: str) -> None:
    """Point `root/current` at `snapshots/<snapshot_id>` atomically (symlink + rename)."""
    target = root / SNAPSHOTS_DIR / snapshot_id
    if not (target / MANIFEST_FILE).is_file():
        raise SnapshotError(f"cannot publish {snapshot_id}: {target} is not a snapshot")
    tmp_link = root / f"{CURRENT_LINK}.tmp"
    if tmp_link.is_symlink() or tmp_link.exists():
        tmp_link.unlink()
    os.symlink(f"{SNAPSHOTS_DIR}/{snapshot_id}", tmp_link)
    os.replace(tmp_link, root / CURRENT_LINK)
    _fsync_path(root)


def prune(root: Path, keep: int) -> list[str]:
    """Delete all but the `keep` newest snapshots, never the current one; return deleted ids."""
    snapshots_dir = root / SNAPSHOTS_DIR
    if not snapshots_dir.is_dir():
        return []
    try:
        current = os.path.basename(os.readlink(root / CURRENT_LINK))
    except OSError:
        current = None
    # Ids start with a UTC timestamp, so names sort by build time; mtime breaks ties.
    ids = sorted(
        (p for p in snapshots_dir.iterdir() if p.is_dir()),
        key=lambda p: (p.name[:16], p.stat().st_mtime_ns, p.name),
        reverse=True,
    )
    deleted: list[str] = []
    for path in ids[keep:]:
        if path.name == current:
            continue
        shutil.rmtree(path, ignore_errors=True)
        deleted.append(path.name)
    return deleted


def _check_vectors(vectors: npt.NDArray[np.float32], n: int, embedder: Embedder) -> None:
    if vectors.shape != (n, embedder.dimension):
        raise SnapshotError(
            f"embedder {embedder.name!r} returned shape {vectors.shape}, expected ({n}, {embedder.dimension})"
        )
    if vectors.dtype != np.float32 or not np.all(np.isfinite(vectors)):
        raise SnapshotError(f"embedder {embedder.name!r} returned non-finite or non-float32 vectors")


class RecordedModel:
    """An embedding model known by name and dimension only: what a snapshot's manifest records.

    For writes that embed nothing here (a delete; a Ray build, whose workers hold the model).
    """

    def __init__(self, name: str, dimension: int) -> None:
        self.name = name
        self.dimension = dimension

    def encode(self, texts: Sequence[str], *, progress: bool = False) -> npt.NDArray[np.float32]:
        raise SnapshotError(f"{self.name!r} is not loaded in this process; nothing can be embedded here")


_Written = TypeVar("_Written")


def stage_snapshot(
    root: Path, checksum: str, write: Callable[[Path, str], _Written], keep: int
) -> tuple[str, Path, _Written]:
    """Write a new snapshot with `write(tmp, snapshot_id)` and publish it; the caller holds the lock.

    The one publishing sequence of the library: a fresh id, `write` into `.tmp-<id>`, rename into
    `snapshots/` (fsynced), swap `current`, prune to `keep`. Ctrl-C or an error inside removes the
    half-written directory; kill -9 leaves it for the next build's `_clean_stale`. Returns the id,
    the published directory and what `write` returned.
    """
    snapshot_id = _new_snapshot_id(root, checksum)
    tmp = root / f"{TMP_PREFIX}{snapshot_id}"
    final = root / SNAPSHOTS_DIR / snapshot_id
    tmp.mkdir()
    try:
        written = write(tmp, snapshot_id)
        (root / SNAPSHOTS_DIR).mkdir(exist_ok=True)
        os.rename(tmp, final)
        _fsync_path(root / SNAPSHOTS_DIR)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    publish(root, snapshot_id)
    prune(root, keep)
    return snapshot_id, final, written


def split_articles(
    articles: Sequence[Article], config: IndexConfig, segmenter: Segmenter | None = None
) -> list[list[Passage]]:
    """Each article's passages, in order (an empty list: nothing left after cleaning).

    The one splitting step of a build, run in the building process, in its split workers
    (`split_corpus`) or on Ray workers alike.
    """
    segmenter = segmenter or Segmenter()
    return [article_passages(article, segmenter, config) for article in articles]


#: Articles from which `build_index` splits in worker processes: below it, starting them (about
#: 0.2 s) costs more than they save (splitting takes about 0.6 ms an article).
PARALLEL_SPLIT_MIN_ARTICLES = 1_000
_CHUNKS_PER_WORKER = 8  # small enough chunks that no worker waits long for the last one


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity; `os.cpu_count()` where unknown)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _ignore_interrupts() -> None:
    """Split workers leave Ctrl-C to the build, which stops them (no traceback from each)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def split_corpus(
    articles: Sequence[Article],
    config: IndexConfig,
    *,
    workers: int | None = None,
    min_articles: int = PARALLEL_SPLIT_MIN_ARTICLES,
) -> list[list[Passage]]:
    """`split_articles` over a whole corpus, on every core: splitting is pure Python (one core),
    while the rest of a build keeps them all busy, so on 2 cores it was 5% of a 100k-passage
    build. Contiguous chunks go to `workers` processes (default: one per usable core); the result
    is the same lists in the same order. Corpora under `min_articles` articles, or one worker,
    split in this process.

    Workers are spawned, not forked: the building process holds torch's and FAISS's threads, and
    a fork copies their locks in whatever state they are.
    """
    workers = usable_cores() if workers is None else workers
    if workers <= 1 or len(articles) < min_articles:
        return split_articles(articles, config)
    size = -(-len(articles) // (workers * _CHUNKS_PER_WORKER))
    chunks = [articles[i : i + size] for i in range(0, len(articles), size)]
    pool = ProcessPoolExecutor(
        workers, mp_context=multiprocessing.get_context("spawn"), initializer=_ignore_interrupts
    )
    try:
        done = pool.map(split_articles, chunks, [config] * len(chunks))
        split = [found for chunk in done for found in chunk]
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    return split


@dataclass(frozen=True)
class CorpusPassages:
    """What a build indexes: the passages of every usable article, in corpus order."""

    passages: list[Passage]
    documents: int
    issues: list[InputIssue]


def collect_passages(
    corpus: Path,
    articles: Sequence[Article],
    split: Sequence[Sequence[Passage]],
    issues: Sequence[InputIssue],
) -> CorpusPassages:
    """Join the split articles; an article with no passage becomes an issue. `CorpusError` if none."""
    found_issues = list(issues)
    passages: list[Passage] = []
    documents = 0
    for article, found in zip(articles, split, strict=True):
        if not found:
            found_issues.append(
                InputIssue(article.source, None, "empty article (no sentences left after cleaning)")
            )
            continue
        documents += 1
        passages.extend(found)
    if not passages:
        details = "".join(f"\n  - {issue}" for issue in found_issues)
        raise CorpusError(f"no usable passages in {corpus}{details}")
    return CorpusPassages(passages, documents, found_issues)


def publish_build(
    corpus: Path,
    out_root: Path,
    checksum: str,
    found: CorpusPassages,
    vectors: Callable[[], npt.NDArray[np.float32]],
    model: Embedder,
    config: IndexConfig,
    *,
    started: float,
    timings: dict[str, float] | None = None,
) -> BuildReport:
    """Write and publish the snapshot of a build under the build lock; `vectors()` runs under it too.

    `model` names the embedding model in the manifest (its name and dimension are checked against
    the vectors). Shared by `build_index` and the Ray build, so both publish the same files.
    `timings` (the caller's stages so far) gets each stage's seconds and goes into the report.
    """
    timings = timings if timings is not None else {}
    out_root.mkdir(parents=True, exist_ok=True)
    with _build_lock(out_root):
        _clean_stale(out_root)
        with _timed(timings, "embed"):
            array = vectors()
        _check_vectors(array, len(found.passages), model)

        def write(tmp: Path, snapshot_id: str) -> str:
            return _write_snapshot(
                tmp,
                snapshot_id,
                found.passages,
                array,
                model,
                config,
                checksum,
                corpus,
                found.documents,
                found.issues,
                timings,
            )

        snapshot_id, final, index_type = stage_snapshot(out_root, checksum, write, config.keep_snapshots)
    return BuildReport(
        snapshot_id=snapshot_id,
        path=final.resolve(),
        documents=found.documents,
        passages=len(found.passages),
        skipped=found.issues,
        index_type=index_type,
        corpus=str(corpus),
        seconds=time.monotonic() - started,
        timings=timings,
    )


@contextlib.contextmanager
def _timed(timings: dict[str, float], stage: str) -> Iterator[None]:
    start = time.monotonic()
    try:
        yield
    finally:
        timings[stage] = timings.get(stage, 0.0) + time.monotonic() - start


def build_index(
    corpus: Path,
    out_root: Path,
    embedder: Embedder,
    config: IndexConfig | None = None,
    *,
    progress: bool = True,
) -> BuildReport:
    """Build a snapshot of `corpus` (folder or .jsonl) under `out_root` and publish it.

    Malformed inputs are skipped and listed in the report. Raises `CorpusError` when nothing
    usable remains and `SnapshotError` when the snapshot cannot be written; in both cases the
    previously published snapshot stays current and untouched. `index.distributed.build_index_ray`
    is the same build with the splitting and embedding done by Ray workers.
    """
    started = time.monotonic()
    config = config or IndexConfig()
    corpus = Path(corpus)
    timings: dict[str, float] = {}
    with _timed(timings, "read"):
        data = load_corpus(corpus)
    with _timed(timings, "split"):
        found = collect_passages(corpus, data.articles, split_corpus(data.articles, config), data.issues)
    texts = [p.text for p in found.passages]
    return publish_build(
        corpus,
        Path(out_root),
        data.checksum,
        found,
        lambda: embedder.encode(texts, progress=progress),
        embedder,
        config,
        started=started,
        timings=timings,
    )


def _write_snapshot(
    tmp: Path,
    snapshot_id: str,
    passages: Sequence[Passage],
    vectors: npt.NDArray[np.float32],
    embedder: Embedder,
    config: IndexConfig,
    corpus_checksum: str,
    corpus: Path,
    documents: int,
    issues: Sequence[InputIssue],
    timings: dict[str, float] | None = None,
) -> str:
    timings = timings if timings is not None else {}
    with _timed(timings, "write"):
        with (tmp / PASSAGES_FILE).open("w", encoding="utf-8") as fh:
            for passage in passages:
                fh.write(json.dumps(passage.to_json(), ensure_ascii=False) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        with (tmp / VECTORS_FILE).open("wb") as bfh:
            np.save(bfh, vectors, allow_pickle=False)
            bfh.flush()
            os.fsync(bfh.fileno())
    _pause_for_tests(tmp)
    with _timed(timings, "ann"):
        faiss_index = FaissIndex.build(vectors, config)
        faiss_index.save(tmp / FAISS_FILE)
    (tmp / BM25_DIR).mkdir()
    with _timed(timings, "bm25"):
        LexicalIndex.build([p.text for p in passages]).save(tmp / BM25_DIR)
    finish = time.monotonic()
    files = _data_files(tmp)
    for path in files:
        _fsync_path(path)
    _fsync_path(tmp / BM25_DIR)
    index_params = (
        {
            "hnsw_m": config.hnsw_m,
            "hnsw_ef_construction": config.hnsw_ef_construction,
            "hnsw_ef_search": config.hnsw_ef_search,
        }
        if faiss_index.index_type == HNSW
        else {}
    )
    if faiss_index.index_type == IVF_SQ8:
        ivf = faiss_index.faiss_index
        index_params.update(ivf_lists=int(ivf.nlist), ivf_nprobe=int(ivf.nprobe))
    index_params["hnsw_threshold"] = config.hnsw_threshold
    manifest = SnapshotManifest(
        snapshot_id=snapshot_id,
        format_version=FORMAT_VERSION,
        embedding_model=embedder.name,
        dimension=embedder.dimension,
        passages=len(passages),
        documents=documents,
        outlets=sorted({p.outlet for p in passages if p.outlet is not None}),
        built_at=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        corpus_checksum=corpus_checksum,
        index_type=faiss_index.index_type,
        index_params=index_params,
        corpus=str(corpus),
        files={p.relative_to(tmp).as_posix(): _sha256(p) for p in files},
        build={"documents": documents, "passages": len(passages), "skipped": [i.to_json() for i in issues]},
    )
    _write_json(tmp / MANIFEST_FILE, manifest.to_json())
    _fsync_path(tmp)
    timings["finish"] = timings.get("finish", 0.0) + time.monotonic() - finish  # checksums, fsyncs
    return faiss_index.index_type


# --- vector stores -----------------------------------------------------------------------


@runtime_checkable
class FilteringVectorIndex(VectorIndex, Protocol):
    """A vector index that applies search filters itself (pushed down, not applied afterwards)."""

    def search_filtered(
        self, query: npt.NDArray[np.float32], k: int, filters: SearchFilters
    ) -> list[tuple[int, float]]:
        """Top k (row, inner product) among the rows whose passage matches `filters`, best first."""
        ...


class VectorStore(Protocol):
    """Where a snapshot's dense side is searched: opened once per loaded snapshot.

    `open` gets the snapshot's verified files (passages in row order, vectors as stored) and
    returns the index searched for it. `maps_vectors`: the store keeps the vectors itself, so the
    snapshot memory-maps `vectors.npy` (read only for the similarities of the hits) instead of
    loading it.
    """

    name: str
    maps_vectors: bool

    def open(
        self,
        path: Path,
        manifest: SnapshotManifest,
        passages: Sequence[Passage],
        vectors: npt.NDArray[np.float32],
    ) -> VectorIndex: ...


class FaissStore:
    """The default store: the snapshot's own FAISS index file, loaded into the process."""

    name = "faiss"
    maps_vectors = True  # vectors.npy memory-mapped: the page cache is shared by the workers

    def open(
        self,
        path: Path,
        manifest: SnapshotManifest,
        passages: Sequence[Passage],
        vectors: npt.NDArray[np.float32],
    ) -> VectorIndex:
        index = FaissIndex.load(
            path / FAISS_FILE, manifest.index_type, ef_search=manifest.index_params.get("hnsw_ef_search")
        )
        if index.size != manifest.passages or index.dimension != manifest.dimension:
            raise SnapshotError(
                f"{FAISS_FILE} holds {index.size} vectors of dimension {index.dimension}, "
                f"manifest says {manifest.passages} of dimension {manifest.dimension}"
            )
        return index

    def __repr__(self) -> str:
        return "FaissStore()"


#: The names `vector_store` accepts (the service's VECTOR_STORE setting).
VECTOR_STORES = ("faiss", "milvus")


def vector_store(
    name: str = "faiss",
    *,
    uri: str | None = None,
    token: str | None = None,
    db: str | None = None,
    shards: int = 1,
    replicas: int = 1,
) -> VectorStore:
    """The vector store called `name`: "faiss" (default) or "milvus".

    For Milvus: `uri` is a server (`http://host:19530`) or a milvus-lite path ending in `.db`
    (default `var/milvus.db`), `token` and `db` its credentials and database, `shards` the write
    channels of each new collection and `replicas` the copies a cluster loads into query nodes.
    Milvus (`pymilvus`) is imported only when the store first connects.
    """
    if name == "faiss":
        return FaissStore()
    if name == "milvus":
        from index.milvus import DEFAULT_URI, MilvusStore

        return MilvusStore(uri or DEFAULT_URI, token=token, db=db, shards=shards, replicas=replicas)
    raise ValueError(f"unknown vector store {name!r}; choose one of {', '.join(VECTOR_STORES)}")


# --- load and search ---------------------------------------------------------------------


def current_snapshot_path(root: Path) -> Path:
    """The snapshot directory `root/current` points at (resolved); `SnapshotError` if none."""
    link = Path(root) / CURRENT_LINK
    if not link.is_symlink():
        raise SnapshotError(
            f"no snapshot published in {root} ({link} missing); build one with `python -m index build`"
        )
    target = link.parent / os.readlink(link)
    if not (target / MANIFEST_FILE).is_file():
        raise SnapshotError(f"{link} points at {target}, which is not a snapshot")
    return target.resolve()


class Snapshot:
    """A published snapshot loaded in memory, read-only; `search` is safe across threads."""

    def __init__(
        self,
        path: Path,
        manifest: SnapshotManifest,
        passages: Sequence[Passage],
        vectors: npt.NDArray[np.float32],
        vector_index: VectorIndex,
        lexical: LexicalIndex,
        embedder: Embedder,
        config: IndexConfig,
    ) -> None:
        self.path = path
        self.manifest = manifest
        self.passages: tuple[Passage, ...] = tuple(passages)
        self._vectors = vectors
        self._vector_index = vector_index
        self._pushdown = isinstance(vector_index, FilteringVectorIndex)
        self._lexical = lexical
        self._embedder = embedder
        self._config = config
        self._by_id = {p.passage_id: p for p in self.passages}
        # whole documents in article order, built once per snapshot (a request reads them by id)
        by_document: dict[str, list[Passage]] = {}
        for p in self.passages:
            by_document.setdefault(p.document_id, []).append(p)
        self._by_document = {
            d: tuple(sorted(ps, key=lambda p: p.sentence_index)) for d, ps in by_document.items()
        }

    @property
    def id(self) -> str:
        return self.manifest.snapshot_id

    def __len__(self) -> int:
        return len(self.passages)

    def __repr__(self) -> str:
        return f"Snapshot(id={self.id!r}, passages={len(self)}, path={str(self.path)!r})"

    @property
    def vector_index(self) -> VectorIndex:
        """The dense index searched for this snapshot (FAISS, or a Milvus collection)."""
        return self._vector_index

    def get(self, passage_id: str) -> Passage | None:
        """The passage with this id, or None."""
        return self._by_id.get(passage_id)

    def document(self, document_id: str) -> tuple[Passage, ...]:
        """The passages of one document in `sentence_index` order (empty when it is not here)."""
        return self._by_document.get(document_id, ())

    @classmethod
    def load(
        cls,
        path: Path,
        embedder: Embedder,
        *,
        config: IndexConfig | None = None,
        verify: bool = True,
        store: VectorStore | None = None,
    ) -> Snapshot:
        """Load a snapshot directory (or an index root, via its `current` link).

        `store` is where the dense side is searched (default `FaissStore()`; see `vector_store`).
        Raises `SnapshotError` when files are missing, checksums differ (`verify`), the
        contents disagree with the manifest, the manifest names another embedding model or
        dimension than `embedder`, or the store cannot serve it.
        """
        path = Path(path)
        if not (path / MANIFEST_FILE).exists() and (path / CURRENT_LINK).is_symlink():
            path = current_snapshot_path(path)
        path = path.resolve()
        if not path.is_dir():
            raise SnapshotError(f"snapshot not found: {path}")
        try:
            return cls._load(path, embedder, config or IndexConfig(), verify, store or FaissStore())
        except SnapshotError:
            raise
        except Exception as exc:  # corrupt files surface as many exception types
            raise SnapshotError(
                f"snapshot {path} is corrupt or unreadable: {type(exc).__name__}: {exc}"
            ) from exc

    @classmethod
    def _load(
        cls, path: Path, embedder: Embedder, config: IndexConfig, verify: bool, store: VectorStore
    ) -> Snapshot:
        manifest_path = path / MANIFEST_FILE
        if not manifest_path.is_file():
            raise SnapshotError(f"{path} is not a snapshot: {MANIFEST_FILE} is missing")
        try:
            manifest = SnapshotManifest.from_json(json.loads(manifest_path.read_text(encoding="utf-8")))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise SnapshotError(f"{manifest_path} is not valid JSON: {exc}") from exc
        if manifest.format_version != FORMAT_VERSION:
            raise SnapshotError(
                f"snapshot {manifest.snapshot_id} has format version {manifest.format_version}, "
                f"this library reads version {FORMAT_VERSION}; rebuild the index"
            )
        if manifest.embedding_model != embedder.name or manifest.dimension != embedder.dimension:
            raise SnapshotError(
                f"snapshot {manifest.snapshot_id} was built with embedding model "
                f"{manifest.embedding_model!r} (dimension {manifest.dimension}), but the configured "
                f"embedder is {embedder.name!r} (dimension {embedder.dimension}); rebuild the index "
                "with this model or configure the snapshot's model"
            )
        for required in (PASSAGES_FILE, VECTORS_FILE, FAISS_FILE):
            if required not in manifest.files:
                raise SnapshotError(f"manifest of {manifest.snapshot_id} does not list {required}")
        for name, expected in sorted(manifest.files.items()):
            file = path / name
            if not file.is_file():
                raise SnapshotError(f"snapshot {manifest.snapshot_id} is incomplete: {name} is missing")
            if verify and _sha256(file) != expected:
                raise SnapshotError(
                    f"snapshot {manifest.snapshot_id} is corrupt: checksum mismatch in {name} "
                    "(truncated or modified since the build); rebuild the index"
                )
        passages = cls._read_passages(path / PASSAGES_FILE)
        n, dim = manifest.passages, manifest.dimension
        if len(passages) != n:
            raise SnapshotError(f"{PASSAGES_FILE} holds {len(passages)} passages, manifest says {n}")
        vectors = np.load(
            path / VECTORS_FILE, allow_pickle=False, mmap_mode="r" if store.maps_vectors else None
        )
        if vectors.shape != (n, dim) or vectors.dtype != np.float32:
            raise SnapshotError(
                f"{VECTORS_FILE} has shape {vectors.shape} {vectors.dtype}, "
                f"manifest says ({n}, {dim}) float32"
            )
        vector_index = store.open(path, manifest, passages, vectors)
        lexical = LexicalIndex.load(path / BM25_DIR)
        if lexical.size != n:
            raise SnapshotError(f"BM25 index holds {lexical.size} passages, manifest says {n}")
        return cls(path, manifest, passages, vectors, vector_index, lexical, embedder, config)

    @staticmethod
    def _read_passages(path: Path) -> list[Passage]:
        passages: list[Passage] = []
        with path.open(encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, start=1):
                try:
                    passages.append(Passage.from_json(json.loads(line)))
                except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
                    raise SnapshotError(f"{path}:{lineno}: corrupt passage record: {exc}") from exc
        return passages

    def similarities(self, query_vector: npt.NDArray[np.float32], rows: Sequence[int]) -> list[float]:
        """Cosine similarity of the query with the stored vectors of `rows`."""
        if not rows:
            return []
        sims = self._vectors[np.asarray(rows, dtype=np.int64)] @ query_vector.astype(np.float32)
        return [float(s) for s in sims]

    def search(self, query: str, k: int, filters: SearchFilters | None = None) -> list[SearchHit]:
        """The best `k` passages for `query`, best first: dense and BM25 fused by RRF.

        Filters restrict both rankings before fusion, so ranks are positions among the passages
        that pass them: a store that filters inside its search (Milvus) and one filtered here
        (FAISS) give the same ranking. The dense ranking is ordered by the exact inner product with
        the stored vectors (ties by row), whatever engine found the rows. For indexes above
        `config.exhaustive_below` the fetch grows until `k` passages pass the filters or the index
        is exhausted.
        """
        if k <= 0 or not self.passages or not query.strip():
            return []
        return self._search(query, self._embedder.encode([query])[0], k, filters)

    def search_many(self, requests: Sequence[tuple[str, int, SearchFilters | None]]) -> list[list[SearchHit]]:
        """`search(query, k, filters)` for each request, the queries encoded in one call (a batch
        run's claims: one embedder call instead of one per claim)."""
        wanted = [i for i, (query, k, _) in enumerate(requests) if k > 0 and self.passages and query.strip()]
        vectors = self._embedder.encode([requests[i][0] for i in wanted]) if wanted else None
        results: list[list[SearchHit]] = [[] for _ in requests]
        for row, i in enumerate(wanted):
            query, k, filters = requests[i]
            assert vectors is not None
            results[i] = self._search(query, vectors[row], k, filters)
        return results

    def _search(
        self, query: str, query_vector: npt.NDArray[np.float32], k: int, filters: SearchFilters | None
    ) -> list[SearchHit]:
        n = len(self.passages)
        config = self._config
        active = filters if filters is not None and filters.active else None
        scores = self._lexical.scores(query)
        filtered: list[int] | None = None
        if active is not None:  # the whole ranking, filtered: ranks among the passing passages
            filtered = [r for r in LexicalIndex.top(scores, n) if active.matches(self.passages[r])]
        # Small indexes are searched in full when filtered (so filters never lose recall); any other
        # search fetches `overfetch` x k from each side (at 10k passages a full fusion cost ~20 ms).
        exhaustive = active is not None and n < config.exhaustive_below
        fetch = n if exhaustive else min(n, max(k, 10) * config.overfetch)
        while True:
            dense = self._dense(query_vector, fetch, active)
            lexical = filtered[:fetch] if filtered is not None else LexicalIndex.top(scores, fetch)
            fused = rrf_fuse(dense, lexical, config.rrf_k)
            if len(fused) >= k or fetch >= n:
                break
            fetch = min(n, fetch * config.overfetch)
        top = fused[:k]
        sims = self.similarities(query_vector, [f.row for f in top])
        return [
            SearchHit(
                passage=self.passages[f.row],
                similarity=sim,
                score=f.score,
                dense_rank=f.dense_rank,
                lexical_rank=f.lexical_rank,
            )
            for f, sim in zip(top, sims, strict=True)
        ]

    def _dense(
        self, query_vector: npt.NDArray[np.float32], fetch: int, filters: SearchFilters | None
    ) -> list[int]:
        """The dense ranking of up to `fetch` rows passing `filters`, by exact inner product."""
        if filters is None:
            rows = [row for row, _ in self._vector_index.search(query_vector, fetch)]
        elif self._pushdown:
            index: Any = self._vector_index  # a FilteringVectorIndex (checked at construction)
            rows = [row for row, _ in index.search_filtered(query_vector, fetch, filters)]
        else:
            found = self._vector_index.search(query_vector, fetch)
            rows = [row for row, _ in found if filters.matches(self.passages[row])]
        if not rows:
            return []
        # Engines order near-equal scores differently (and copies of one sentence tie exactly): one
        # order for every store, from the stored vectors taken in row order (so each score is
        # computed the same way whichever engine found the row), ties broken by row.
        in_order = np.sort(np.asarray(rows, dtype=np.int64))
        query = query_vector.astype(np.float32)
        if 4 * len(in_order) > len(self.passages):  # most rows: one pass over the matrix beats a gather
            scores = (self._vectors @ query)[in_order]
        else:
            scores = self._vectors[in_order] @ query
        ranked: list[int] = in_order[np.argsort(-scores, kind="stable")].tolist()
        return ranked
