"""`python -m service.batch --ray`: Ray actors write the file a local run writes, in order, resumable."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask import Config

from index import Embedder, Snapshot
from service.batch import main, read_claims, run
from service.config import DefaultConfig, thresholds
from service.runtime import Loaded

# The README's example claims, a filter, a bad line and a repeated id, in an order the chunks cut.
CLAIMS = [
    {"id": "propellant", "claim": "Ukraine requested 155mm propellant charges", "top_k": 3},
    {"id": "ecb", "claim": "The European Central Bank raised interest rates in November 2024"},
    {
        "id": "cheongung",
        "claim": "Ukraine asked South Korea to sell it Cheongung air defense systems",
        "top_k": 2,
    },
    {"id": "herald", "claim": "Ukraine asked for Cheongung", "outlets": ["The Korea Herald"]},
    {"id": "dated", "claim": "Ukraine asked for air defence systems", "date_from": "2024-11-28", "top_k": 2},
    {"id": "blank", "claim": "   "},
    {"id": "propellant", "claim": "a repeated id is verified once, as in a local run"},
    {"id": "short", "claim": "Ukraine asked South Korea for the Cheongung air defence system", "top_k": 3},
]


@pytest.fixture(scope="module")
def claims_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("claims") / "claims.jsonl"
    lines = [json.dumps(c) for c in CLAIMS]
    lines.insert(3, "not json")  # a bad line: an error record, in its place
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def local_results(
    claims_file: Path,
    sample_index: Path,
    embedder: Embedder,
    real_models: tuple[Any, Any],
    tmp_path_factory: pytest.TempPathFactory,
) -> str:
    """OUT of a local run (`service.batch.run`, what `make verify-batch` runs) on the real models."""
    config = Config(".")
    config.from_object(DefaultConfig)
    snapshot = Snapshot.load(sample_index, embedder)
    loaded = Loaded(snapshot, embedder, real_models[1], snapshot.path, 0.0)
    out = tmp_path_factory.mktemp("local") / "results.jsonl"
    # chunks of 2, as the Ray runs below: claims are verified with the same batch-mates
    summary = run(list(read_claims(claims_file)), out, loaded, thresholds(config), progress=False, chunk=2)
    assert (summary.verified, summary.skipped, summary.errors) == (6, 1, 2)
    return out.read_text()


def _ray_main(claims: Path, out: Path, index_dir: Path) -> int:
    argv = ["--claims", str(claims), "--out", str(out), "--index-dir", str(index_dir), "--no-progress"]
    return main([*argv, "--ray", "--ray-actors", "2", "--chunk-size", "2"])


@pytest.mark.ray
def test_ray_run_writes_the_local_runs_file(
    ray_cluster: Any,
    claims_file: Path,
    sample_index: Path,
    local_results: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "results.jsonl"
    assert _ray_main(claims_file, out, sample_index) == 0
    assert capsys.readouterr().out.strip() == "verified 6, skipped 1 (already in OUT), errors 2"
    assert out.read_text() == local_results
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in records] == [
        "propellant",
        "ecb",
        "cheongung",
        "4",
        "herald",
        "dated",
        "blank",
        "short",
    ]
    assert records[0]["verdict"] == "supported" and records[1]["verdict"] == "not_enough_info"
    assert "claim" in records[6]["error"]["errors"]
    # A rerun finds everything done and starts no actor.
    assert _ray_main(claims_file, out, sample_index) == 0
    assert capsys.readouterr().out.strip() == "verified 0, skipped 9 (already in OUT), errors 0"
    assert out.read_text() == local_results


@pytest.mark.ray
def test_an_interrupted_ray_run_resumes_to_the_same_file(
    ray_cluster: Any, claims_file: Path, sample_index: Path, local_results: str, tmp_path: Path
) -> None:
    out = tmp_path / "results.jsonl"
    done = local_results.splitlines(keepends=True)[:3]
    out.write_text("".join(done) + '{"id": "herald", "claim": "Ukr')  # killed in the middle of a line
    assert _ray_main(claims_file, out, sample_index) == 0
    assert out.read_text() == local_results
