"""`python -m stance eval` and `probe` as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run_stance(*args: str) -> subprocess.CompletedProcess[str]:
    """`python -m stance ...` in a fresh interpreter, offline, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "stance", *args],
        cwd=REPO,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_eval_prints_per_file_figures_and_the_summary_line(tmp_path: Path) -> None:
    rows = [
        {"premise": "A man is sleeping on a couch.", "hypothesis": "A man is asleep.", "label": "entailment"},
        {
            "premise": "A man is sleeping on a couch.",
            "hypothesis": "A man is running a race.",
            "label": "contradiction",
        },
        {
            "premise": "A woman plays a violin.",
            "hypothesis": "A woman is playing music.",
            "label": "entailment",
        },
    ]
    for name in ("snli_test", "mnli_mismatched"):
        (tmp_path / f"eval_{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = run_stance("eval", "--data-dir", str(tmp_path), "--json", str(tmp_path / "r.json"))
    assert out.returncode == 0, out.stderr[-2000:]
    lines = out.stdout.strip().splitlines()
    assert lines[-1].startswith("stance_eval snli_test=") and " mnli_mismatched=" in lines[-1]
    assert " news_test=" in lines[-1]  # the project's news set is always scored
    figures = json.loads((tmp_path / "r.json").read_text())
    assert figures["snli_test"]["pairs"] == 3
    assert figures["snli_test"]["accuracy"] >= 2 / 3


def test_eval_of_an_unknown_model_is_a_clear_error(tmp_path: Path) -> None:
    out = run_stance("eval", "--data-dir", str(tmp_path), "--model", str(tmp_path / "nope"))
    assert out.returncode == 2
    assert "cannot load stance model" in out.stderr
    assert "Traceback" not in out.stderr
