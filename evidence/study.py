"""One claim's evidence, studied: copies collapsed, relays, attribution, mismatches, independent sources.

`Study(claim, candidates, documents, outlets)` is built once per verification, after the stance
rule has put passages on each side. `Study.side(listed)` takes one side's passages, best first,
and returns what the answer shows for it:

- copies of a listed passage (the same sentence in another document, `syndication.is_copy`)
  are folded into it as `also_in`, whether they were listed on that side or only retrieved;
- each kept passage gets its document's `relays`, its `attribution`, its `mismatches` against
  the claim, and the `source` it is counted under;
- `independent_sources` counts the distinct sources among the kept passages.

A passage's source is the outlet it cites ("according to SBS"), else the outlet its document
republishes (a source credit such as "Read Full Article at RT.com"), else its own outlet, else,
for an unknown outlet, the one outlet its document relays, else the document itself. Copies
count once, so does every passage of one source, and a relay counts as its original: TROIB
News quoting SBS and an unnamed site relaying SBS News are one source, SBS.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from .attribution import Attribution, attribute
from .mismatch import Mismatch, find_mismatches
from .sources import Outlets, cited_outlets, outlet_key, relays, republished
from .syndication import is_copy


class PassageLike(Protocol):
    """What the study reads of a passage (`index.Passage` is one)."""

    @property
    def passage_id(self) -> str: ...
    @property
    def document_id(self) -> str: ...
    @property
    def sentence_index(self) -> int: ...
    @property
    def text(self) -> str: ...
    @property
    def outlet(self) -> str | None: ...
    @property
    def date(self) -> str | None: ...
    @property
    def context_before(self) -> str | None: ...
    @property
    def credits(self) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class Copy:
    """Another document that carries the same sentence."""

    passage_id: str
    document_id: str
    outlet: str | None
    date: str | None


@dataclass(frozen=True)
class Source:
    """The original source a passage is counted under: `key` for identity, `name` to show (None: unknown)."""

    key: str
    name: str | None


@dataclass(frozen=True)
class Note:
    """What the study says about one kept passage."""

    also_in: tuple[Copy, ...]
    relays: tuple[str, ...]
    attribution: Attribution
    mismatches: tuple[Mismatch, ...]
    source: Source


@dataclass(frozen=True)
class SideStudy:
    """One side after the study: the kept passages in order, a note for each, the source count."""

    kept: tuple[str, ...]  # passage ids, best first; copies folded away
    notes: Mapping[str, Note]
    independent_sources: int


def group_documents(passages: Iterable[PassageLike], wanted: Iterable[str]) -> dict[str, list[PassageLike]]:
    """The passages of the `wanted` documents, in article order."""
    want = set(wanted)
    grouped: dict[str, list[PassageLike]] = {d: [] for d in want}
    for p in passages:
        if p.document_id in want:
            grouped[p.document_id].append(p)
    for items in grouped.values():
        items.sort(key=lambda p: p.sentence_index)
    return grouped


class Study:
    """The evidence analysis for one claim (see the module docstring); cheap, regexes only."""

    def __init__(
        self,
        claim: str,
        candidates: Sequence[PassageLike],
        documents: Mapping[str, Sequence[PassageLike]] | None = None,
        outlets: Iterable[str | None] = (),
    ) -> None:
        self.claim = claim
        self.candidates = list(candidates)
        self.outlets = Outlets.of([*outlets, *(p.outlet for p in self.candidates)])
        if documents is None:
            documents = group_documents(self.candidates, {p.document_id for p in self.candidates})
        self._documents = documents
        self._relays: dict[str, tuple[str, ...]] = {}
        self._origins: dict[str, str | None] = {}
        self._attributions: dict[str, Attribution] = {}

    # --- per document ---------------------------------------------------------------------------

    def _document(self, p: PassageLike) -> Sequence[PassageLike]:
        found = self._documents.get(p.document_id)
        return found if found else [p]

    def relays(self, p: PassageLike) -> tuple[str, ...]:
        """The outlets the passage's document says it relays (source credits first)."""
        if p.document_id not in self._relays:
            doc = self._document(p)
            credits = doc[0].credits if doc else ()
            self._relays[p.document_id] = tuple(
                relays([d.text for d in doc], credits, self.outlets, p.outlet)
            )
        return self._relays[p.document_id]

    def origin(self, p: PassageLike) -> str | None:
        """The outlet whose report the whole document republishes, when a source credit names one."""
        if p.document_id not in self._origins:
            doc = self._document(p)
            self._origins[p.document_id] = republished(doc[0].credits if doc else (), self.outlets, p.outlet)
        return self._origins[p.document_id]

    # --- per passage ----------------------------------------------------------------------------

    def attribution(self, p: PassageLike) -> Attribution:
        if p.passage_id not in self._attributions:
            self._attributions[p.passage_id] = attribute(p.text, p.context_before)
        return self._attributions[p.passage_id]

    def mismatches(self, p: PassageLike) -> tuple[Mismatch, ...]:
        return tuple(find_mismatches(self.claim, p.text))

    def source(self, p: PassageLike) -> Source:
        cited = cited_outlets(p.text, self.outlets, own=p.outlet)
        if cited:
            return Source(outlet_key(cited[0]), cited[0])
        origin = self.origin(p)
        if origin is not None:
            return Source(outlet_key(origin), origin)
        if p.outlet:
            return Source(outlet_key(p.outlet), p.outlet)
        document_relays = self.relays(p)
        if len(document_relays) == 1:
            return Source(outlet_key(document_relays[0]), document_relays[0])
        return Source(f"document:{p.document_id}", None)

    # --- per side -------------------------------------------------------------------------------

    def side(self, listed: Sequence[PassageLike]) -> SideStudy:
        """Fold copies, annotate what is kept and count its sources (see the module docstring)."""
        absorbed: set[str] = set()
        kept: list[str] = []
        notes: dict[str, Note] = {}
        listed_ids = {p.passage_id for p in listed}
        others = [c for c in self.candidates if c.passage_id not in listed_ids]
        for p in listed:
            if p.passage_id in absorbed:
                continue
            copies: list[Copy] = []
            seen_docs = {p.document_id}
            for other in [*listed, *others]:
                if other.passage_id in absorbed or other.passage_id == p.passage_id:
                    continue
                if other.document_id in seen_docs or not is_copy(p.text, other.text):
                    continue
                seen_docs.add(other.document_id)
                copies.append(Copy(other.passage_id, other.document_id, other.outlet, other.date))
                if other.passage_id in listed_ids:
                    absorbed.add(other.passage_id)
            kept.append(p.passage_id)
            notes[p.passage_id] = Note(
                also_in=tuple(copies),
                relays=self.relays(p),
                attribution=self.attribution(p),
                mismatches=self.mismatches(p),
                source=self.source(p),
            )
        sources = {notes[i].source.key for i in kept}
        return SideStudy(tuple(kept), notes, len(sources))


#: Weight of each independent source after the strongest one in `corroborated_confidence`.
LATER_SOURCE_WEIGHT = 0.5


def corroborated_confidence(best_per_source: Mapping[str, float]) -> float:
    """Confidence from independent sources: 1 - (1 - s1) * prod(1 - w * s_i) over the others.

    `s1` is the strongest source's best score, `s_i` the others', each weighted by
    `LATER_SOURCE_WEIGHT`: one stance model reads every source, so its errors on them are not
    independent and a plain noisy-OR would overstate agreement. One source, however many copies
    and relays it has, gives its own score back unchanged; more sources only raise it.
    """
    scores = sorted((min(max(v, 0.0), 1.0) for v in best_per_source.values()), reverse=True)
    if not scores:
        return 0.0
    remaining = 1.0 - scores[0]
    for score in scores[1:]:
        remaining *= 1.0 - LATER_SOURCE_WEIGHT * score
    return 1.0 - remaining
