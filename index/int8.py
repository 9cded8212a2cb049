"""int8 Linear layers whose answers do not depend on the batch: fixed activation ranges.

`torch.ao` dynamic quantisation (fbgemm) quantises a Linear layer's input with one scale per
call, taken from that call's smallest and largest value. A passage's scores then depend on the
other texts of its batch (and on their padding), so the same claim could get other evidence
alone than in a batch. Here each layer's input range is fixed once, from the activations of
real pairs (`activation_ranges`: a high quantile of each layer's absolute inputs), and kept beside
the model (`int8_ranges.json`, with the sha256 of the weights it was measured on). At run time
fbgemm quantises every input of the layer with that fixed scale (`FixedRangeLinear`), whatever
else is in the batch. The weights keep one int8 scale per output channel.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

RANGES_FILE = "int8_ranges.json"
# A quantile, not the maximum: a few outlier activations would otherwise set a scale too coarse
# for all the others (the shipped stance model, news dev pairs: ranges at the maximum 0.69
# accuracy, at this quantile 0.757; fp32 0.755).
QUANTILE = 0.9999
_SAMPLE = 2_000_000  # values kept per layer to take the quantile from


class FixedRangeLinear(torch.nn.Module):
    """An int8 Linear whose input is quantised with a fixed scale, so its answer never depends on
    what else is in the batch: fbgemm's `linear_with_input_q_dq_qweight_dq_output_fp32` (fp32 in,
    int8 GEMM, fp32 out), the input range [-bound, bound] mapped onto 0..127 (7 bits, as fbgemm's
    dynamic path uses on x86 so that AVX2's 16-bit pair sums cannot saturate); inputs beyond the
    range saturate."""

    def __init__(self, quantized: Any, bound: float) -> None:
        super().__init__()
        # the dynamic int8 Linear's packed weights and bias
        self.packed = quantized._packed_params._packed_params
        self.bound = float(bound)
        self.scale = 2.0 * self.bound / 127.0
        self.zero_point = 64  # 0 sits mid-range: -bound -> 0, +bound -> 127

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        flat = x.reshape(-1, x.shape[-1])
        out: torch.Tensor = _LINEAR(flat, self.scale, self.zero_point, self.packed)
        return out.reshape(*x.shape[:-1], out.shape[-1])


_LINEAR: Any = torch.ops.quantized.linear_with_input_q_dq_qweight_dq_output_fp32


def quantize_int8(model: Any, ranges: dict[str, float] | None = None) -> Any:
    """`model` with its Linear layers quantised to int8 (weights per output channel, fp32 out).

    Without `ranges` the activations are quantised per call (faster, but a text's scores depend
    on its batch); with them (`activation_ranges`), each layer named there gets its fixed range.
    """
    import warnings

    with warnings.catch_warnings():
        # torch 2.x announces the move of eager-mode quantisation to torchao; it still works.
        warnings.simplefilter("ignore")
        quantization: Any = torch.ao.quantization
        spec = {torch.nn.Linear: quantization.per_channel_dynamic_qconfig}
        quantized = quantization.quantize_dynamic(model, spec, dtype=torch.qint8)
    if ranges:
        names = [name for name, _ in linear_layers(model)]
        missing = [name for name in names if name not in ranges]
        if missing:
            raise ValueError(f"no int8 range for {len(missing)} Linear layers (first: {missing[0]})")
        # the quantised layers sit where the Linear layers were, under the same names
        for name in names:
            parent_name, _, attr = name.rpartition(".")
            parent = quantized.get_submodule(parent_name)
            setattr(parent, attr, FixedRangeLinear(getattr(parent, attr), ranges[name]))
    return quantized


def linear_layers(model: Any) -> list[tuple[str, Any]]:
    """The model's Linear layers with their qualified names (what the ranges are keyed by)."""
    return [(name, m) for name, m in model.named_modules() if isinstance(m, torch.nn.Linear)]


def activation_ranges(
    model: Any, run: Callable[[], object], quantile: float = QUANTILE, seed: int = 13
) -> dict[str, float]:
    """Each Linear layer's input range: the `quantile` of its absolute inputs while `run()` runs
    the fp32 model over calibration pairs."""
    seen: dict[str, list[torch.Tensor]] = {}
    hooks = []
    for name, module in linear_layers(model):

        def hook(_module: Any, inputs: tuple[torch.Tensor, ...], _out: Any, name: str = name) -> None:
            seen.setdefault(name, []).append(inputs[0].detach().abs().reshape(-1).float())

        hooks.append(module.register_forward_hook(hook))
    try:
        run()
    finally:
        for handle in hooks:
            handle.remove()
    generator = torch.Generator().manual_seed(seed)
    ranges: dict[str, float] = {}
    for name, chunks in seen.items():
        values = torch.cat(chunks)
        if values.numel() > _SAMPLE:
            values = values[torch.randperm(values.numel(), generator=generator)[:_SAMPLE]]
        ranges[name] = round(float(torch.quantile(values, quantile)), 6)
    return ranges


def weights_digest(model_dir: Path) -> str | None:
    """sha256 of the model's weights file: ranges measured on other weights are not used."""
    from index.store import _sha256

    for name in ("model.safetensors", "pytorch_model.bin"):
        path = model_dir / name
        if path.is_file():
            return _sha256(path)
    return None


def read_ranges(model_dir: Path) -> dict[str, float] | None:
    """The fixed ranges saved beside a model, or None when it has none, they are unreadable, or
    they were measured on other weights (the model was retrained since)."""
    path = model_dir / RANGES_FILE
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
        ranges = {str(k): float(v) for k, v in data["ranges"].items()}
        measured_on = data["weights_sha256"]
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    return ranges if measured_on == weights_digest(model_dir) else None


def write_ranges(model_dir: Path, ranges: dict[str, float], about: dict[str, Any]) -> Path:
    """Save `ranges` beside the model (atomically), with how they were measured and on which weights."""
    path = model_dir / RANGES_FILE
    tmp = path.with_suffix(".tmp")
    record = {**about, "weights_sha256": weights_digest(model_dir), "ranges": ranges}
    tmp.write_text(json.dumps(record, indent=1) + "\n")
    tmp.replace(path)
    return path
