"""The stance model's number format: re-exported from `index.precision`, which both models share."""

from __future__ import annotations

from index.int8 import quantize_int8
from index.precision import (
    BF16_FLAGS,
    PRECISIONS,
    Precision,
    choose_precision,
    cpu_capability,
    cpu_flags,
    describe,
    native_bf16,
)

__all__ = [
    "BF16_FLAGS",
    "PRECISIONS",
    "Precision",
    "choose_precision",
    "cpu_capability",
    "cpu_flags",
    "describe",
    "native_bf16",
    "quantize_int8",
]
