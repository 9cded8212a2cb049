"""`python -m index build --ray`: the sample built by Ray actors is the snapshot a local build makes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from index import Embedder, Snapshot
from index.__main__ import main

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "data" / "sample"
# Fields that name the build rather than its content.
BUILD_FIELDS = {"snapshot_id", "built_at", "files", "corpus"}


def _manifest(path: Path) -> dict[str, Any]:
    return dict(json.loads((path / "manifest.json").read_text()))


@pytest.mark.ray
def test_ray_build_equals_the_local_build(
    ray_cluster: Any,
    sample_index: Path,
    embedder: Embedder,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "ray-index"
    # 5 articles in batches of 2 over 2 actors: results come back out of order, and are put back.
    argv = ["build", "--corpus", str(SAMPLE), "--out", str(out), "--ray", "--ray-actors", "2"]
    assert main([*argv, "--no-progress"]) == 0
    assert "passages:  91" in capsys.readouterr().out
    assert ray_cluster.is_initialized()  # the caller's cluster is left running
    local = Snapshot.load(sample_index, embedder)
    remote = Snapshot.load(out, embedder)  # checksums verified: published the same atomic way

    # Same passages, ids and order; same manifest apart from the build's own names.
    assert (remote.path / "passages.jsonl").read_text() == (local.path / "passages.jsonl").read_text()
    local_manifest, remote_manifest = _manifest(local.path), _manifest(remote.path)
    assert {k: v for k, v in remote_manifest.items() if k not in BUILD_FIELDS} == {
        k: v for k, v in local_manifest.items() if k not in BUILD_FIELDS
    }
    assert remote_manifest["corpus"] == str(SAMPLE)
    # Vectors equal to the encoder's precision (bf16 batches of other texts move them by ~1e-3).
    local_vectors = np.load(local.path / "vectors.npy")
    remote_vectors = np.load(remote.path / "vectors.npy")
    assert remote_vectors.shape == local_vectors.shape == (91, 384)
    assert np.allclose(remote_vectors, local_vectors, atol=1e-2)
    assert float(np.min(np.sum(remote_vectors * local_vectors, axis=1))) > 0.999
    # And the same answers from both sides of the search.
    for query in ("Ukraine requested 155mm propellant charges", "KM-SAM", "demonstrators marched"):
        assert [h.passage.passage_id for h in remote.search(query, 10)] == [
            h.passage.passage_id for h in local.search(query, 10)
        ]


@pytest.mark.ray
def test_ray_build_of_an_empty_corpus_publishes_nothing(ray_cluster: Any, tmp_path: Path) -> None:
    from index.distributed import build_index_ray
    from index.errors import CorpusError

    corpus = tmp_path / "empty.jsonl"
    corpus.write_text('{"id": "x", "text": "Close"}\n')
    with pytest.raises(CorpusError, match="no usable passages"):
        build_index_ray(corpus, tmp_path / "out", actors=1, progress=False)
    assert not (tmp_path / "out" / "current").exists()


def test_ray_actors_need_ray(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["build", "--corpus", str(SAMPLE), "--out", str(tmp_path), "--ray-actors", "2"]
    assert main(argv) == 2
    assert "--ray-actors takes a number >= 1, with --ray" in capsys.readouterr().err
