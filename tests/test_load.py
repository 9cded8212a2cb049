"""Load: a real gunicorn (real models, sample index) under concurrent clients; zero errors allowed.

The CI test (`slow`) runs 16 client threads for at most LOAD_SECONDS or LOAD_REQUESTS requests;
`make soak` (`-m soak`) runs 50 clients for 60 s and samples the RSS of the gunicorn master and
workers before and after. Both print one `load: ...` line (also repeated in the terminal summary).
"""

from __future__ import annotations

import statistics
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # importlib mode: tests/ is not on sys.path

from servers import GunicornServer, report

CLAIMS = [
    "Ukraine requested 155mm propellant charges",
    "Ukraine asked South Korea to sell it Cheongung air defense systems",
    "The European Central Bank raised interest rates in November 2024",
    "The minister denied receiving any request",
    "Shares fell sharply on Tuesday",
    "A delegation met the president in Seoul",
]


@dataclass
class Tally:
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def line(self, label: str, seconds: float, extra: str = "") -> str:
        lat = sorted(self.latencies_ms)
        n = len(lat)
        p50 = statistics.median(lat) if lat else float("nan")
        p95 = lat[min(n - 1, int(0.95 * n))] if lat else float("nan")
        return (
            f"load: {label} requests={n + len(self.errors)} errors={len(self.errors)} "
            f"p50_ms={p50:.0f} p95_ms={p95:.0f} max_ms={(lat[-1] if lat else 0):.0f} "
            f"rps={n / seconds:.2f} seconds={seconds:.1f}{extra}"
        )


def drive(url: str, clients: int, seconds: float, max_requests: int) -> tuple[Tally, float]:
    """`clients` threads, each a keep-alive client, until time or the request budget is spent."""
    tally = Tally()
    issued = 0
    issued_lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def take() -> int | None:
        nonlocal issued
        with issued_lock:
            if issued >= max_requests or time.monotonic() >= deadline:
                return None
            issued += 1
            return issued

    def client() -> None:
        with httpx.Client(base_url=url, timeout=180) as http:
            while (n := take()) is not None:
                claim = CLAIMS[n % len(CLAIMS)]
                if n % 5 == 0:
                    path, body = (
                        "/verify/batch",
                        {"claims": [claim, CLAIMS[(n + 1) % len(CLAIMS)], {"claim": claim, "top_k": 2}]},
                    )
                else:
                    path, body = "/verify", {"claim": claim, "top_k": 5}
                started = time.perf_counter()
                try:
                    response = http.post(path, json=body, headers={"X-Request-ID": f"load-{n}"})
                    ok = response.status_code == 200 and response.headers.get("X-Request-ID") == f"load-{n}"
                    problem = "" if ok else f"{path} {response.status_code} {response.text[:200]}"
                except httpx.HTTPError as exc:
                    problem = f"{path} {type(exc).__name__}: {exc}"
                elapsed = (time.perf_counter() - started) * 1000
                with tally.lock:
                    if problem:
                        tally.errors.append(problem)
                    else:
                        tally.latencies_ms.append(elapsed)

    started = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 400)
    return tally, time.monotonic() - started


@pytest.fixture(scope="module")
def server(sample_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GunicornServer]:
    log = tmp_path_factory.mktemp("load-logs") / "gunicorn.log"
    with GunicornServer(sample_index, log, workers=2, threads=4) as running:
        yield running


@pytest.mark.slow
def test_load_zero_errors(server: GunicornServer, request: pytest.FixtureRequest) -> None:
    tally, seconds = drive(server.url, clients=16, seconds=25, max_requests=400)
    report(request.config, tally.line("clients=16 workers=2x4", seconds))
    assert not tally.errors, tally.errors[:5]
    assert tally.latencies_ms
    assert httpx.get(f"{server.url}/ready", timeout=30).status_code == 200


@pytest.mark.soak
def test_soak_50_clients_60_s(server: GunicornServer, request: pytest.FixtureRequest) -> None:
    drive(server.url, clients=4, seconds=10, max_requests=40)  # warm every worker up first
    rss_before = server.rss_mib()
    tally, seconds = drive(server.url, clients=50, seconds=60, max_requests=100_000)
    rss_after = server.rss_mib()
    extra = f" rss_before_mib={rss_before:.0f} rss_after_mib={rss_after:.0f}"
    report(request.config, tally.line("soak clients=50 workers=2x4", seconds, extra))
    assert not tally.errors, tally.errors[:5]
    assert rss_after < rss_before * 1.5 + 200, "memory grew by more than half under load"
