"""`evidence`'s front door: an explicit, sorted `__all__`, and nothing heavy loaded at import."""

from __future__ import annotations

import subprocess
import sys

import evidence


def test_exported_names_are_sorted_and_real() -> None:
    # isort style (ruff RUF022): constants, then classes, then functions, each alphabetical
    kind = {True: 0}
    assert evidence.__all__ == sorted(
        evidence.__all__, key=lambda n: (kind.get(n.isupper(), 1 if n[0].isupper() else 2), n)
    )
    assert all(hasattr(evidence, name) for name in evidence.__all__)


def test_importing_loads_no_web_framework_and_no_model() -> None:
    heavy = "('flask', 'torch', 'sentence_transformers')"
    code = f"import sys, evidence; print(sorted(m for m in {heavy} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]"
