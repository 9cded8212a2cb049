"""Batch verification on Ray: `python -m service.batch --ray` (`make verify-batch RAY=1`).

The claims still to do (ids not in OUT, each id once, as `run` picks them) are cut into ordered
chunks and verified by a pool of Ray actors, each of which loads the index and both models once
(the service's own `Runtime`, with this configuration's vector store) and runs
`service.batch.verify_chunk`, the function the local run uses. The driver writes the records in
input order as chunks come back, each line flushed and fsynced (`record_line`), so OUT equals a
local run's and Ctrl-C leaves complete lines only; a rerun skips what is done.

Ray is imported only here. `ray.init()` joins `RAY_ADDRESS` (or `address`) when set, else starts
a local cluster (shut down at the end); a Ray the caller initialised is used and left running.
The actors read the index directory by path and the models from their own disk: on a cluster,
INDEX_DIR must be on storage every node mounts, and a milvus-lite `.db` path cannot be shared by
several actors (use a Milvus server URI). `CLAIMWIRE_*` variables of the driver are passed to the
actors, so they run with the driver's configuration.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .batch import CHUNK, Item, Output, Summary, completed_ids, plan_chunks, verify_chunk, write_plan
from .pipeline import Thresholds

#: Claims per task: small enough that every actor gets work and the output moves steadily.
DEFAULT_CHUNK = CHUNK
#: Loading settings an actor needs, taken from the driver's configuration.
ACTOR_KEYS = (
    "EMBEDDING_MODEL",
    "STANCE_MODEL",
    "VECTOR_STORE",
    "MILVUS_URI",
    "MILVUS_TOKEN",
    "MILVUS_DB",
    "MILVUS_SHARDS",
    "MILVUS_REPLICAS",
)
#: Environment passed to the actors besides CLAIMWIRE_* (model loading offline, quiet tokenizers).
PASSED_ENV = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "TOKENIZERS_PARALLELISM")


def _ray() -> Any:
    """The ray module, typed loosely (its stubs do not describe actor handles' methods)."""
    import ray

    return ray


class VerifyWorker:
    """A Ray actor's state: the loaded snapshot and models (a `Loaded`), made once."""

    def __init__(self, index_dir: str, settings: dict[str, Any]) -> None:
        from .runtime import Runtime, default_model_loader, snapshot_loader

        runtime = Runtime(
            Path(index_dir),
            default_model_loader(settings.get("EMBEDDING_MODEL"), settings.get("STANCE_MODEL")),
            snapshot_loader(settings),
        )
        runtime.refresh()
        loaded = runtime.loaded
        if loaded is None:
            raise RuntimeError(runtime.problem or "nothing loaded")
        self._loaded = loaded

    def snapshot(self) -> str:
        """The id of the snapshot this actor verifies against."""
        return str(self._loaded.snapshot.id)

    def verify(
        self, items: Sequence[Item], thresholds: Thresholds, output: Output
    ) -> list[tuple[dict[str, Any], bool]]:
        return verify_chunk(items, self._loaded, thresholds, output)


def actor_env() -> dict[str, str]:
    """The driver's CLAIMWIRE_* variables (and model-loading ones), for the actors."""
    return {
        key: value for key, value in os.environ.items() if key.startswith("CLAIMWIRE_") or key in PASSED_ENV
    }


def run_ray(
    items: Sequence[Item],
    out: Path,
    index_dir: Path,
    settings: dict[str, Any],
    thresholds: Thresholds,
    *,
    output: Output | None = None,
    actors: int | None = None,
    chunk_size: int = DEFAULT_CHUNK,
    address: str | None = None,
    progress: bool = True,
    summary: Summary | None = None,
) -> Summary:
    """Verify the items not already in `out` on Ray actors; OUT gets what `batch.run` would write.

    `settings` holds the loading keys (`ACTOR_KEYS`) of the configuration; `actors` defaults to
    the cluster's CPUs (at most one per chunk). Raises `RuntimeError` when an actor cannot load
    the index or models, or the actors loaded different snapshots (`current` moved meanwhile).
    """

    from index.distributed import connect, release

    output = output or Output()
    summary = summary if summary is not None else Summary()
    summary.done = completed_ids(out)
    plan = plan_chunks(items, summary, chunk_size)  # the local run's chunks: the same records
    if not plan:
        return summary
    work = [part for part, _ in plan]
    ray = _ray()
    started_ray = connect(address)
    pool_actors: list[Any] = []
    try:
        if actors is None:
            actors = max(1, int(ray.cluster_resources().get("CPU", 1)))
        actors = max(1, min(actors, len(work)))
        worker = ray.remote(num_cpus=1)(VerifyWorker).options(runtime_env={"env_vars": actor_env()})
        shared = {key: settings.get(key) for key in ACTOR_KEYS}
        pool_actors += [worker.remote(str(index_dir), shared) for _ in range(actors)]
        try:
            snapshots = set(ray.get([actor.snapshot.remote() for actor in pool_actors]))
        except ray.exceptions.RayActorError as exc:
            raise RuntimeError(f"a Ray actor could not load the index and models: {exc}") from exc
        if len(snapshots) != 1:
            raise RuntimeError(
                f"the actors loaded different snapshots ({', '.join(sorted(snapshots))}): one was "
                "published while they started; run again"
            )
        pool = ray.util.ActorPool(pool_actors)
        # map() yields in submission order: OUT keeps the input order.
        results = pool.map(lambda actor, chunk: actor.verify.remote(chunk, thresholds, output), work)
        write_plan(out, plan, results, summary, progress=progress, desc="verify (ray)")
    finally:
        release(started_ray, pool_actors)
    return summary
