"""The hand-labelled sets in `tests/evidence/data/` and the figures measured on them.

`attribution.jsonl`: one news sentence a line, `{"id", "part", "text", "context_before", "kind",
"speakers"}`; `kind` is the gold attribution, `speakers` the acceptable spellings of the gold
speaker (first: as written; null for `outlet`). `part` is `dev` (the sentences the rules were
written against: the sample corpus and one news-set event), `heldout` (two other news-set events,
labelled before the rules were first run on them; the rules were then corrected on their errors)
or `final` (one more event, labelled after that and scored once before its own errors were fixed).
The first-run figures of `heldout` and `final` are the honest estimate for unseen text (README).

`syndication.jsonl`: one sentence pair a line, `{"a", "b", "copy", "note"}`: `copy` is true when
`b` is `a` republished (light edits of a wire copy), false when they are two reports of the same
fact written independently, or different sentences of the same story.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .attribution import Attribution, AttributionKind, attribute

DATA = Path(__file__).resolve().parents[1] / "tests" / "evidence" / "data"
ATTRIBUTION_FILE = DATA / "attribution.jsonl"
SYNDICATION_FILE = DATA / "syndication.jsonl"


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def _words(text: str) -> list[str]:
    return re.findall(r"[\w'’.-]+", text.lower().replace("’", "'"))


def speaker_matches(predicted: str | None, gold: Sequence[str] | None) -> bool:
    """True when the predicted speaker contains one of the gold spellings, word for word."""
    if not gold:
        return predicted is None
    if predicted is None:
        return False
    said = _words(predicted)
    for spelling in gold:
        want = _words(spelling)
        n = len(want)
        if any(said[i : i + n] == want for i in range(len(said) - n + 1)):
            return True
    return False


@dataclass(frozen=True)
class KindScore:
    kind: str
    gold: int
    predicted: int
    correct: int

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.correct / self.gold if self.gold else 0.0


@dataclass(frozen=True)
class AttributionReport:
    """Precision and recall per kind, and speaker accuracy where the kind is right and not `outlet`."""

    sentences: int
    kinds: dict[str, KindScore]
    speakers_right: int
    speakers_judged: int
    errors: list[tuple[str, str, str, str | None]]  # id, gold kind, predicted kind, predicted speaker

    @property
    def accuracy(self) -> float:
        return sum(k.correct for k in self.kinds.values()) / self.sentences if self.sentences else 0.0

    @property
    def speaker_accuracy(self) -> float:
        return self.speakers_right / self.speakers_judged if self.speakers_judged else 0.0

    def lines(self) -> list[str]:
        out = [f"sentences {self.sentences}, kind accuracy {self.accuracy:.3f}"]
        for k in self.kinds.values():
            out.append(
                f"  {k.kind:<16} gold {k.gold:>3}  predicted {k.predicted:>3}  "
                f"precision {k.precision:.3f}  recall {k.recall:.3f}"
            )
        out.append(
            f"  speaker right {self.speakers_right}/{self.speakers_judged} "
            f"({self.speaker_accuracy:.3f}) where the kind is right and not outlet"
        )
        return out


def score_attribution(
    rows: Iterable[dict[str, Any]],
    predict: Callable[[str, str | None], Attribution] = attribute,
) -> AttributionReport:
    counts = {k.value: [0, 0, 0] for k in AttributionKind}  # gold, predicted, correct
    right = judged = 0
    errors: list[tuple[str, str, str, str | None]] = []
    n = 0
    for row in rows:
        n += 1
        got = predict(row["text"], row.get("context_before"))
        gold = row["kind"]
        counts[gold][0] += 1
        counts[got.kind.value][1] += 1
        if got.kind.value == gold:
            counts[gold][2] += 1
            if gold != AttributionKind.OUTLET.value:
                judged += 1
                right += speaker_matches(got.speaker, row.get("speakers"))
        else:
            errors.append((row["id"], gold, got.kind.value, got.speaker))
    kinds = {k: KindScore(k, *v) for k, v in counts.items()}
    return AttributionReport(n, kinds, right, judged, errors)
