"""The command line, and builds interrupted half-way (kill -9, Ctrl-C) leaving `current` intact."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from index import Embedder, Snapshot, build_index, current_snapshot_path
from index.__main__ import main
from index.store import PAUSE_ENV

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "data" / "sample"


def _tiny_corpus(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus.jsonl"
    rows = [
        {"id": "a", "text": "Seoul declined to sell Cheongung systems to Kyiv.", "outlet": "Wire"},
        {"id": "b", "text": "The delegation asked for 155 mm propellant charges.", "date": "2024-11-28"},
    ]
    corpus.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return corpus


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["kill-9", "ctrl-c"])
def test_interrupted_build_leaves_previous_snapshot(tmp_path: Path, embedder: Embedder, sig: int) -> None:
    root = tmp_path / "index"
    corpus = _tiny_corpus(tmp_path)
    old = build_index(corpus, root, embedder, progress=False)
    link_before = os.readlink(root / "current")

    env = {**os.environ, PAUSE_ENV: "120", "HF_HUB_OFFLINE": "1"}
    cmd = [
        sys.executable,
        "-m",
        "index",
        "build",
        "--corpus",
        str(SAMPLE),
        "--out",
        str(root),
        "--no-progress",
    ]
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        for line in proc.stderr:  # wait until the build has started writing its snapshot
            if line.startswith(f"{PAUSE_ENV}: build paused in "):
                tmp_dir = Path(line.rsplit(" in ", 1)[1].strip())
                break
        else:
            pytest.fail(f"build ended without pausing: rc={proc.wait()}")
        assert (tmp_dir / "passages.jsonl").is_file()
        proc.send_signal(sig)
        rc = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

    # The published snapshot is untouched and still loads.
    assert os.readlink(root / "current") == link_before
    snapshot = Snapshot.load(root, embedder)
    assert snapshot.id == old.snapshot_id and len(snapshot) == 2
    assert [p.name for p in (root / "snapshots").iterdir()] == [old.snapshot_id]
    if sig == signal.SIGINT:
        assert rc == 130  # Ctrl-C: the build cleaned up after itself
        assert not tmp_dir.exists()
    else:
        assert rc == -signal.SIGKILL
        assert tmp_dir.exists()  # kill -9 leaves it; the next build removes it

    new = build_index(SAMPLE, root, embedder, progress=False)
    assert current_snapshot_path(root) == new.path != old.path
    assert not tmp_dir.exists() and not list(root.glob(".tmp-*"))
    assert len(Snapshot.load(root, embedder)) == new.passages


def test_info_and_search_commands(sample_index: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", "--out", str(sample_index)]) == 0
    out = capsys.readouterr().out
    manifest = json.loads(out.split("\n", 1)[1])
    assert (
        manifest["passages"] > 50 and manifest["embedding_model"] == "sentence-transformers/all-MiniLM-L6-v2"
    )

    args = ["search", "--out", str(sample_index), "Cheongung", "-k", "2", "--outlet", "TROIB News", "--json"]
    assert main(args) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == 2 and {r["outlet"] for r in rows} == {"TROIB News"}
    assert rows[0]["rank"] == 1 and "Cheongung" in rows[0]["text"]

    args = ["search", "--out", str(sample_index), "Cheongung", "--date-from", "2024-11-28", "-k", "3"]
    assert main(args) == 0
    assert "2024-11-28" in capsys.readouterr().out


def test_cli_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", "--out", str(tmp_path)]) == 1
    assert "no snapshot published" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["search", "--out", str(tmp_path), "q", "--date-from", "28/11/2024"])
