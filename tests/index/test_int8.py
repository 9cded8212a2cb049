"""int8 with fixed activation ranges (`index.int8`): a row's answer does not depend on its batch."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from index.int8 import (
    RANGES_FILE,
    FixedRangeLinear,
    activation_ranges,
    quantize_int8,
    read_ranges,
    write_ranges,
)


def _model() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.GELU(), torch.nn.Linear(128, 8))


def test_fixed_ranges_score_each_row_as_in_any_batch() -> None:
    model = _model()
    calibration = torch.randn(200, 64)
    ranges = activation_ranges(model, lambda: model(calibration))
    rows = torch.randn(40, 64)
    rows[7] *= 50  # one loud row: per-call int8 takes its scale from it, for every row
    assert set(ranges) == {"0", "2"}
    fixed = quantize_int8(model, ranges)
    assert isinstance(fixed[0], FixedRangeLinear)
    per_call = quantize_int8(model)
    with torch.inference_mode():
        alone = torch.cat([fixed(rows[i : i + 1]) for i in range(40)])
        assert torch.equal(alone, fixed(rows))
        assert torch.equal(fixed(rows[:5]), fixed(rows)[:5])
        # the per-call scale of a batch with the loud row differs from that of the row alone
        assert not torch.equal(torch.cat([per_call(rows[i : i + 1]) for i in range(40)]), per_call(rows))
        # and the fixed ranges stay close to fp32 on ordinary rows
        exact = model(rows[:5])
        assert float((fixed(rows[:5]) - exact).abs().max()) < 0.05 * float(exact.abs().max())


def test_ranges_must_cover_every_linear_layer() -> None:
    with pytest.raises(ValueError, match="no int8 range for 1 Linear"):
        quantize_int8(_model(), {"0": 1.0})


def test_ranges_round_trip_and_belong_to_their_weights(tmp_path: Path) -> None:
    weights = tmp_path / "model.safetensors"
    weights.write_bytes(b"weights one")
    assert read_ranges(tmp_path) is None
    path = write_ranges(tmp_path, {"0": 1.5, "2": 3.25}, {"quantile": 0.9999})
    assert path == tmp_path / RANGES_FILE
    assert read_ranges(tmp_path) == {"0": 1.5, "2": 3.25}
    assert json.loads(path.read_text())["quantile"] == 0.9999
    weights.write_bytes(b"weights two")  # retrained since: the ranges are not this model's
    assert read_ranges(tmp_path) is None
    path.write_text("{not json")
    assert read_ranges(tmp_path) is None  # unreadable: treated as absent
