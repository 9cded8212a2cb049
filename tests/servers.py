"""A real gunicorn server on a free loopback port, for the load and crash-safety tests.

`GunicornServer` runs `gunicorn -c service/gunicorn_conf.py 'service:create_app()'` bound to
127.0.0.1 only, with the index directory and models given through `CLAIMWIRE_*` variables, and
waits (bounded) for `/ready`. Its stderr goes to a log file the tests read.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
STANCE_DIR = REPO / "models" / "stance-minilm-l6-nli"
GUNICORN = Path(sys.executable).with_name("gunicorn")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def build_index(corpus: Path, out: Path, *, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """`python -m index build` as a child process (so a test can kill it)."""
    return subprocess.Popen(
        [sys.executable, "-m", "index", "build", "--corpus", str(corpus), "--out", str(out)],
        cwd=REPO,
        env={**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


class GunicornServer:
    """A gunicorn process tree serving `index_dir`; use as a context manager."""

    def __init__(
        self,
        index_dir: Path,
        log_path: Path,
        *,
        workers: int = 2,
        threads: int = 4,
        env: dict[str, str] | None = None,
        ready_timeout: float = 180.0,
    ) -> None:
        self.index_dir = index_dir
        self.log_path = log_path
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        self.threads = threads
        self.env = env or {}
        self.ready_timeout = ready_timeout
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> GunicornServer:
        env = {
            **os.environ,
            "HF_HUB_OFFLINE": "1",
            "TOKENIZERS_PARALLELISM": "false",
            "CLAIMWIRE_INDEX_DIR": str(self.index_dir),
            "CLAIMWIRE_STANCE_MODEL": str(STANCE_DIR),
            "CLAIMWIRE_RELOAD_INTERVAL": "0.5",
            "WEB_CONCURRENCY": str(self.workers),
            "GUNICORN_THREADS": str(self.threads),
            "TORCH_THREADS": "1",
            **self.env,
        }
        command = [str(GUNICORN), "-c", "service/gunicorn_conf.py", "--bind", f"127.0.0.1:{self.port}"]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [*command, "service:create_app()"], cwd=REPO, env=env, stdout=log, stderr=log
            )
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def wait_ready(self) -> None:
        """Until every worker answers /ready 200 (each worker loads its own models), bounded."""
        deadline = time.monotonic() + self.ready_timeout
        ready_in_a_row = 0
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.process.returncode}); see {self.log_path}")
            try:
                status = httpx.get(f"{self.url}/ready", timeout=5).status_code
            except httpx.HTTPError:
                status = 0
            ready_in_a_row = ready_in_a_row + 1 if status == 200 else 0
            if ready_in_a_row >= 4 * self.workers:  # consecutive hits spread over the workers
                return
            time.sleep(0.25)
        raise TimeoutError(f"gunicorn not ready after {self.ready_timeout} s; see {self.log_path}")

    def pids(self) -> list[int]:
        """The master and its workers."""
        import psutil

        assert self.process is not None
        master = psutil.Process(self.process.pid)
        return [master.pid, *(child.pid for child in master.children(recursive=True))]

    def rss_mib(self) -> float:
        """Resident memory of the master plus workers, MiB."""
        import psutil

        total = 0
        for pid in self.pids():
            try:
                total += psutil.Process(pid).memory_info().rss
            except psutil.NoSuchProcess:
                continue
        return total / 2**20

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


class _Summary:
    """Collects `report` lines and repeats them in pytest's terminal summary."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        terminalreporter.section("claimwire robustness figures")
        for line in self.lines:
            terminalreporter.write_line(line)


def report(config: Any, line: str) -> None:
    """Show `line` now (even under output capture) and again in the terminal summary."""
    summary = config.pluginmanager.get_plugin("claimwire-summary")
    if summary is None:
        summary = _Summary()
        config.pluginmanager.register(summary, "claimwire-summary")
    summary.lines.append(line)
    terminal = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if terminal is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            terminal.write_line(line)
