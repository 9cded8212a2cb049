"""Value types shared across the library: passages, input issues, search filters and hits."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Passage:
    """One sentence of an article with the article's metadata and its neighbours as context.

    `sentence_index` is the passage's position among the article's kept passages (0-based,
    contiguous), so neighbours are `sentence_index +/- 1` of the same `document_id`.
    `outlet`, `date` (ISO YYYY-MM-DD), `title` and `url` are None when unknown. `credits` are
    the article's source-credit fragments the cleaner cut ("Read Full Article at RT.com";
    `index.cleaning.source_credits`), the same on every passage of the article; usually empty,
    and then left out of the stored record, so snapshots without any read the same.
    """

    passage_id: str
    document_id: str
    sentence_index: int
    text: str
    outlet: str | None
    date: str | None
    title: str | None
    url: str | None
    context_before: str | None
    context_after: str | None
    credits: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        record: dict[str, Any] = {
            "passage_id": self.passage_id,
            "document_id": self.document_id,
            "sentence_index": self.sentence_index,
            "text": self.text,
            "outlet": self.outlet,
            "date": self.date,
            "title": self.title,
            "url": self.url,
            "context_before": self.context_before,
            "context_after": self.context_after,
        }
        if self.credits:
            record["credits"] = list(self.credits)
        return record

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> Passage:
        return cls(
            passage_id=str(obj["passage_id"]),
            document_id=str(obj["document_id"]),
            sentence_index=int(obj["sentence_index"]),
            text=str(obj["text"]),
            outlet=_opt_str(obj.get("outlet")),
            date=_opt_str(obj.get("date")),
            title=_opt_str(obj.get("title")),
            url=_opt_str(obj.get("url")),
            context_before=_opt_str(obj.get("context_before")),
            context_after=_opt_str(obj.get("context_after")),
            credits=tuple(str(c) for c in obj.get("credits") or ()),
        )


def _opt_str(value: object) -> str | None:
    return None if value is None else str(value)


@dataclass(frozen=True)
class InputIssue:
    """A malformed input that was skipped: the file, the 1-based line (None: whole file), why."""

    file: str
    line: int | None
    reason: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.reason}"

    def to_json(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "reason": self.reason}


@dataclass(frozen=True)
class SearchFilters:
    """Restrict hits to some outlets and/or a date range (inclusive).

    Unknown values never match a filter on that field: a passage whose outlet is unknown is
    excluded by any outlet filter, one whose date is unknown by any date bound. An empty
    `outlets` set means no outlet filter (same as None).
    """

    outlets: frozenset[str] | None = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None

    def __post_init__(self) -> None:
        if self.date_from is not None and self.date_to is not None and self.date_from > self.date_to:
            raise ValueError(f"date_from {self.date_from} is after date_to {self.date_to}")

    @property
    def active(self) -> bool:
        return bool(self.outlets) or self.date_from is not None or self.date_to is not None

    def matches(self, passage: Passage) -> bool:
        if self.outlets and (passage.outlet is None or passage.outlet not in self.outlets):
            return False
        if self.date_from is None and self.date_to is None:
            return True
        if passage.date is None:
            return False
        # ISO dates compare correctly as strings.
        if self.date_from is not None and passage.date < self.date_from.isoformat():
            return False
        return not (self.date_to is not None and passage.date > self.date_to.isoformat())


@dataclass(frozen=True)
class SearchHit:
    """A passage found for a query.

    `similarity` is the cosine similarity between query and passage (also for hits found only
    lexically); `score` is the fused reciprocal-rank score that orders the hits; the ranks are
    1-based positions in the dense and BM25 rankings (None: not in that ranking's fetch).
    """

    passage: Passage
    similarity: float
    score: float
    dense_rank: int | None
    lexical_rank: int | None
