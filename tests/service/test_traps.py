"""The traps a new user fell into (issue 13), each closed, each tested against the old behaviour.

- one index setting: `make serve INDEX_DIR=...` and `CLAIMWIRE_INDEX_DIR` agree;
- a missing or mistyped index path fails with a clear message (make, gunicorn, the CLI);
- `python -m index build` without `--corpus` is an error, not a build of the bundled sample;
- an outlet filter naming an outlet the index does not hold is a 422 that lists the known ones;
- progress bars only on a terminal; FAISS's loader quiet; no access-log lines from an
  in-process (testing) app between a tool's results;
- ids documented; the server binds 127.0.0.1 unless told otherwise, the image 0.0.0.0.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import runpy
import shutil
import signal
import struct
import subprocess
import sys
import termios
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask.testing import FlaskClient

from index.__main__ import main as index_main

REPO = Path(__file__).resolve().parents[2]
STAMP = ".venv/.installed-stamp"
TINY = {"id": "tram", "text": "The Brenford city council approved a new tram line on Monday evening."}
FAKES = str(Path(__file__).resolve().parent)


def run(
    cmd: list[str], *, timeout: float, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `cmd` in its own process group; on timeout kill the whole group and fail."""
    proc = subprocess.Popen(
        cmd,
        cwd=REPO,
        env={**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(
            f"{' '.join(cmd)} still running after {timeout} s (it should have failed fast):\n{err[-2000:]}"
        )
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def make(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    return run(["make", "--no-print-directory", "-o", STAMP, *args], timeout=timeout, env=env)


def fake_index(root: Path) -> Path:
    """A directory that looks published to make (`current` exists)."""
    (root / "snapshots" / "s1").mkdir(parents=True)
    (root / "current").symlink_to("snapshots/s1")
    return root


# --- one index setting, and a mistyped one fails ------------------------------------------------


def test_make_serve_reads_claimwire_index_dir(tmp_path: Path) -> None:
    index = fake_index(tmp_path / "mine")
    dry = make("-n", "serve", env={"CLAIMWIRE_INDEX_DIR": str(index)})
    assert dry.returncode == 0, dry.stderr
    assert f"CLAIMWIRE_INDEX_DIR={index} " in dry.stdout  # not overridden with var/index
    dry = make("-n", "serve", f"INDEX_DIR={index}", env={"CLAIMWIRE_INDEX_DIR": ""})
    assert f"CLAIMWIRE_INDEX_DIR={index} " in dry.stdout


def test_make_serve_refuses_two_different_index_dirs(tmp_path: Path) -> None:
    mine, other = fake_index(tmp_path / "mine"), fake_index(tmp_path / "other")
    result = make("serve", f"INDEX_DIR={mine}", env={"CLAIMWIRE_INDEX_DIR": str(other)})
    assert result.returncode != 0
    assert "disagree" in result.stderr and str(mine) in result.stderr and str(other) in result.stderr


@pytest.mark.slow
def test_make_serve_on_a_mistyped_index_dir_fails_and_builds_nothing(tmp_path: Path) -> None:
    typo = tmp_path / "indx"
    result = make("serve", f"INDEX_DIR={typo}", timeout=120)
    assert result.returncode != 0
    assert f"no index at {typo}" in result.stderr and "make index CORPUS=PATH" in result.stderr
    assert not typo.exists()  # the sample was not built there


@pytest.mark.slow
def test_gunicorn_on_a_missing_index_dir_exits_with_the_path(tmp_path: Path) -> None:
    typo = tmp_path / "no-such-index"
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    cmd = [gunicorn, "-c", "service/gunicorn_conf.py", "--bind", "127.0.0.1:0", "service:create_app()"]
    result = run(cmd, timeout=90, env={"CLAIMWIRE_INDEX_DIR": str(typo), "WEB_CONCURRENCY": "1"})
    assert result.returncode == 1
    assert f"the index directory {typo} (CLAIMWIRE_INDEX_DIR) does not exist" in result.stderr
    assert "python -m index build --corpus PATH" in result.stderr


def test_index_build_without_corpus_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "index"
    with pytest.raises(SystemExit) as exit_:
        index_main(["build", "--out", str(out)])
    assert exit_.value.code == 2
    assert "--corpus" in capsys.readouterr().err
    assert not out.exists()


def test_readme_first_screen_names_the_one_way_to_serve_your_index() -> None:
    first_screen = "\n".join((REPO / "README.md").read_text().splitlines()[:24])
    assert "make serve INDEX_DIR=" in first_screen and "CLAIMWIRE_INDEX_DIR" in first_screen


# --- an unknown outlet is a 422 that lists the known ones ---------------------------------------


def test_unknown_outlet_is_a_422_naming_the_known_outlets(client: FlaskClient) -> None:
    response = client.post(
        "/verify", json={"claim": "Ukraine asked for charges", "outlets": ["Reuters", "Outlet A"]}
    )
    assert response.status_code == 422
    problem = response.get_json()
    (message,) = problem["errors"]["outlets"]
    assert "Unknown outlet: 'Reuters'." in message
    assert "Known outlets: 'Outlet A', 'Outlet B', 'Outlet C', 'Outlet D'." in message

    batch = client.post("/verify/batch", json={"claims": ["fine", {"claim": "x", "outlets": ["outlet b"]}]})
    assert batch.status_code == 422
    (message,) = batch.get_json()["errors"]["claims.1.outlets"]
    assert "Did you mean 'Outlet B' for 'outlet b'?" in message

    known = client.post("/verify", json={"claim": "Ukraine asked for charges", "outlets": ["Outlet A"]})
    assert known.status_code == 200


@pytest.mark.slow
def test_unknown_outlet_on_the_real_index(real_client: FlaskClient) -> None:
    response = real_client.post("/verify", json={"claim": "Cheongung", "outlets": ["Korea Herald"]})
    assert response.status_code == 422
    (message,) = response.get_json()["errors"]["outlets"]
    assert "Did you mean 'The Korea Herald' for 'Korea Herald'?" in message
    assert "'Associated Press', 'Kyiv Post', 'TROIB News', 'The Korea Herald'" in message


# --- a quiet console ----------------------------------------------------------------------------


@pytest.mark.slow
def test_progress_bars_only_on_a_terminal(tmp_path: Path) -> None:
    corpus = tmp_path / "tiny.jsonl"
    corpus.write_text(json.dumps(TINY) + "\n")
    cmd = [sys.executable, "-m", "index", "build", "--corpus", str(corpus)]

    piped = run([*cmd, "--out", str(tmp_path / "a")], timeout=300)
    assert piped.returncode == 0, piped.stderr
    assert piped.stderr == ""  # no "embedding: 100%|...", no "Loading weights", no FAISS lines

    # On a terminal (80 columns: a pty starts 0 wide, and tqdm would draw an empty bar) it is there.
    primary, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    try:
        proc = subprocess.run(
            [*cmd, "--out", str(tmp_path / "b")],
            cwd=REPO,
            env={**os.environ, "HF_HUB_OFFLINE": "1"},
            stdout=subprocess.DEVNULL,
            stderr=secondary,
            timeout=300,
            check=True,
        )
        os.close(secondary)
        seen = b""
        while True:
            try:
                chunk = os.read(primary, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    finally:
        os.close(primary)
    assert proc.returncode == 0
    assert b"embedding: 100%" in seen and b"1/1" in seen


def test_faiss_loader_is_quiet_under_the_server_logging() -> None:
    code = (
        "import logging.config, runpy;"
        "conf = runpy.run_path('service/gunicorn_conf.py');"
        "logging.config.dictConfig(conf['logconfig_dict']);"
        "import faiss;"
        "logging.getLogger('probe').info('logging works')"
    )
    result = run([sys.executable, "-c", code], timeout=120)
    assert result.returncode == 0, result.stderr
    assert "logging works" in result.stderr  # INFO lines still get through
    assert "faiss" not in result.stderr and "Could not load library" not in result.stderr


@pytest.mark.parametrize(("testing", "printed"), [(True, False), (False, True)])
def test_an_in_process_testing_app_prints_no_access_lines(
    tmp_path: Path, testing: bool, printed: bool
) -> None:
    code = (
        f"import sys; sys.path.insert(0, {FAKES!r});"
        "from pathlib import Path; from service_fakes import fake_config, publish;"
        "from service import create_app;"
        f"root = Path({str(tmp_path)!r}); publish(root, 'snap-1');"
        f"app = create_app(fake_config(root, TESTING={testing}));"
        "status = app.test_client().post('/verify', json={'claim': 'x'}).status_code;"
        "print(status)"
    )
    result = run([sys.executable, "-c", code], timeout=120)
    assert result.stdout.strip() == "200", result.stderr
    assert ('"logger": "claimwire.access"' in result.stderr) is printed


# --- ids and the bind address -------------------------------------------------------------------


def test_ids_are_documented_in_the_api_document() -> None:
    spec = yaml.safe_load((REPO / "openapi.yaml").read_text())
    evidence = spec["components"]["schemas"]["Evidence"]["properties"]
    assert "0-based" in evidence["sentence_index"]["description"]
    assert "sha256" in evidence["passage_id"]["description"]
    assert "id" in evidence["document_id"]["description"]
    stored = spec["components"]["schemas"]["StoredPassage"]["properties"]
    assert "0-based" in stored["sentence_index"]["description"]


def gunicorn_settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> dict[str, Any]:
    for name in ("GUNICORN_BIND", "GUNICORN_HOST", "PORT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(REPO / "service" / "gunicorn_conf.py"))


def test_the_server_binds_loopback_unless_told_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    assert gunicorn_settings(monkeypatch)["bind"] == "127.0.0.1:8000"
    assert gunicorn_settings(monkeypatch, PORT="9000")["bind"] == "127.0.0.1:9000"
    assert gunicorn_settings(monkeypatch, GUNICORN_HOST="0.0.0.0")["bind"] == "0.0.0.0:8000"
    assert gunicorn_settings(monkeypatch, GUNICORN_BIND="[::1]:7000")["bind"] == "[::1]:7000"
    dockerfile = (REPO / "Dockerfile").read_text()
    assert "GUNICORN_HOST=0.0.0.0" in dockerfile  # the image listens on every interface
