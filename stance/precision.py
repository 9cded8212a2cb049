"""Which floating-point precision this CPU runs a transformer fastest in: bf16 or fp32.

bf16 pays only where the CPU multiplies bf16 in hardware: Intel's AMX (`amx_bf16`) or AVX-512
BF16 (`avx512_bf16`, Intel Cooper Lake and later, AMD Zen 4 and later). Measured on an AMD EPYC
with `avx512_bf16` (no AMX), MiniLM-L6, 2 threads, 32 pairs of 64 tokens: a training step
1,019 ms fp32 vs 436 ms under bf16 autocast, inference 235 vs 80 ms. On an AVX2-only CPU bf16 is
emulated and about 7x slower than fp32, so there the answer is fp32.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import torch

Precision = Literal["bf16", "fp32"]
BF16_FLAGS = ("amx_bf16", "avx512_bf16")


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> set[str]:
    """The CPU's feature flags (empty where /proc/cpuinfo is not there, e.g. macOS)."""
    try:
        text = cpuinfo.read_text(errors="replace")
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.partition(":")[2].split())
    return set()


def native_bf16(flags: set[str] | None = None) -> bool:
    """True when the CPU multiplies bf16 in hardware."""
    found = cpu_flags() if flags is None else flags
    return any(flag in found for flag in BF16_FLAGS)


def choose_precision(requested: str | None = None, flags: set[str] | None = None) -> Precision:
    """`bf16` / `fp32` when forced (argument or CLAIMWIRE_PRECISION), else by detection.

    Forcing bf16 on a CPU without it is honoured (it is only slow), so a user can measure it.
    """
    wanted = (requested or os.environ.get("CLAIMWIRE_PRECISION") or "auto").strip().lower()
    if wanted in ("bf16", "fp32"):
        return wanted  # type: ignore[return-value]
    if wanted != "auto":
        raise ValueError(f"precision must be auto, bf16 or fp32, not {wanted!r}")
    return "bf16" if native_bf16(flags) else "fp32"


def describe(precision: Precision) -> str:
    """One line for logs: what was chosen and why."""
    found = sorted(cpu_flags() & set(BF16_FLAGS))
    return (
        f"precision {precision} (torch CPU capability {torch.backends.cpu.get_cpu_capability()}, "
        f"bf16 flags: {', '.join(found) or 'none'})"
    )
