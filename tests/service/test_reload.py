"""Hot reload: a newly published snapshot is swapped in without failing a request in flight."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from service_fakes import FakeSnapshotLoader, fake_config, publish

from service import create_app


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


def served_id(app: Flask) -> str | None:
    response = app.test_client().get("/index")
    return response.get_json()["snapshot"] if response.status_code == 200 else None


@pytest.mark.parametrize("watch", [True, False], ids=["watcher-thread", "on-request"])
def test_new_snapshot_swaps_in_without_failed_requests(index_dir: Path, watch: bool) -> None:
    publish(index_dir, "snap-1")
    # Slow loads and slow searches, so requests are in flight while the new snapshot loads and swaps.
    loader = FakeSnapshotLoader(delay=0.3, search_delay=0.01)
    app = create_app(fake_config(index_dir, SNAPSHOT_LOADER=loader, RELOAD_THREAD=watch))
    statuses: list[int] = []
    seen: set[str] = set()
    stop = threading.Event()

    def hammer() -> None:
        client = app.test_client()
        while not stop.is_set():
            response = client.post("/verify", json={"claim": "Ukraine asked for propellant charges"})
            statuses.append(response.status_code)
            if response.status_code == 200:
                seen.add(response.get_json()["index"]["snapshot"])

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(0.2)
        publish(index_dir, "snap-2")
        wait_for(lambda: served_id(app) == "snap-2")
        time.sleep(0.2)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
        app.extensions["claimwire"].runtime.stop()
    assert statuses and set(statuses) == {200}
    assert seen == {"snap-1", "snap-2"}
    assert loader.loads == 2  # each snapshot loaded once, however many requests polled


def test_broken_snapshot_keeps_the_last_good_one(index_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    publish(index_dir, "snap-1")
    loader = FakeSnapshotLoader()
    app = create_app(fake_config(index_dir, SNAPSHOT_LOADER=loader))
    runtime = app.extensions["claimwire"].runtime
    publish(index_dir, "snap-bad", broken=True)
    with caplog.at_level(logging.ERROR, logger="service.runtime"):
        assert runtime.refresh() is False
        assert runtime.refresh() is False  # not retried while `current` still points at it
    assert loader.loads == 2
    assert "snap-bad failed to load" in caplog.text and "still serving snap-1" in caplog.text
    assert app.test_client().get("/ready").status_code == 200
    assert served_id(app) == "snap-1"
    publish(index_dir, "snap-2")
    # The requests above may have started a background refresh, which then does the swap.
    wait_for(lambda: runtime.refresh() or served_id(app) == "snap-2")
    assert served_id(app) == "snap-2"


def test_starts_unready_and_becomes_ready_when_a_snapshot_appears(index_dir: Path) -> None:
    app = create_app(fake_config(index_dir, RELOAD_THREAD=True))
    client = app.test_client()
    try:
        assert client.get("/health").status_code == 200
        assert client.get("/ready").status_code == 503
        assert client.post("/verify", json={"claim": "c"}).status_code == 503
        publish(index_dir, "snap-1")
        wait_for(lambda: client.get("/ready").status_code == 200)
        assert client.post("/verify", json={"claim": "c"}).status_code == 200
    finally:
        app.extensions["claimwire"].runtime.stop()


def test_models_failing_to_load_leave_the_app_up_but_unready(index_dir: Path) -> None:
    publish(index_dir, "snap-1")

    def missing_model() -> Any:
        raise OSError("models/nowhere: no such directory")

    client = create_app(fake_config(index_dir, MODEL_LOADER=missing_model)).test_client()
    assert client.get("/health").status_code == 200
    problem = client.get("/ready").get_json()
    assert problem["status"] == 503 and "cannot load models" in problem["detail"]
