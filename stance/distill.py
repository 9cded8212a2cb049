"""Teacher labels for distillation: a large model's probabilities on many pairs, for a small one.

`python -m stance label --model TEACHER --data SOURCE ... --out FILE` reads pairs as training
does (`stance.train.read_sources`: files, `nli-news:<split>`, `nli-news-implied:<split>:<k>`),
scores each with the teacher as the service would (calibrated, the premise alone) and writes
them with their gold label and the teacher's `probs`. Training on that file
(`python -m stance train --data FILE --distill-weight W`) mixes the two.

Labelling is resumable: finished chunks are appended to `FILE.partial` and a rerun with the
same teacher weights and sources (`recipe_key`, kept in `FILE.partial.key`) picks up after the last whole
line, so Ctrl-C loses at most one chunk; another key starts over. The finished file appears
only when every pair is labelled.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

from tqdm import tqdm

from stance.data import LABELS, Pair
from stance.model import CrossEncoderStance
from stance.rule import RULE_FILE


def recipe_key(model: str, sources: Sequence[str], pairs: int) -> str:
    """What a partial file must agree with to be resumed: the sources, the pair count and the
    teacher, down to its weights and calibration files (a teacher retrained in the same
    directory must not finish another teacher's file). The decision rule (`rule.json`) changes
    no probability, so refitting it (`make fit-rule`) does not restart a labelling."""
    files = {}
    local = Path(model)
    if local.is_dir():
        for path in sorted(local.iterdir()):
            if path.suffix in {".safetensors", ".bin", ".json"} and path.name != RULE_FILE:
                stat = path.stat()
                files[path.name] = [stat.st_size, stat.st_mtime_ns]
    ident = str(local.resolve()) if local.is_dir() else model
    return json.dumps({"model": ident, "files": files, "data": list(sources), "pairs": pairs})


def _done_lines(partial: Path) -> int:
    """How many whole lines a previous run left (a torn last line is cut off)."""
    if not partial.exists():
        return 0
    data = partial.read_bytes()
    whole = data[: data.rfind(b"\n") + 1]
    if len(whole) != len(data):
        partial.write_bytes(whole)
    return whole.count(b"\n")


def label_pairs(
    teacher: CrossEncoderStance, pairs: Sequence[Pair], out: Path, key: str, chunk: int = 512
) -> int:
    """Write `pairs` with the teacher's probabilities to `out` (JSON Lines); return the count."""
    partial = out.with_name(out.name + ".partial")
    key_file = out.with_name(out.name + ".partial.key")
    out.parent.mkdir(parents=True, exist_ok=True)
    if not key_file.exists() or key_file.read_text() != key:
        partial.unlink(missing_ok=True)
        key_file.write_text(key)
    done = _done_lines(partial)
    if done > len(pairs):
        raise ValueError(f"{partial} holds {done} pairs, more than the {len(pairs)} asked for")
    with (
        partial.open("a", encoding="utf-8") as handle,
        tqdm(total=len(pairs), initial=done, desc="label", unit="pair", dynamic_ncols=True) as bar,
    ):
        for start in range(done, len(pairs), chunk):
            part = pairs[start : start + chunk]
            scores = teacher.predict([(p.premise, p.hypothesis) for p in part])
            lines = []
            for pair, score in zip(part, scores, strict=True):
                probs = {label: float(getattr(score, label)) for label in LABELS}
                total = sum(probs.values())
                row: dict[str, object] = {"premise": pair.premise, "hypothesis": pair.hypothesis}
                if pair.label >= 0:  # an unlabelled pair's label is the teacher's top one (`read_pairs`)
                    row["label"] = LABELS[pair.label]
                row["source"] = pair.source
                row["probs"] = {k: round(v / total, 5) for k, v in probs.items()}
                lines.append(json.dumps(row, ensure_ascii=False) + "\n")
            handle.write("".join(lines))
            handle.flush()
            bar.update(len(part))
    os.replace(partial, out)
    key_file.unlink()
    return len(pairs)
