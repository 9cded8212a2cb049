"""Crash safety at server level: killed builds, damaged snapshots and publishing under load.

A real gunicorn (one worker, the real models) serves a copy of the sample index. The index
library's own build-kill tests live in `tests/index`; these check what the running server does.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from flask import Flask
from servers import GunicornServer, build_index, report

from index.store import PAUSE_ENV, publish
from service import create_app

pytestmark = pytest.mark.slow

CORPUS = Path(__file__).resolve().parents[2] / "data" / "sample"
TOKEN = "crash-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
CLAIM = {"claim": "Ukraine requested 155mm propellant charges", "top_k": 3}


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(0.2)


def current_id(root: Path) -> str:
    return (root / "current").resolve().name


def copy_snapshot(root: Path, new_id: str) -> Path:
    """A copy of the current snapshot under a new id (not published)."""
    target = root / "snapshots" / new_id
    shutil.copytree((root / "current").resolve(), target)
    manifest = json.loads((target / "manifest.json").read_text())
    manifest["snapshot_id"] = new_id
    (target / "manifest.json").write_text(json.dumps(manifest))
    return target


@pytest.fixture(scope="module")
def index_root(sample_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("crash") / "index"
    shutil.copytree(sample_index, root, symlinks=True)
    return root


@pytest.fixture(scope="module")
def server(index_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GunicornServer]:
    log = tmp_path_factory.mktemp("crash-logs") / "gunicorn.log"
    env = {"CLAIMWIRE_ADMIN_TOKEN": TOKEN}
    with GunicornServer(index_root, log, workers=1, threads=4, env=env) as running:
        yield running


def served(server: GunicornServer) -> str:
    response = httpx.get(f"{server.url}/index", timeout=30)
    assert response.status_code == 200, response.text
    snapshot: str = response.json()["snapshot"]
    return snapshot


def verify_ok(server: GunicornServer) -> str:
    response = httpx.post(f"{server.url}/verify", json=CLAIM, timeout=120)
    assert response.status_code == 200, response.text
    snapshot: str = response.json()["index"]["snapshot"]
    return snapshot


@pytest.mark.parametrize(
    "damage",
    ["truncate-vectors", "garbage-manifest", "missing-passages", "empty-faiss"],
)
def test_damaged_snapshot_is_refused_and_the_last_good_one_serves(
    server: GunicornServer, index_root: Path, damage: str
) -> None:
    good = current_id(index_root)
    bad = copy_snapshot(index_root, f"damaged-{damage}")
    if damage == "truncate-vectors":
        with (bad / "vectors.npy").open("r+b") as fh:
            fh.truncate(os.path.getsize(bad / "vectors.npy") // 2)
    elif damage == "garbage-manifest":
        (bad / "manifest.json").write_bytes(b'{"snapshot_id": "damaged", \x00\xff')
    elif damage == "missing-passages":
        (bad / "passages.jsonl").unlink()
    else:
        (bad / "vectors.faiss").write_bytes(b"")
    publish(index_root, bad.name)
    try:
        response = httpx.post(f"{server.url}/admin/reload", headers=AUTH, timeout=120)
        assert response.status_code == 200, response.text
        assert response.json()["snapshot"] == good and response.json()["published"] == bad.name
        assert verify_ok(server) == good
        assert httpx.get(f"{server.url}/ready", timeout=30).status_code == 200
        wait_for(lambda: f"{bad.name} failed to load" in server.log(), 10, "a log line naming the snapshot")
        assert f"still serving {good}" in server.log()
    finally:
        publish(index_root, good)


def test_killed_build_keeps_the_server_serving_and_the_next_build_succeeds(
    server: GunicornServer, index_root: Path, request: pytest.FixtureRequest
) -> None:
    before = served(server)
    build = build_index(CORPUS, index_root, env={PAUSE_ENV: "120"})
    try:
        assert build.stderr is not None
        seen = b""
        deadline = time.monotonic() + 400
        while b"build paused" not in seen:  # passages and vectors written, indexes not yet
            assert time.monotonic() < deadline, seen.decode(errors="replace")
            assert build.poll() is None, seen.decode(errors="replace")
            seen += build.stderr.readline()
        os.kill(build.pid, signal.SIGKILL)
    finally:
        if build.poll() is None:
            build.kill()
        build.wait(timeout=30)
    assert build.returncode == -signal.SIGKILL
    assert list(index_root.glob(".tmp-*")), "the killed build left its temporary directory"
    assert current_id(index_root) == before
    assert verify_ok(server) == before and served(server) == before

    rebuild = build_index(CORPUS, index_root)
    _, err = rebuild.communicate(timeout=500)
    assert rebuild.returncode == 0, err.decode(errors="replace")
    after = current_id(index_root)
    assert after != before
    assert not list(index_root.glob(".tmp-*"))
    wait_for(lambda: served(server) == after, 120, "the server to pick up the rebuilt snapshot")
    assert verify_ok(server) == after
    report(
        request.config, f"crash: build killed with SIGKILL mid-build; kept serving {before}, rebuilt {after}"
    )


def test_publishing_under_load_fails_no_request(
    server: GunicornServer, index_root: Path, request: pytest.FixtureRequest
) -> None:
    before = current_id(index_root)
    statuses: list[int] = []
    seen: set[str] = set()
    stop = threading.Event()
    lock = threading.Lock()

    def client() -> None:
        with httpx.Client(base_url=server.url, timeout=120) as http:
            while not stop.is_set():
                response = http.post("/verify", json=CLAIM)
                with lock:
                    statuses.append(response.status_code)
                    if response.status_code == 200:
                        seen.add(response.json()["index"]["snapshot"])

    threads = [threading.Thread(target=client) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        wait_for(lambda: len(statuses) >= 4, 300, "first answers")
        new = copy_snapshot(index_root, f"{before}-republished")
        publish(index_root, new.name)
        wait_for(lambda: new.name in seen, 120, "the new snapshot to be served")
        count = len(statuses)
        wait_for(lambda: len(statuses) >= count + 4, 300, "answers after the swap")
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=150)
    assert statuses and set(statuses) == {200}, statuses
    assert {before, new.name} <= seen
    report(request.config, f"crash: snapshot published under load: {len(statuses)} requests, 0 failed")


def test_first_start_on_a_damaged_snapshot_is_not_ready_then_recovers(
    embedder: Any, stance_model: Any, sample_index: Path, tmp_path: Path
) -> None:
    root = tmp_path / "index"
    shutil.copytree(sample_index, root, symlinks=True)
    good = current_id(root)
    bad = copy_snapshot(root, "damaged-at-start")
    with (bad / "vectors.npy").open("r+b") as fh:
        fh.truncate(10)
    publish(root, bad.name)
    app: Flask = create_app(
        {
            "TESTING": True,
            "INDEX_DIR": str(root),
            "EMBEDDER": embedder,
            "STANCE": stance_model,
            "RELOAD_THREAD": False,
            "RELOAD_INTERVAL": 0.0,
        }
    )
    try:
        client = app.test_client()
        assert client.get("/health").status_code == 200
        ready = client.get("/ready")
        assert ready.status_code == 503 and ready.mimetype == "application/problem+json"
        assert "damaged-at-start" in ready.get_json()["detail"]
        assert client.post("/verify", json=CLAIM).status_code == 503
        publish(root, good)
        runtime = app.extensions["claimwire"].runtime
        wait_for(lambda: runtime.refresh() or runtime.loaded is not None, 120, "recovery")
        assert client.get("/ready").status_code == 200
        assert client.post("/verify", json=CLAIM).status_code == 200
    finally:
        app.extensions["claimwire"].runtime.stop()
