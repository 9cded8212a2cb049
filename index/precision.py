"""Which number format each transformer runs fastest in on this CPU: bf16, int8 or fp32.

Measured with MiniLM-L6 (both the embedder and the stance cross-encoder), 2 threads:

- bf16 pays only where the CPU multiplies bf16 in hardware: Intel's AMX (`amx_bf16`) or AVX-512
  BF16 (`avx512_bf16`: Intel Cooper Lake and later, AMD Zen 4 and later). On an AMD EPYC with
  `avx512_bf16`: stance, 32 SNLI pairs, 149 ms fp32 vs 53 ms bf16 (labels 100% the same on 400
  pairs); embedder, 64 sentences, 263 ms fp32 vs 76 ms with bf16 weights.
- Without native bf16 it is emulated: with torch held to AVX2 kernels on the same machine
  (`ATEN_CPU_CAPABILITY=avx2`), stance took 590 ms in bf16 vs 163 ms in fp32.
- int8 (the Linear layers quantised, one scale per output channel of each weight; `index.int8`)
  is the fastest path where bf16 is not native, and pair by pair it is as accurate as fp32 (news
  dev pairs 0.757 against 0.755). On a true AVX2-only AMD EPYC, stance, 20 passages: 150 against
  225 ms in fp32. It is still not chosen:
  - fbgemm's dynamic kernel takes each call's input range from that call, so a passage's scores
    depended on the other texts of its batch; the stance model now fixes each layer's range once
    (`int8_ranges.json`), which makes its answers the same alone as in a batch in practice, but
  - 8% of the stance labels move (borderline pairs), and end to end, under the rule fitted on
    bf16 readings, it finds less contradicting evidence (dev contradict recall 0.589 against
    0.603, test 0.552 against 0.579) and loses one sample-corpus contradiction;
  - the embedder's top-10 neighbours keep only 83% of fp32's, and a query must be embedded as
    the index was.
  So without native bf16 both models run in fp32, padded per batch to the longest text; int8 can
  still be forced.

`CLAIMWIRE_PRECISION` forces one format for both models (`auto`, `bf16`, `int8`, `fp32`);
`CLAIMWIRE_EMBEDDING_PRECISION` / `CLAIMWIRE_STANCE_PRECISION` force one model's.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

Precision = Literal["bf16", "int8", "fp32"]
Role = Literal["embedding", "stance"]
PRECISIONS: tuple[Precision, ...] = ("bf16", "int8", "fp32")
BF16_FLAGS = ("amx_bf16", "avx512_bf16")
_ENV = {"embedding": "CLAIMWIRE_EMBEDDING_PRECISION", "stance": "CLAIMWIRE_STANCE_PRECISION"}


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


def cpu_name(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """The CPU's model name ("unknown" where /proc/cpuinfo is not there), for figures' captions."""
    try:
        text = cpuinfo.read_text(errors="replace")
    except OSError:
        return "unknown"
    for line in text.splitlines():
        if line.startswith("model name"):
            return line.partition(":")[2].strip()
    return "unknown"


def cpu_capability() -> str:
    """torch's name for the vector instructions it uses here: `AVX512`, `AVX2`, `DEFAULT`, ..."""
    import torch

    return str(torch.backends.cpu.get_cpu_capability())


def native_bf16(flags: set[str] | None = None) -> bool:
    """True when the CPU multiplies bf16 in hardware."""
    found = cpu_flags() if flags is None else flags
    return any(flag in found for flag in BF16_FLAGS)


def choose_precision(
    requested: str | None = None,
    flags: set[str] | None = None,
    *,
    role: Role = "stance",
    capability: str | None = None,
) -> Precision:
    """The format for a model in `role`: forced (argument, then environment), else by detection.

    Detection: bf16 where the CPU has it natively, else fp32 (int8 fails the checks, see above).
    `role` and `capability` pick the per-model setting and are kept in the signature so a format
    that passes the checks for one model only can be chosen for it alone. A forced format is
    honoured even where it is slow or less accurate, so a user can measure it.
    """
    wanted = requested or os.environ.get(_ENV[role]) or os.environ.get("CLAIMWIRE_PRECISION") or "auto"
    wanted = wanted.strip().lower()
    if wanted in PRECISIONS:
        return wanted
    if wanted != "auto":
        raise ValueError(f"precision must be auto, bf16, int8 or fp32, not {wanted!r}")
    del capability  # no CPU-specific choice beyond bf16 passes the checks today
    return "bf16" if native_bf16(flags) else "fp32"


def describe_cpu() -> str:
    """What the choice was made on: torch's CPU capability and the bf16 flags."""
    found = sorted(cpu_flags() & set(BF16_FLAGS))
    return f"torch CPU capability {cpu_capability()}, bf16 flags: {', '.join(found) or 'none'}"


def describe(precision: Precision) -> str:
    """One line for logs: what was chosen and why."""
    return f"precision {precision} ({describe_cpu()})"
