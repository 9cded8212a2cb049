"""Milvus as the vector store: one collection per snapshot, outlet and date filters pushed down.

`MilvusStore(uri)` is a `VectorStore` (`index.store`): `Snapshot.load(path, embedder,
store=MilvusStore(uri))` serves the snapshot's dense side from Milvus instead of its FAISS file.
The URI is a Milvus server (`http://host:19530`, a cluster's proxy or Zilliz Cloud, with `token`)
or a local path ending in `.db`, which runs milvus-lite embedded in this process (one process per
path: several processes share one milvus-lite only through `milvus-lite server`, by URI).

Each snapshot gets the collection `claimwire_<snapshot id>` (`collection_name`), made on the first
load of that snapshot from its verified `passages.jsonl` and `vectors.npy`: row number (primary
key), passage and document ids, text, outlet, date (null when unknown) and the vector, indexed
FLAT below the snapshot's HNSW threshold and HNSW (its M and efConstruction) above it, metric IP
on unit vectors (cosine), as the FAISS index is. It is filled under a temporary name and renamed
into place, so a replica never opens a half-filled collection and two replicas loading the same
new snapshot at once end with one copy. Collections of snapshots no longer on disk are dropped
when a newer one is opened. The snapshot files stay the source of truth: a lost collection is
made again from them.

`filter_expression` turns `SearchFilters` into a Milvus boolean expression; null outlets and dates
never match a filter on that field, as in `SearchFilters.matches`. pymilvus is imported only when
a store first connects.
"""

from __future__ import annotations

import logging
import re
import threading
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from index.errors import SnapshotError
from index.schema import Passage, SearchFilters
from index.store import SNAPSHOTS_DIR, SnapshotManifest
from index.vectors import HNSW

log = logging.getLogger(__name__)

#: milvus-lite inside this process, next to the default index (`var/index`).
DEFAULT_URI = "var/milvus.db"
COLLECTION_PREFIX = "claimwire_"
LOADING_PREFIX = f"{COLLECTION_PREFIX}loading_"
#: Milvus caps a search's `limit` (topk) at 16384.
MAX_LIMIT = 16_384
INSERT_BATCH = 1_000
#: VARCHAR caps, in bytes; a longer text or id is cut (the snapshot files keep the whole of it).
MAX_VARCHAR = 65_535
FLAT_INDEX = "milvus_flat_ip"
HNSW_INDEX = "milvus_hnsw_ip"
_REMOTE = re.compile(r"^(https?|tcp|grpc|unix)://", re.IGNORECASE)


def collection_name(snapshot_id: str) -> str:
    """`claimwire_<snapshot id>`, with every character Milvus refuses in a name as `_`."""
    return COLLECTION_PREFIX + re.sub(r"[^0-9A-Za-z_]", "_", snapshot_id)


def _literal(value: str) -> str:
    """A Milvus string literal: double-quoted, C-style escapes."""
    escaped = (
        value.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
    )
    return f'"{escaped}"'


def filter_expression(filters: SearchFilters) -> str:
    """The Milvus boolean expression for `filters` ("" when none is active).

    Outlets are matched exactly (`outlet in [...]`), dates as ISO strings, inclusive; a null
    outlet or date fails every comparison, so unknown values never match, as in
    `SearchFilters.matches`.
    """
    terms: list[str] = []
    if filters.outlets:
        terms.append(f"outlet in [{', '.join(_literal(o) for o in sorted(filters.outlets))}]")
    if filters.date_from is not None:
        terms.append(f"date >= {_literal(filters.date_from.isoformat())}")
    if filters.date_to is not None:
        terms.append(f"date <= {_literal(filters.date_to.isoformat())}")
    return " and ".join(terms)


def _cut(text: str | None, limit: int = MAX_VARCHAR) -> str | None:
    """`text` cut to at most `limit` UTF-8 bytes, on a character boundary."""
    if text is None:
        return None
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[:limit].decode("utf-8", errors="ignore")


def is_local(uri: str) -> bool:
    """True for a milvus-lite path (runs in this process), False for a server URI."""
    return not _REMOTE.match(uri)


class MilvusIndex:
    """The dense side of one snapshot, searched in its Milvus collection; thread-safe."""

    def __init__(self, client: Any, collection: str, manifest: SnapshotManifest) -> None:
        self._client = client
        self.collection = collection
        self._size = manifest.passages
        self._dimension = manifest.dimension
        self._hnsw = manifest.index_type == HNSW
        self._ef_search = int(manifest.index_params.get("hnsw_ef_search", 0))
        self.index_type = HNSW_INDEX if self._hnsw else FLAT_INDEX

    @property
    def size(self) -> int:
        return self._size

    @property
    def dimension(self) -> int:
        return self._dimension

    def search(self, query: npt.NDArray[np.float32], k: int) -> list[tuple[int, float]]:
        """Top k (row, inner product), best first (at most 16384: Milvus's limit)."""
        return self._search(query, k, "")

    def search_filtered(
        self, query: npt.NDArray[np.float32], k: int, filters: SearchFilters
    ) -> list[tuple[int, float]]:
        """Top k among the rows matching `filters`, filtered inside Milvus."""
        return self._search(query, k, filter_expression(filters))

    def _search(self, query: npt.NDArray[np.float32], k: int, expression: str) -> list[tuple[int, float]]:
        limit = min(k, self._size, MAX_LIMIT)
        if limit <= 0:
            return []
        params: dict[str, Any] = {"metric_type": "IP"}
        if self._hnsw:
            # ef bounds how many neighbours HNSW can return, as efSearch does in FAISS.
            params["params"] = {"ef": max(self._ef_search, limit)}
        results = self._client.search(
            self.collection,
            data=[np.asarray(query, dtype=np.float32).reshape(-1).tolist()],
            limit=limit,
            filter=expression,
            search_params=params,
            anns_field="vector",
            output_fields=[],
        )
        return [(int(hit.id), float(hit.distance)) for hit in results[0]]

    def __repr__(self) -> str:
        return f"MilvusIndex(collection={self.collection!r}, size={self._size}, type={self.index_type!r})"


class MilvusStore:
    """A `VectorStore` on Milvus: a collection per snapshot, made on its first load if missing.

    One client per store, connected on first use; create one store per process and pass it to
    every `Snapshot.load` (the service's runtime does), so hot reloads reuse the connection.
    """

    name = "milvus"
    maps_vectors = True  # the vectors live in Milvus; vectors.npy is only memory-mapped

    def __init__(
        self,
        uri: str = DEFAULT_URI,
        *,
        token: str | None = None,
        db: str | None = None,
        shards: int = 1,
        replicas: int = 1,
        client: Any = None,
    ) -> None:
        if shards < 1 or replicas < 1:
            raise ValueError("Milvus shards and replicas must be >= 1")
        self.uri = uri
        self.token = token
        self.db = db
        self.shards = shards  # write channels of each new collection (a cluster spreads inserts)
        self.replicas = replicas  # in-memory copies on query nodes (a cluster spreads searches)
        self._client = client
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return (
            f"MilvusStore(uri={self.uri!r}, db={self.db!r}, shards={self.shards}, replicas={self.replicas})"
        )

    @property
    def client(self) -> Any:
        """The `pymilvus.MilvusClient`, connected on first use."""
        with self._lock:
            if self._client is None:
                self._client = self._connect()
            return self._client

    def _connect(self) -> Any:
        try:
            from pymilvus import MilvusClient  # type: ignore[import-untyped,import-not-found,unused-ignore]
        except ImportError as exc:
            raise SnapshotError(
                "the Milvus vector store needs pymilvus (and milvus-lite for a local .db path): "
                "pip install 'claimwire[milvus]'"
            ) from exc
        uri = self.uri
        if is_local(uri):
            if not uri.endswith(".db"):
                raise SnapshotError(f"MILVUS_URI {uri!r}: a milvus-lite path must end in .db")
            Path(uri).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
            uri = str(Path(uri).expanduser().resolve())
        kwargs: dict[str, Any] = {"uri": uri}
        if self.token:
            kwargs["token"] = self.token
        if self.db:
            kwargs["db_name"] = self.db
        try:
            return MilvusClient(**kwargs)
        except Exception as exc:
            hint = ""
            if is_local(self.uri):
                hint = (
                    "; a milvus-lite path is used by one process at a time: for several workers run "
                    f"`milvus-lite server --data-dir {self.uri} --host 127.0.0.1 --port 19530` and set "
                    "CLAIMWIRE_MILVUS_URI=http://127.0.0.1:19530"
                )
            raise SnapshotError(
                f"cannot connect to Milvus at {self.uri}: {type(exc).__name__}: {exc}{hint}"
            ) from exc

    def open(
        self,
        path: Path,
        manifest: SnapshotManifest,
        passages: Sequence[Passage],
        vectors: npt.NDArray[np.float32],
    ) -> MilvusIndex:
        """The collection of this snapshot, made from its files first if Milvus lacks it."""
        client = self.client
        name = collection_name(manifest.snapshot_id)
        if not client.has_collection(name):
            self._create(client, name, manifest, passages, vectors)
        rows = int(client.get_collection_stats(name).get("row_count", -1))
        if rows != manifest.passages:
            raise SnapshotError(
                f"Milvus collection {name} holds {rows} rows, snapshot {manifest.snapshot_id} has "
                f"{manifest.passages} passages; drop the collection and it is made again on the next load"
            )
        client.load_collection(name, replica_number=self.replicas)
        self._prune(client, path.parent, keep=name)
        return MilvusIndex(client, name, manifest)

    def _create(
        self,
        client: Any,
        name: str,
        manifest: SnapshotManifest,
        passages: Sequence[Passage],
        vectors: npt.NDArray[np.float32],
    ) -> None:
        from pymilvus import DataType, MilvusClient  # type: ignore[import-untyped,import-not-found,unused-ignore]

        staging = f"{LOADING_PREFIX}{uuid.uuid4().hex[:8]}_{name.removeprefix(COLLECTION_PREFIX)}"
        schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("row", DataType.INT64, is_primary=True)
        schema.add_field("passage_id", DataType.VARCHAR, max_length=64)
        schema.add_field("document_id", DataType.VARCHAR, max_length=MAX_VARCHAR)
        schema.add_field("text", DataType.VARCHAR, max_length=MAX_VARCHAR)
        schema.add_field("outlet", DataType.VARCHAR, max_length=MAX_VARCHAR, nullable=True)
        schema.add_field("date", DataType.VARCHAR, max_length=10, nullable=True)
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=manifest.dimension)
        index_params = client.prepare_index_params()
        if manifest.index_type == HNSW:
            params = {
                "M": manifest.index_params.get("hnsw_m", 32),
                "efConstruction": manifest.index_params.get("hnsw_ef_construction", 200),
            }
            index_params.add_index(field_name="vector", index_type="HNSW", metric_type="IP", params=params)
        else:
            index_params.add_index(field_name="vector", index_type="FLAT", metric_type="IP")
        log.info("Milvus: making collection %s (%d passages)", name, len(passages))
        client.create_collection(staging, schema=schema, index_params=index_params, num_shards=self.shards)
        try:
            for start in range(0, len(passages), INSERT_BATCH):
                batch = passages[start : start + INSERT_BATCH]
                client.insert(
                    staging,
                    [
                        {
                            "row": start + i,
                            "passage_id": p.passage_id,
                            "document_id": _cut(p.document_id),
                            "text": _cut(p.text),
                            "outlet": _cut(p.outlet),
                            "date": p.date,
                            "vector": np.asarray(vectors[start + i], dtype=np.float32),
                        }
                        for i, p in enumerate(batch)
                    ],
                )
            client.flush(staging)
            if client.has_collection(name):  # another replica made it meanwhile
                client.drop_collection(staging)
                return
            client.rename_collection(staging, name)
        except BaseException:
            if client.has_collection(staging):
                client.drop_collection(staging)
            if client.has_collection(name):  # lost a rename race: the winner's copy serves
                return
            raise

    @staticmethod
    def _prune(client: Any, snapshots_dir: Path, *, keep: str) -> list[str]:
        """Drop this index's collections (and stale staging ones) whose snapshot is gone from disk."""
        if snapshots_dir.name != SNAPSHOTS_DIR or not snapshots_dir.is_dir():
            return []  # a snapshot directory outside an index root: nothing to compare with
        on_disk = {collection_name(p.name) for p in snapshots_dir.iterdir() if p.is_dir()}
        dropped: list[str] = []
        for name in client.list_collections():
            if not name.startswith(COLLECTION_PREFIX) or name == keep:
                continue
            final = name
            if name.startswith(LOADING_PREFIX):
                # claimwire_loading_<8 hex>_<id>: staging of a load that may still be running
                final = COLLECTION_PREFIX + name.removeprefix(LOADING_PREFIX)[9:]
            if final in on_disk:
                continue
            client.drop_collection(name)
            dropped.append(name)
        if dropped:
            log.info("Milvus: dropped %s (snapshots no longer on disk)", ", ".join(dropped))
        return dropped
