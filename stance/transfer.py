"""The teacher's labels on the unlabelled events, kept in the repository (`data/nli-news/transfer/`).

Stage 3 of the recipe learns a teacher's probabilities on the unlabelled events' claims paired
with their nearest sentences (`stance.unlabelled`). Making them takes the teacher's training
and a labelling pass (`make transfer-labels`: about 1.5 h on 2 cores), longer than the small
model's own three stages can spare in one sitting. So they are committed, compactly, and
`make train-stance` reads them instead of training a teacher:

- `labels.jsonl.gz`: one line an event, `{"event", "digest", "pairs": [[claim, sentence, c, e, n], ...]}`,
  each pair the claim's index in the event, the sentence's index among the event's distinct
  sentences (articles in order), and the teacher's calibrated probabilities in `LABELS` order
  (contradiction, entailment, neutral), to 4 decimals. Pairs are in the order the teacher read
  them: events by file name, claims in order, each claim's sentences nearest first.
- `teacher.json`: which teacher wrote them and how (its recipe and figures, the pairs per claim,
  the machine).

`digest` fingerprints the event's claims and sentences: an event file edited after labelling no
longer matches, and reading it fails, naming the event, instead of training on labels of other
text (`make transfer-labels` relabels).

The labels are the project's own (a model trained here, on the project's data and the public
data of `../shared/nli`, reading the project's invented events), under the project's licence.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .data import LABELS, Pair
from .unlabelled import (
    UNLABELLED_DIR,
    UNLABELLED_TAG,
    Candidate,
    event_number,
    event_sentences,
    load_unlabelled,
    unlabelled_candidates,
)

if TYPE_CHECKING:
    from .model import CrossEncoderStance

TRANSFER_DIR = Path("data/nli-news/transfer")
LABELS_FILE = "labels.jsonl.gz"
TEACHER_FILE = "teacher.json"
DECIMALS = 4


def event_digest(event: dict[str, Any]) -> str:
    """A fingerprint of the claims and sentences that labels of the event point into."""
    text = json.dumps([[c["claim"] for c in event["claims"]], event_sentences(event)], ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def pack(
    candidates: Sequence[Candidate], labelled: Sequence[Pair], events: Sequence[dict[str, Any]]
) -> list[str]:
    """The lines of `labels.jsonl.gz` for `candidates` and the teacher's `labelled` pairs (the same
    pairs in the same order, each with its `soft` probabilities); ValueError where they differ."""
    if len(candidates) != len(labelled):
        raise ValueError(f"{len(candidates)} candidates but {len(labelled)} labelled pairs")
    digests = {str(e["event"]): event_digest(e) for e in events}
    by_event: dict[str, list[list[float]]] = {}
    for number, (cand, got) in enumerate(zip(candidates, labelled, strict=True), start=1):
        if (got.premise, got.hypothesis) != (cand.pair.premise, cand.pair.hypothesis) or got.soft is None:
            raise ValueError(f"labelled pair {number} ({cand.event}): another pair, or no probabilities")
        total = sum(got.soft)
        probs = [round(p / total, DECIMALS) for p in got.soft]
        by_event.setdefault(cand.event, []).append([cand.claim, cand.sentence, *probs])
    return [
        json.dumps({"event": event, "digest": digests[event], "pairs": pairs}, separators=(",", ":")) + "\n"
        for event, pairs in by_event.items()
    ]


def write_transfer(lines: Sequence[str], teacher: dict[str, Any], directory: Path = TRANSFER_DIR) -> None:
    """Write both files, each through a temporary file, so an interrupted write leaves the old ones."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / LABELS_FILE
    tmp = target.with_name(target.name + ".tmp")
    # mtime 0: the same labels give the same bytes, so a relabel that changes nothing changes no file
    with open(tmp, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as handle:
        handle.write("".join(lines).encode("utf-8"))
    os.replace(tmp, target)
    meta = directory / TEACHER_FILE
    tmp = meta.with_name(meta.name + ".tmp")
    tmp.write_text(json.dumps(teacher, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, meta)


def transfer_pairs(
    rounds: tuple[int, int] | None = None,
    directory: Path = TRANSFER_DIR,
    events_dir: Path = UNLABELLED_DIR,
) -> list[Pair]:
    """The committed teacher labels as training pairs (each with its `soft` probabilities and the
    teacher's top label), for the events numbered u<low>..u<high> of each domain (`rounds`, both
    included; None: all). ValueError when the file is missing, an event has no labels or its
    file changed since it was labelled."""
    path = directory / LABELS_FILE
    if not path.is_file():
        raise ValueError(f"no teacher labels at {path}: make transfer-labels writes them")
    events = {str(e["event"]): e for e in load_unlabelled(events_dir)}
    labels: dict[str, dict[str, Any]] = {}
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            try:
                row = json.loads(line)
                labels[str(row["event"])] = row
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise ValueError(f"{path}:{number}: not an event's labels ({exc})") from exc
    out: list[Pair] = []
    for name, event in events.items():
        if rounds is not None and not rounds[0] <= event_number(event) <= rounds[1]:
            continue
        row = labels.get(name)
        if row is None:
            raise ValueError(f"{path} has no labels for {name}: make transfer-labels relabels")
        if row.get("digest") != event_digest(event):
            raise ValueError(f"{name} changed after its labels were written: make transfer-labels relabels")
        claims = [str(c["claim"]) for c in event["claims"]]
        sentences = event_sentences(event)
        try:
            for claim, sentence, *probs in row["pairs"]:
                total = sum(probs)
                if min(claim, sentence) < 0:
                    raise IndexError(f"claim {claim}, sentence {sentence}")
                if len(probs) != len(LABELS) or min(probs) < 0 or abs(total - 1) > 1e-2:
                    raise ValueError(f"probabilities {probs}")
                soft = tuple(float(p) / total for p in probs)
                top = max(range(len(LABELS)), key=soft.__getitem__)
                out.append(Pair(sentences[sentence], claims[claim], top, UNLABELLED_TAG, soft))
        except (IndexError, TypeError, ValueError) as exc:
            raise ValueError(f"{path}: bad pair for {name} ({exc})") from exc
    return out


def teacher_facts(model: str) -> dict[str, Any]:
    """What `teacher.json` records of a teacher directory: its recipe, hold-out figure and calibration."""
    facts: dict[str, Any] = {"model": model}
    local = Path(model)
    for name, key in (("training.json", "training"), ("calibration.json", "calibration")):
        if (local / name).is_file():
            facts[key] = json.loads((local / name).read_text(encoding="utf-8"))
    training = facts.pop("training", None)
    if isinstance(training, dict):
        facts["recipe"] = training.get("recipe")
        facts["holdout_accuracy"] = training.get("holdout_accuracy")
    return facts


def label_transfer(
    teacher: CrossEncoderStance,
    model: str,
    per_claim: int,
    work_file: Path,
    directory: Path = TRANSFER_DIR,
    events_dir: Path = UNLABELLED_DIR,
) -> dict[str, Any]:
    """Label every unlabelled event's claims with their `per_claim` nearest sentences and write
    `directory`'s two files. The labelling goes through `work_file` (`stance.distill.label_pairs`:
    resumable after Ctrl-C); the committed files change only once every pair is labelled.
    Returns what `teacher.json` says."""
    from datetime import UTC, datetime

    from index.precision import cpu_name, describe_cpu

    from .data import read_pairs
    from .distill import label_pairs, recipe_key

    candidates = unlabelled_candidates(per_claim, events_dir)
    pairs = [c.pair for c in candidates]
    source = f"nli-news-unlabelled:{per_claim}"
    label_pairs(teacher, pairs, work_file, recipe_key(model, [source], len(pairs)))
    events = load_unlabelled(events_dir)
    labelled = read_pairs(work_file)
    lines = pack(candidates, labelled, events)
    tops = Counter(LABELS[p.label] for p in labelled)
    facts = {
        "teacher": teacher_facts(model),
        "pairs_per_claim": per_claim,
        "events": len(lines),
        "pairs": len(pairs),
        "top_label": {label: round(tops[label] / len(pairs), 4) for label in LABELS},
        "precision": teacher.precision,
        "machine": f"{cpu_name()}, {os.cpu_count()} cores ({describe_cpu()})",
        "written": datetime.now(UTC).strftime("%Y-%m-%d"),
    }
    write_transfer(lines, facts, directory)
    return facts
