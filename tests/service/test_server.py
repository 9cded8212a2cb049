"""The real server: gunicorn on a loopback port, called through a client generated from openapi.yaml."""

from __future__ import annotations

import datetime as dt
import importlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
FEEDBACK_TOKEN = "live-reviewer-token"

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def status_of(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            status: int = response.status
            return status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


@pytest.fixture(scope="module")
def server(sample_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
        "GUNICORN_THREADS": "2",
        "TORCH_THREADS": "1",
        "HF_HUB_OFFLINE": "1",
        "CLAIMWIRE_INDEX_DIR": str(sample_index),
        "CLAIMWIRE_FEEDBACK_TOKEN": FEEDBACK_TOKEN,
        "CLAIMWIRE_FEEDBACK_DB": str(tmp_path_factory.mktemp("feedback") / "feedback.sqlite3"),
    }
    log = tmp_path_factory.mktemp("server") / "gunicorn.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "service/gunicorn_conf.py", "service:create_app()"],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300  # model loading on a busy 2-core machine
        while status_of(f"{base}/ready") != 200:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not become ready:\n{log.read_text()[-3000:]}")
            time.sleep(0.5)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """`claimwire_client`, generated from the committed openapi.yaml by openapi-python-client."""
    out = tmp_path_factory.mktemp("client")
    result = subprocess.run(
        [str(BIN / "openapi-python-client"), "generate", "--path", str(REPO / "openapi.yaml"),
         "--meta", "none", "--output-path", str(out / "claimwire_client")],
        cwd=out,
        env={**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"},
        capture_output=True,
        text=True,
        timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    sys.path.insert(0, str(out))
    try:
        return importlib.import_module("claimwire_client")
    finally:
        sys.path.remove(str(out))


def test_generated_client_gets_typed_results(server: str, generated: Any) -> None:
    from claimwire_client import AuthenticatedClient, Client
    from claimwire_client.api.feedback import post_feedback
    from claimwire_client.api.health import get_health, get_ready
    from claimwire_client.api.index import get_index
    from claimwire_client.api.verify import post_verify, post_verify_batch
    from claimwire_client.models import (
        AlsoIn,
        Attribution,
        BatchRequest,
        BatchResponse,
        Evidence,
        Explained,
        FeedbackRecord,
        FeedbackRequest,
        FeedbackRequestLabel,
        Health,
        IndexInfo,
        Mismatch,
        Problem,
        VerifyRequest,
        VerifyResponse,
    )

    client = Client(base_url=server, timeout=120)
    assert isinstance(get_health.sync(client=client), Health)
    assert get_ready.sync_detailed(client=client).status_code == 200
    info = get_index.sync(client=client)
    assert isinstance(info, IndexInfo) and info.passages > 0 and "The Korea Herald" in info.outlets

    claim = "Ukraine asked South Korea to sell it Cheongung air defense systems"
    result = post_verify.sync(client=client, body=VerifyRequest(claim=claim, top_k=5))
    assert isinstance(result, VerifyResponse), result
    assert result.claim == claim and result.index.snapshot == info.snapshot
    assert result.verdict.value in {"supported", "refuted", "conflicting", "not_enough_info"}
    assert 0.0 <= result.confidence <= 1.0
    for evidence in result.supporting + result.contradicting:
        assert isinstance(evidence, Evidence)
        assert evidence.date is None or isinstance(evidence.date, dt.date)
        assert evidence.outlet is None or isinstance(evidence.outlet, str)
        # the evidence fields (issue 14), read through the generated client
        assert isinstance(evidence.attribution, Attribution)
        assert evidence.attribution.kind.value in {"outlet", "quote", "reported_speech"}
        assert all(isinstance(r, str) for r in evidence.relays)
        assert all(isinstance(c, AlsoIn) for c in evidence.also_in)
        assert all(isinstance(m, Mismatch) for m in evidence.mismatches)
        assert evidence.source is None or isinstance(evidence.source, str)
        if evidence.outlet == "TROIB News":
            assert evidence.relays[0] == "RT"
    sides = result.independent_sources
    assert isinstance(sides.supporting, int) and isinstance(sides.contradicting, int)
    assert sides.supporting <= len(result.supporting) and sides.contradicting <= len(result.contradicting)

    talks = post_verify.sync(
        client=client, body=VerifyRequest(claim="The talks lasted two hours", explain=True)
    )
    assert isinstance(talks, VerifyResponse) and talks.explanation
    (thirty,) = [e for e in talks.explanation if "for 30 minutes" in e.text]
    assert isinstance(thirty, Explained)
    assert [(m.kind.value, m.claim, m.passage) for m in thirty.mismatches] == [
        ("unit", "two hours", "30 minutes")
    ]
    assert thirty.attribution.kind.value == "quote" and "Kim Yong-hyun" in (thirty.attribution.speaker or "")

    reviewer = AuthenticatedClient(base_url=server, token=FEEDBACK_TOKEN, timeout=60)
    judged = post_feedback.sync(
        client=reviewer,
        body=FeedbackRequest(
            claim=claim, passage_id=thirty.passage_id, label=FeedbackRequestLabel.CONTRADICTS
        ),
    )
    assert isinstance(judged, FeedbackRecord), judged
    assert judged.passage_id == thirty.passage_id and judged.label.value == "contradicts" and judged.id >= 1
    refused = post_feedback.sync(
        client=reviewer,
        body=FeedbackRequest(claim=claim, passage_id="nope", label=FeedbackRequestLabel.NEITHER),
    )
    assert isinstance(refused, Problem) and refused.status == 422 and "passage_id" in refused.errors.to_dict()

    batch = post_verify_batch.sync(client=client, body=BatchRequest(claims=[claim, "Seoul hosted Umerov"]))
    assert isinstance(batch, BatchResponse)
    assert [r.id for r in batch.results] == ["0", "1"]

    problem = post_verify.sync(client=client, body=VerifyRequest(claim=claim, top_k=0))
    assert isinstance(problem, Problem) and problem.status == 422
    assert "top_k" in problem.errors.to_dict()


def test_errors_are_problem_json_over_http(server: str) -> None:
    request = urllib.request.Request(f"{server}/nowhere")
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=10)
    assert caught.value.code == 404
    assert caught.value.headers["Content-Type"] == "application/problem+json"
