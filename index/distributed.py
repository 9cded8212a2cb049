"""Index builds on Ray: articles split and embedded by a pool of Ray actors, published by the driver.

`python -m index build --ray` (or `build_index_ray`) is `build_index` with its two costly steps,
sentence splitting and embedding, done by `actors` Ray actors, each of which loads the embedding
model once (`load_embedder`, as a local build does) and then takes batches of articles in turn.
The driver reads the corpus, sends the batches, keeps the results in corpus order, and writes and
publishes the snapshot with the same `publish_build` as a local build, so the snapshot is the same
(same passages and ids in the same order; vectors equal to the precision of the embedder: batches
group other texts, which moves bf16 results by a few 1e-3 and fp32 ones by about 1e-7).

Ray is imported only here. `ray.init()` connects to `RAY_ADDRESS` (or `address`) when set and
otherwise starts a local cluster on this machine, which is shut down at the end; a Ray already
initialised by the caller is used as it is and left running. On a cluster, every node needs
claimwire installed and the embedding model available; the corpus is read by the driver only.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from index.articles import Article, load_corpus
from index.config import IndexConfig
from index.embedding import DEFAULT_EMBEDDING_MODEL
from index.schema import Passage
from index.store import BuildReport, RecordedModel, collect_passages, publish_build, split_articles

#: Articles per task sent to an actor (a few hundred passages: big enough to batch the encoder).
DEFAULT_BATCH_ARTICLES = 16


def _ray() -> Any:
    """The ray module, typed loosely (its stubs do not describe actor handles' methods)."""
    import ray

    return ray


class EmbedWorker:
    """A Ray actor's state: the embedding model and a sentence splitter, loaded once."""

    def __init__(self, model: str, config: IndexConfig) -> None:
        from index.embedding import load_embedder
        from index.passages import Segmenter

        self._embedder = load_embedder(model)
        self._segmenter = Segmenter()
        self._config = config

    def model(self) -> tuple[str, int]:
        """The model's name (as manifests record it) and dimension."""
        return self._embedder.name, self._embedder.dimension

    def split_and_embed(
        self, articles: Sequence[Article]
    ) -> tuple[list[list[Passage]], npt.NDArray[np.float32]]:
        """Each article's passages, and the vectors of all of them in that order."""
        split = split_articles(articles, self._config, self._segmenter)
        texts = [p.text for found in split for p in found]
        return split, self._embedder.encode(texts)


def batches(articles: Sequence[Article], size: int) -> Iterator[list[Article]]:
    """Consecutive batches of `size` articles, in corpus order."""
    for start in range(0, len(articles), size):
        yield list(articles[start : start + size])


def connect(address: str | None = None, *, num_cpus: int | None = None) -> bool:
    """Initialise Ray unless it is; True when this call started it (and should shut it down).

    `address` (else `RAY_ADDRESS`) joins that cluster; without one a local cluster is started with
    `num_cpus` CPUs (default: all of this machine's).
    """
    ray = _ray()
    if ray.is_initialized():
        return False
    address = address or os.environ.get("RAY_ADDRESS") or None
    if address:
        ray.init(address=address, log_to_driver=False)
    else:
        ray.init(num_cpus=num_cpus, include_dashboard=False, log_to_driver=False)
    return True


def release(started: bool, actors: Sequence[Any]) -> None:
    """End a Ray job: shut Ray down when `connect` started it; else free the actors' CPUs and
    memory and leave the caller's Ray running."""
    ray = _ray()
    if started:
        ray.shutdown()
    else:
        for actor in actors:
            ray.kill(actor)


def build_index_ray(
    corpus: Path,
    out_root: Path,
    model: str = DEFAULT_EMBEDDING_MODEL,
    config: IndexConfig | None = None,
    *,
    actors: int | None = None,
    batch_articles: int = DEFAULT_BATCH_ARTICLES,
    address: str | None = None,
    progress: bool = True,
) -> BuildReport:
    """Build and publish a snapshot of `corpus` under `out_root`, splitting and embedding on Ray.

    `actors` (default: the cluster's CPUs, at most one per batch) each load `model` once and take
    batches of `batch_articles` articles. Same errors and same snapshot as `build_index`.
    """
    from tqdm.auto import tqdm

    ray = _ray()

    started = time.monotonic()
    config = config or IndexConfig()
    corpus = Path(corpus)
    data = load_corpus(corpus)
    if not data.articles:  # nothing to send: the same CorpusError as a local build
        collect_passages(corpus, [], [], data.issues)
    work = list(batches(data.articles, batch_articles))
    started_ray = connect(address)
    pool_actors: list[Any] = []
    try:
        if actors is None:
            actors = max(1, int(ray.cluster_resources().get("CPU", 1)))
        actors = max(1, min(actors, len(work) or 1))
        worker = ray.remote(num_cpus=1)(EmbedWorker)
        pool_actors += [worker.remote(model, config) for _ in range(actors)]
        name, dimension = ray.get(pool_actors[0].model.remote())
        split: list[list[Passage]] = []
        chunks: list[npt.NDArray[np.float32]] = []
        pool = ray.util.ActorPool(pool_actors)
        # map() yields in submission order, so passages and vectors stay in corpus order.
        results = pool.map(lambda actor, batch: actor.split_and_embed.remote(batch), work)
        with tqdm(
            total=len(data.articles),
            desc="split+embed (ray)",
            unit="article",
            disable=None if progress else True,
        ) as bar:
            for batch, (found, vectors) in zip(work, results, strict=True):
                split.extend(found)
                chunks.append(vectors)
                bar.update(len(batch))
    finally:
        release(started_ray, pool_actors)
    found_passages = collect_passages(corpus, data.articles, split, data.issues)
    array = (
        np.concatenate(chunks, axis=0).astype(np.float32, copy=False)
        if chunks
        else np.zeros((0, dimension), dtype=np.float32)
    )
    return publish_build(
        corpus,
        Path(out_root),
        data.checksum,
        found_passages,
        lambda: np.ascontiguousarray(array),
        RecordedModel(name, dimension),
        config,
        started=started,
    )
