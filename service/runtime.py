"""The serving runtime: the current (snapshot, embedder, stance) triple, and its hot reload.

The runtime holds one immutable `Loaded` object. A request grabs it once (`runtime.loaded`) and
uses that object for the whole request, so swapping in a new snapshot never disturbs a request in
flight: the swap is a single reference assignment, and the old snapshot lives on until the last
request that grabbed it is done.

Reload: at most every `interval` seconds (from a daemon thread, and from requests as a fallback)
the runtime resolves `<index_dir>/current`. When its target differs from the loaded snapshot's,
a background thread loads the new snapshot with the already-loaded embedder and swaps it in. A
snapshot that fails to load is logged and remembered (not retried until `current` moves again);
the last good one keeps serving. Models are loaded once per process, by the same background
path, so a process started before its models or snapshot exist serves 503 until they appear.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from index import Embedder, SnapshotError, current_snapshot_path
from index.precision import describe_cpu
from stance.model import StanceModel

from .pipeline import Query, SearchIndex, Thresholds, Verification, verify, verify_many

log = logging.getLogger(__name__)


class LoadedSnapshot(SearchIndex, Protocol):
    """A snapshot as the runtime serves it: searchable, with a manifest for `GET /index`."""

    @property
    def manifest(self) -> Any: ...


ModelLoader = Callable[[], tuple[Embedder, StanceModel]]
SnapshotLoader = Callable[[Path, Embedder], LoadedSnapshot]


@dataclass(frozen=True)
class Loaded:
    """Everything a request needs, swapped as one reference."""

    snapshot: LoadedSnapshot
    embedder: Embedder
    stance: StanceModel
    path: Path  # the resolved snapshot directory
    loaded_at: float  # time.time() of the swap

    def verify(self, query: Query, thresholds: Thresholds) -> Verification:
        """Run the pipeline for one claim on this snapshot and these models."""
        return verify(query, self.snapshot, self.stance, thresholds, embedding_model=self.embedder.name)

    def verify_many(self, queries: Sequence[Query], thresholds: Thresholds) -> list[Verification]:
        """The pipeline for several claims at once (batched encoding and stance), in order."""
        return verify_many(
            queries, self.snapshot, self.stance, thresholds, embedding_model=self.embedder.name
        )


class Runtime:
    """Owns the loaded models and the current snapshot of one index directory."""

    def __init__(
        self,
        index_dir: Path,
        load_models: ModelLoader,
        load_snapshot: SnapshotLoader,
        *,
        interval: float = 2.0,
    ) -> None:
        self.index_dir = index_dir
        self.interval = interval
        self._load_models = load_models
        self._load_snapshot = load_snapshot
        self._models: tuple[Embedder, StanceModel] | None = None
        self._loaded: Loaded | None = None
        self._failed: Path | None = None  # last snapshot that failed; not retried until `current` moves
        self._last_error: str | None = None
        self._last_check = float("-inf")
        self._busy = threading.Lock()  # one refresh at a time
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def loaded(self) -> Loaded | None:
        """The current triple (None until models and a snapshot are loaded); may start a refresh."""
        self.poll()
        return self._loaded

    @property
    def problem(self) -> str | None:
        """Why the runtime is not ready (None when it is)."""
        if self._loaded is not None:
            return None
        return self._last_error or "the snapshot and models are still loading"

    def poll(self) -> None:
        """Start a background refresh when the last check is older than `interval` (never blocks)."""
        if time.monotonic() - self._last_check < self.interval or self._busy.locked():
            return
        threading.Thread(target=self.refresh, name="claimwire-reload", daemon=True).start()

    def refresh(self) -> bool:
        """Load models if missing, then the published snapshot if it changed; True when it swapped.

        Blocking; concurrent calls return False at once while one refresh runs.
        """
        if not self._busy.acquire(blocking=False):
            return False
        try:
            return self._refresh()
        finally:
            self._last_check = time.monotonic()
            self._busy.release()

    def _refresh(self) -> bool:
        if self._models is None:
            try:
                self._models = self._load_models()
            except Exception as exc:  # any load failure leaves the process unready, not dead
                self._fail(f"cannot load models: {type(exc).__name__}: {exc}")
                return False
            log.info(
                "models loaded: embedding=%s stance=%s precision: embedding %s, stance %s (%s)",
                self._models[0].name,
                self._models[1].name,
                getattr(self._models[0], "precision", "n/a"),
                getattr(self._models[1], "precision", "n/a"),
                describe_cpu(),
            )
        try:
            path = current_snapshot_path(self.index_dir).resolve()
        except SnapshotError as exc:
            self._fail(f"no published snapshot in {self.index_dir}: {exc}")
            return False
        current = self._loaded
        if (current is not None and current.path == path) or path == self._failed:
            return False
        embedder, stance = self._models
        started = time.monotonic()
        try:
            snapshot = self._load_snapshot(path, embedder)
        except Exception as exc:  # SnapshotError, or anything a damaged snapshot raises
            self._failed = path
            kept = f"; still serving {current.snapshot.id}" if current is not None else ""
            self._fail(f"snapshot {path} failed to load: {exc}{kept}")
            return False
        self._loaded = Loaded(snapshot, embedder, stance, path, time.time())
        self._failed = self._last_error = None
        log.info(
            "snapshot %s loaded (%d passages, dense search: %s) in %.2f s%s",
            snapshot.id,
            len(snapshot),
            _dense_side(snapshot),
            time.monotonic() - started,
            f", replacing {current.snapshot.id}" if current is not None else "",
        )
        return True

    def _fail(self, message: str) -> None:
        if message != self._last_error:  # log each distinct failure once, not every interval
            log.error(message)
        self._last_error = message

    def start(self, *, watch: bool = True) -> None:
        """Load what can be loaded now (blocking), then watch for new snapshots in a daemon thread."""
        self.refresh()
        if watch and self._thread is None:
            self._thread = threading.Thread(target=self._watch, name="claimwire-watch", daemon=True)
            self._thread.start()

    def _watch(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.refresh()
            except Exception:  # the watcher must outlive any one bad refresh
                log.exception("snapshot refresh failed")

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None


def _dense_side(snapshot: object) -> str:
    """The dense index a snapshot searches, for the log: `flat_ip`, `milvus_flat_ip claimwire_<id>`."""
    index = getattr(snapshot, "vector_index", None)
    kind = str(getattr(index, "index_type", "n/a"))
    collection = getattr(index, "collection", None)
    return f"{kind} {collection}" if collection else kind


def default_model_loader(embedding_model: str | None, stance_model: str | None) -> ModelLoader:
    """Loads the configured embedder and stance model (imported lazily: torch is slow to import)."""

    def load() -> tuple[Embedder, StanceModel]:
        from index import load_embedder
        from stance.model import CrossEncoderStance

        embedder = load_embedder(embedding_model) if embedding_model else load_embedder()
        stance = CrossEncoderStance(stance_model) if stance_model else CrossEncoderStance()
        return embedder, stance

    return load


def default_snapshot_loader(path: Path, embedder: Embedder) -> LoadedSnapshot:
    from index import Snapshot

    snapshot: LoadedSnapshot = Snapshot.load(path, embedder)
    return snapshot


def snapshot_loader(config: Mapping[str, Any]) -> SnapshotLoader:
    """The snapshot loader for the configured `VECTOR_STORE` (a `ValueError` names the choices).

    "faiss" is `default_snapshot_loader`. Any other store is made once here and shared by every
    load, so a hot reload reuses its connection; Milvus is imported only when it first connects.
    """
    name = str(config.get("VECTOR_STORE") or "faiss").strip().lower()
    if name == "faiss":
        return default_snapshot_loader
    from index import Snapshot
    from index.store import vector_store

    store = vector_store(
        name,
        uri=str(config.get("MILVUS_URI") or "") or None,
        token=config.get("MILVUS_TOKEN") or None,
        db=config.get("MILVUS_DB") or None,
        shards=int(config.get("MILVUS_SHARDS") or 1),
        replicas=int(config.get("MILVUS_REPLICAS") or 1),
    )

    def load(path: Path, embedder: Embedder) -> LoadedSnapshot:
        snapshot: LoadedSnapshot = Snapshot.load(path, embedder, store=store)
        return snapshot

    return load
