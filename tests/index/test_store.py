"""Snapshots on disk: layout, atomic publish, retention, and clear errors on corruption."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from index import (
    CorpusError,
    Embedder,
    IndexConfig,
    Snapshot,
    SnapshotError,
    build_index,
    current_snapshot_path,
)
from index.store import prune, publish

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "data" / "sample"
ID_PATTERN = re.compile(r"\d{8}T\d{6}Z-[0-9a-f]{8}(-\d+)?")


@pytest.fixture
def built(tmp_path: Path, hash_embedder: Embedder) -> Path:
    """An index root with the sample corpus, embedded by the fast hashing embedder."""
    root = tmp_path / "index"
    build_index(SAMPLE, root, hash_embedder, progress=False)
    return root


def test_layout_manifest_and_report(tmp_path: Path, hash_embedder: Embedder) -> None:
    root = tmp_path / "index"
    report = build_index(SAMPLE, root, hash_embedder, progress=False)
    assert ID_PATTERN.fullmatch(report.snapshot_id)
    assert os.readlink(root / "current") == f"snapshots/{report.snapshot_id}"
    assert current_snapshot_path(root) == report.path == (root / "snapshots" / report.snapshot_id).resolve()
    names = {p.relative_to(report.path).as_posix() for p in report.path.rglob("*") if p.is_file()}
    assert {"manifest.json", "passages.jsonl", "vectors.npy", "vectors.faiss"} <= names
    assert any(n.startswith("bm25/") for n in names)
    assert not list(root.glob(".tmp-*"))
    assert (report.documents, report.skipped) == (5, [])

    manifest = json.loads((report.path / "manifest.json").read_text())
    assert manifest["snapshot_id"] == report.snapshot_id
    assert manifest["format_version"] == 1
    assert manifest["embedding_model"] == "test-hash-embedder" and manifest["dimension"] == 32
    assert manifest["passages"] == report.passages and manifest["documents"] == 5
    assert manifest["outlets"] == ["Associated Press", "Kyiv Post", "TROIB News", "The Korea Herald"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", manifest["built_at"])
    assert report.snapshot_id.endswith(manifest["corpus_checksum"][:8])
    assert manifest["index_type"] == "flat_ip"
    assert set(manifest["files"]) == names - {"manifest.json"}
    assert manifest["build"] == {"documents": 5, "passages": report.passages, "skipped": []}

    snapshot = Snapshot.load(root, hash_embedder)  # an index root loads its current snapshot
    assert snapshot.id == report.snapshot_id and snapshot.path == report.path
    assert len(snapshot) == report.passages == len(snapshot.passages)
    assert snapshot.manifest.outlets == manifest["outlets"]
    assert snapshot.get(snapshot.passages[3].passage_id) == snapshot.passages[3]
    vectors = np.load(report.path / "vectors.npy")
    assert vectors.dtype == np.float32 and np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


@pytest.mark.parametrize("ann", ["ivf_sq8", "hnsw"])
def test_the_ann_index_is_chosen_above_threshold(tmp_path: Path, hash_embedder: Embedder, ann: str) -> None:
    config = IndexConfig(hnsw_threshold=10, ann=ann, hnsw_m=8, hnsw_ef_search=32)
    report = build_index(SAMPLE, tmp_path, hash_embedder, config, progress=False)
    snapshot = Snapshot.load(report.path, hash_embedder)
    params = snapshot.manifest.index_params
    if ann == "hnsw":
        assert report.index_type == snapshot.manifest.index_type == "hnsw_flat_ip"
        assert params["hnsw_ef_search"] == 32
    else:
        assert report.index_type == snapshot.manifest.index_type == "ivf_sq8_ip"
        assert params["ivf_nprobe"] == max(1, params["ivf_lists"] // 10)
    hits = snapshot.search("Cheongung air defense", 3)
    assert len(hits) == 3


def test_keeps_last_three_and_never_the_current(tmp_path: Path, hash_embedder: Embedder) -> None:
    ids = [build_index(SAMPLE, tmp_path, hash_embedder, progress=False).snapshot_id for _ in range(5)]
    assert len(set(ids)) == 5
    kept = sorted(p.name for p in (tmp_path / "snapshots").iterdir())
    assert kept == sorted(ids[-3:])
    assert current_snapshot_path(tmp_path).name == ids[-1]
    publish(tmp_path, ids[-3])  # roll back to the oldest kept one
    assert prune(tmp_path, keep=1) == [ids[-2]]
    assert sorted(p.name for p in (tmp_path / "snapshots").iterdir()) == sorted([ids[-3], ids[-1]])


def test_stale_temporary_state_is_cleaned(built: Path, hash_embedder: Embedder) -> None:
    (built / ".tmp-20200101T000000Z-deadbeef").mkdir()
    (built / ".tmp-20200101T000000Z-deadbeef" / "passages.jsonl").write_text("half")
    os.symlink("snapshots/nothing", built / "current.tmp")
    build_index(SAMPLE, built, hash_embedder, progress=False)
    assert not list(built.glob(".tmp-*"))
    assert not (built / "current.tmp").is_symlink()


def test_unusable_corpus_leaves_current_untouched(
    built: Path, hash_embedder: Embedder, tmp_path: Path
) -> None:
    before = os.readlink(built / "current")
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "a.txt").write_text("close\nSections\n")
    with pytest.raises(CorpusError, match="no usable passages"):
        build_index(empty, built, hash_embedder, progress=False)
    assert os.readlink(built / "current") == before

    class Broken:
        name, dimension = "test-hash-embedder", 32

        def encode(self, texts: object, *, progress: bool = False) -> np.ndarray:
            return np.zeros((1, 3), dtype=np.float32)

    with pytest.raises(SnapshotError, match="returned shape"):
        build_index(SAMPLE, built, Broken(), progress=False)
    assert os.readlink(built / "current") == before
    assert not list(built.glob(".tmp-*"))
    Snapshot.load(built, hash_embedder)


def test_skipped_inputs_are_reported(tmp_path: Path, hash_embedder: Embedder) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(SAMPLE, corpus)
    (corpus / "empty.txt").write_text("close\n")
    with (corpus / "manifest.jsonl").open("a") as fh:
        fh.write("{broken\n")
    report = build_index(corpus, tmp_path / "index", hash_embedder, progress=False)
    reasons = sorted(str(i) for i in report.skipped)
    assert len(reasons) == 2
    assert reasons[0].startswith(f"{corpus / 'empty.txt'}: empty article")
    assert reasons[1].startswith(f"{corpus / 'manifest.jsonl'}:6: bad JSON")
    assert "skipped:   2 input(s)" in report.summary()
    manifest = json.loads((report.path / "manifest.json").read_text())
    assert [i["line"] for i in manifest["build"]["skipped"]] == [6, None]


def test_no_published_snapshot(tmp_path: Path, hash_embedder: Embedder) -> None:
    with pytest.raises(SnapshotError, match="no snapshot published"):
        current_snapshot_path(tmp_path)
    with pytest.raises(SnapshotError, match="not found"):
        Snapshot.load(tmp_path / "nope", hash_embedder)
    os.symlink("snapshots/gone", tmp_path / "current")
    with pytest.raises(SnapshotError, match="not a snapshot"):
        current_snapshot_path(tmp_path)


def _snapshot_dir(root: Path) -> Path:
    return current_snapshot_path(root)


def test_truncated_faiss_file(built: Path, hash_embedder: Embedder) -> None:
    faiss_file = _snapshot_dir(built) / "vectors.faiss"
    faiss_file.write_bytes(faiss_file.read_bytes()[:100])
    with pytest.raises(SnapshotError, match=r"checksum mismatch in vectors\.faiss"):
        Snapshot.load(built, hash_embedder)
    # Without checksum verification the damage is still caught, as a clear SnapshotError.
    with pytest.raises(SnapshotError, match="corrupt"):
        Snapshot.load(built, hash_embedder, verify=False)


def test_flipped_bytes_in_passages(built: Path, hash_embedder: Embedder) -> None:
    passages = _snapshot_dir(built) / "passages.jsonl"
    data = bytearray(passages.read_bytes())
    data[200:204] = b"\x00\xff\x00\xff"
    passages.write_bytes(bytes(data))
    with pytest.raises(SnapshotError, match=r"checksum mismatch in passages\.jsonl"):
        Snapshot.load(built, hash_embedder)
    with pytest.raises(SnapshotError, match="corrupt"):
        Snapshot.load(built, hash_embedder, verify=False)


def test_edited_manifest_dimension(built: Path, hash_embedder: Embedder) -> None:
    manifest_path = _snapshot_dir(built) / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["dimension"] = 384
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(SnapshotError, match=r"dimension 384.*dimension 32"):
        Snapshot.load(built, hash_embedder)


def test_wrong_embedding_model(built: Path) -> None:
    other = SimpleNamespace(name="another-model", dimension=32, encode=None)
    with pytest.raises(SnapshotError, match="built with embedding model 'test-hash-embedder'"):
        Snapshot.load(built, other)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: (d / "vectors.npy").unlink(), r"incomplete: vectors\.npy is missing"),
        (lambda d: (d / "manifest.json").unlink(), "manifest.json is missing"),
        (lambda d: (d / "manifest.json").write_text("{not json"), "not valid JSON"),
        (lambda d: (d / "manifest.json").write_text('{"snapshot_id": "x"}'), "lacks 'format_version'"),
    ],
)
def test_missing_or_broken_files(built: Path, hash_embedder: Embedder, damage: object, message: str) -> None:
    snapshot_dir = _snapshot_dir(built)
    damage(snapshot_dir)  # type: ignore[operator]
    with pytest.raises(SnapshotError, match=message):
        Snapshot.load(snapshot_dir, hash_embedder)
