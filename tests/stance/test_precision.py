"""Precision by detection: bf16 only where the CPU multiplies bf16 in hardware."""

from __future__ import annotations

from pathlib import Path

import pytest

from stance.precision import choose_precision, cpu_flags


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ({"avx2", "amx_bf16", "amx_tile"}, "bf16"),  # Intel with AMX
        ({"avx2", "avx512f", "avx512_bf16"}, "bf16"),  # AVX-512 BF16 (e.g. AMD Zen 4)
        ({"avx2", "fma"}, "fp32"),  # AVX2 only: bf16 would be emulated, ~7x slower
        (set(), "fp32"),
    ],
)
def test_detection(flags: set[str], expected: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLAIMWIRE_PRECISION", raising=False)
    assert choose_precision(None, flags) == expected


def test_a_setting_forces_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAIMWIRE_PRECISION", "fp32")
    assert choose_precision(None, {"amx_bf16"}) == "fp32"
    assert choose_precision("bf16", set()) == "bf16"
    with pytest.raises(ValueError, match="auto, bf16 or fp32"):
        choose_precision("int4", set())


def test_cpu_flags_reads_the_flags_line(tmp_path: Path) -> None:
    info = tmp_path / "cpuinfo"
    info.write_text("processor : 0\nflags\t\t: fpu avx2 avx512_bf16\n")
    assert cpu_flags(info) == {"fpu", "avx2", "avx512_bf16"}
    assert cpu_flags(tmp_path / "missing") == set()
