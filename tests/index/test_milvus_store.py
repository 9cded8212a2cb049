"""Milvus as the vector store (milvus-lite): hits as FAISS gives them, filters pushed down, collections."""

from __future__ import annotations

import datetime
import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from index import Embedder, IndexConfig, SearchFilters, Snapshot, build_index
from index.milvus import FLAT_INDEX, HNSW_INDEX, MilvusIndex, MilvusStore, collection_name, filter_expression
from index.store import FaissStore, vector_store

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "data" / "sample"
DAY = datetime.date(2024, 11, 28)
QUERIES = [
    "Ukraine requested 155mm propellant charges",
    "Ukraine asked South Korea to sell it Cheongung air defense systems",
    "demonstrators marched in the streets",  # dense only: no word in common with the corpus
    "KM-SAM",  # lexical first
    "The European Central Bank raised interest rates in November 2024",
]
FILTERS = [
    None,
    SearchFilters(outlets=frozenset({"TROIB News", "Kyiv Post"})),
    SearchFilters(date_from=DAY, date_to=DAY),
    SearchFilters(outlets=frozenset({"The Korea Herald"}), date_to=DAY),
    SearchFilters(date_from=datetime.date(2024, 11, 29)),  # nothing that late: no hit
]
# Outlet names a filter expression must quote exactly; None and missing dates are unknown.
TRICKY = [
    ("a", 'The "Daily" Post', "2024-11-27", "The port of Gdansk will close its ferry terminal in March."),
    ("b", "Back\\slash News", "2024-11-28", "The ferry terminal in Gdansk closes at the end of March."),
    ("c", None, "2024-11-28", "A ferry company said the Gdansk terminal stays open all year."),
    ("d", "Zürich Zeitung", None, "Gdansk ferry passengers must rebook their March crossings."),
    ("e", "Plain Outlet", "2024-11-30", "The Brenford council approved a new tram line on Monday evening."),
]


@pytest.fixture
def milvus_uri(tmp_path: Path) -> str:
    """A milvus-lite database of this test's own (embedded in the test process)."""
    pytest.importorskip("pymilvus", reason="needs claimwire[milvus] (pymilvus)")
    pytest.importorskip("milvus_lite", reason="needs claimwire[milvus] (milvus-lite)")
    return str(tmp_path / "milvus.db")


def _hits(snapshot: Snapshot, query: str, k: int, filters: SearchFilters | None) -> list[tuple[object, ...]]:
    return [
        (h.passage.passage_id, h.dense_rank, h.lexical_rank, round(h.score, 12), round(h.similarity, 6))
        for h in snapshot.search(query, k, filters)
    ]


def _tricky_corpus(path: Path) -> Path:
    lines = [
        {"id": doc, "outlet": outlet, "date": date, "text": text + " It was announced on the same day."}
        for doc, outlet, date, text in TRICKY
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


# --- pure functions ------------------------------------------------------------------------


def test_filter_expression_quotes_and_combines() -> None:
    assert filter_expression(SearchFilters()) == ""
    assert filter_expression(SearchFilters(outlets=frozenset())) == ""
    outlets = frozenset({'The "Daily" Post', "Back\\slash News"})
    assert filter_expression(SearchFilters(outlets=outlets, date_from=DAY)) == (
        'outlet in ["Back\\\\slash News", "The \\"Daily\\" Post"] and date >= "2024-11-28"'
    )
    assert filter_expression(SearchFilters(date_to=DAY)) == 'date <= "2024-11-28"'


def test_collection_names_are_milvus_names() -> None:
    assert collection_name("20261130T025951Z-1aad3777") == "claimwire_20261130T025951Z_1aad3777"
    assert collection_name("20261130T025951Z-1aad3777-2") == "claimwire_20261130T025951Z_1aad3777_2"


def test_unknown_store_is_refused() -> None:
    with pytest.raises(ValueError, match="faiss, milvus"):
        vector_store("qdrant")
    assert isinstance(vector_store("faiss"), FaissStore)


# --- milvus-lite ---------------------------------------------------------------------------


@pytest.mark.milvus
def test_same_hits_as_faiss_on_the_sample(sample_index: Path, embedder: Embedder, milvus_uri: str) -> None:
    faiss = Snapshot.load(sample_index, embedder)
    milvus = Snapshot.load(sample_index, embedder, store=MilvusStore(milvus_uri))
    assert isinstance(milvus.vector_index, MilvusIndex)
    assert milvus.vector_index.index_type == FLAT_INDEX and milvus.vector_index.size == len(faiss) == 91
    for query in QUERIES:
        for filters in FILTERS:
            expected = _hits(faiss, query, 30, filters)
            assert _hits(milvus, query, 30, filters) == expected, (query, filters)
    # The filters hold, and rank among the passages that pass them.
    hits = milvus.search(QUERIES[1], 91, FILTERS[1])
    assert hits and {h.passage.outlet for h in hits} <= {"TROIB News", "Kyiv Post"}
    assert min(h.dense_rank or 99 for h in hits) == 1
    assert milvus.search(QUERIES[0], 5, FILTERS[4]) == []


@pytest.mark.milvus
def test_filters_are_pushed_down_with_unknowns_never_matching(
    tmp_path: Path, hash_embedder: Embedder, milvus_uri: str
) -> None:
    root = tmp_path / "index"
    build_index(_tricky_corpus(tmp_path / "tricky.jsonl"), root, hash_embedder, progress=False)
    snapshot = Snapshot.load(root, hash_embedder, store=MilvusStore(milvus_uri))
    index = snapshot.vector_index
    assert isinstance(index, MilvusIndex)
    query = hash_embedder.encode(["Gdansk ferry terminal March"])[0]
    cases = [
        SearchFilters(outlets=frozenset({'The "Daily" Post', "Back\\slash News"})),
        SearchFilters(outlets=frozenset({"Zürich Zeitung"})),
        SearchFilters(date_from=DAY),
        SearchFilters(date_to=DAY),
        SearchFilters(outlets=frozenset({"Plain Outlet", "Zürich Zeitung"}), date_from=DAY),
    ]
    for filters in cases:
        rows = {row for row, _ in index.search_filtered(query, len(snapshot), filters)}
        expected = {row for row, p in enumerate(snapshot.passages) if filters.matches(p)}
        assert rows == expected, filters
    # null dates are unknown: never inside a date bound, from either side
    undated = {row for row, p in enumerate(snapshot.passages) if p.date is None}
    assert undated and not undated & {r for r, _ in index.search_filtered(query, 99, cases[3])}


@pytest.mark.milvus
def test_a_collection_per_snapshot_made_once_and_dropped_with_it(
    tmp_path: Path, hash_embedder: Embedder, milvus_uri: str
) -> None:
    root = tmp_path / "index"
    config = IndexConfig(keep_snapshots=1)
    first = build_index(SAMPLE, root, hash_embedder, config, progress=False)
    store = MilvusStore(milvus_uri)
    one = Snapshot.load(root, hash_embedder, store=store)
    name = collection_name(first.snapshot_id)
    assert store.client.list_collections() == [name]
    # A second load (another worker, a restart) opens the same collection: nothing is made again.
    again = Snapshot.load(root, hash_embedder, store=MilvusStore(milvus_uri))
    assert again.search("Cheongung", 5) == one.search("Cheongung", 5)
    assert store.client.list_collections() == [name]
    # A new snapshot (hot reload): its own collection; the old one goes once its files are pruned.
    time.sleep(1.1)  # a new second, so a new snapshot id
    second = build_index(
        _tricky_corpus(tmp_path / "tricky.jsonl"), root, hash_embedder, config, progress=False
    )
    assert not (root / "snapshots" / first.snapshot_id).exists()
    reloaded = Snapshot.load(root, hash_embedder, store=store)
    assert store.client.list_collections() == [collection_name(second.snapshot_id)]
    assert reloaded.search("ferry", 1)[0].passage.document_id in {"a", "b", "c", "d"}


@pytest.mark.milvus
def test_hnsw_above_the_threshold(tmp_path: Path, hash_embedder: Embedder, milvus_uri: str) -> None:
    root = tmp_path / "index"
    config = IndexConfig(hnsw_threshold=10, ann="hnsw")  # the sample's 91 passages: an HNSW index
    build_index(SAMPLE, root, hash_embedder, config, progress=False)
    faiss = Snapshot.load(root, hash_embedder, config=config)
    milvus = Snapshot.load(root, hash_embedder, config=config, store=MilvusStore(milvus_uri))
    assert milvus.vector_index.index_type == HNSW_INDEX
    assert faiss.manifest.index_type == "hnsw_flat_ip"
    for query in QUERIES[:2]:
        # approximate on both sides, but 91 vectors are well within HNSW's reach: the same order
        assert _hits(milvus, query, 10, None) == _hits(faiss, query, 10, None)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def milvus_server(tmp_path: Path, milvus_uri: str) -> Iterator[str]:
    """`milvus-lite server` on a loopback port: what several workers share, by URI, like a cluster."""
    port = _free_port()
    data_dir = str(tmp_path / "server.db")
    command = [sys.executable, "-m", "milvus_lite", "server", "--data-dir", data_dir]
    proc = subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert proc.poll() is None, "milvus-lite server exited"
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=15)


@pytest.mark.milvus
def test_a_server_by_uri(sample_index: Path, embedder: Embedder, milvus_server: str) -> None:
    faiss = Snapshot.load(sample_index, embedder)
    milvus = Snapshot.load(sample_index, embedder, store=vector_store("milvus", uri=milvus_server))
    for filters in FILTERS[:3]:
        assert _hits(milvus, QUERIES[1], 20, filters) == _hits(faiss, QUERIES[1], 20, filters)
