"""The verification pipeline: retrieve passages for a claim, score their stance, decide a verdict.

No Flask here: the HTTP layer (`service.resources`) and the batch CLI (`service.batch`) both call
`verify`. Steps (the rule itself lives in `stance.rule`, README "Verdict rules"):

1. Retrieve `max(3 * top_k, candidates)` hits from the snapshot, with the request's filters.
2. Relevance gate: keep hits whose cosine similarity to the claim is >= `min_similarity`.
3. Score every remaining passage in one `predict` call (`read_stance`): alone, and with its
   previous sentence too where the rule weighs that reading (every passage, or, as fitted, only
   one that opens by referring back: "They ...", "It ...").
4. Each passage's side and stance score, then the verdict: `stance.rule.Thresholds`.
5. Each side is sorted by stance_score x similarity, best first, and cut to `top_k`.
6. Evidence (`evidence.Study`, after the verdict, never changing it): copies of a listed sentence
   in other documents are folded into it (`also_in`); each passage gets its document's `relays`,
   its `attribution` and its `mismatches` against the claim; each side's distinct original
   sources are counted (`independent_sources`), and a supported or refuted verdict's confidence
   is combined over those independent sources (`corroborate`), so copies never add to it.
7. The confidence becomes the probability that the verdict is right: the model's fitted curve for
   that verdict (`stance.confidence`, rule.json), increasing, so step 6's order is kept.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, runtime_checkable

from evidence import Attribution, Mismatch, SideStudy, Study, corroborated_confidence
from index import Passage, SearchFilters, SearchHit
from stance.context import build_premise, refers_back
from stance.model import StanceModel
from stance.rule import Reading, Stance, Thresholds, Verdict

__all__ = [
    "Assessment",
    "Evidence",
    "Explained",
    "Query",
    "Reading",
    "SearchIndex",
    "Stance",
    "Thresholds",
    "Verdict",
    "Verification",
    "assess",
    "classify",
    "corroborate",
    "decide",
    "explain",
    "read_stance",
    "verify",
]


class SearchIndex(Protocol):
    """What the pipeline needs from a loaded snapshot (`index.Snapshot` is one)."""

    @property
    def id(self) -> str: ...

    def __len__(self) -> int: ...

    def search(self, query: str, k: int, filters: SearchFilters | None = None) -> list[SearchHit]: ...


QUERY_FIELDS = ("claim", "top_k", "outlets", "date_from", "date_to", "explain")


@dataclass(frozen=True)
class Query:
    """One claim to verify, with its retrieval options."""

    claim: str
    top_k: int = 10
    outlets: Sequence[str] | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    explain: bool = False  # add every scored candidate's readings and why it went where it did

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> Query:
        """From loaded request options (extra keys, such as a batch item's `id`, are ignored)."""
        return cls(**{k: options[k] for k in QUERY_FIELDS if k in options})

    def filters(self) -> SearchFilters | None:
        if self.outlets is None and self.date_from is None and self.date_to is None:
            return None
        return SearchFilters(
            outlets=frozenset(self.outlets) if self.outlets is not None else None,
            date_from=self.date_from,
            date_to=self.date_to,
        )


@dataclass(frozen=True)
class Evidence:
    """A passage that supports or contradicts the claim."""

    passage_id: str
    document_id: str
    sentence_index: int
    text: str
    outlet: str | None
    date: dt.date | None
    title: str | None
    url: str | None
    similarity: float
    stance: Stance
    stance_score: float
    context_before: str | None
    context_after: str | None
    # Filled in by the evidence step (`evidence.Study`), after the verdict.
    also_in: tuple[AlsoIn, ...] = ()  # the same sentence in other documents, folded into this one
    relays: tuple[str, ...] = ()  # outlets this passage's document says it relays
    attribution: Attribution | None = None  # outlet voice, quote or reported speech, and the speaker
    mismatches: tuple[Mismatch, ...] = ()  # values the passage gives differently from the claim
    source: str | None = None  # the original source it is counted under in `independent_sources`

    @property
    def context(self) -> dict[str, str | None]:
        return {"before": self.context_before, "after": self.context_after}


@dataclass(frozen=True)
class AlsoIn:
    """Another document that carries the same sentence as an evidence passage."""

    passage_id: str
    document_id: str
    outlet: str | None
    date: dt.date | None


@dataclass(frozen=True)
class Explained:
    """One candidate passage as the rule saw it (`"explain": true`)."""

    passage_id: str
    text: str
    outlet: str | None
    similarity: float
    with_context: dict[str, float] | None  # None: below the relevance gate, never read
    alone: dict[str, float] | None  # None: no previous sentence, so one reading
    decision: str  # supports / contradicts / left_out
    reason: str
    attribution: Attribution | None = None  # from the evidence step, as on evidence passages
    mismatches: tuple[Mismatch, ...] = ()
    relays: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "passage_id": self.passage_id,
            "text": self.text,
            "outlet": self.outlet,
            "similarity": self.similarity,
            "readings": {"with_context": self.with_context, "alone": self.alone},
            "decision": self.decision,
            "reason": self.reason,
        }
        if self.attribution is not None:
            body["attribution"] = self.attribution
            body["mismatches"] = self.mismatches
            body["relays"] = self.relays
        return body


def _probabilities(p: tuple[float, float, float] | None) -> dict[str, float] | None:
    return None if p is None else {"entailment": p[0], "neutral": p[1], "contradiction": p[2]}


def explain(hit: SearchHit, r: Reading | None, t: Thresholds, borrowed: bool = False) -> Explained:
    """The candidate's readings and the rule's reason for its bucket (or for leaving it out)."""
    p = hit.passage
    similarity = float(hit.similarity)
    if r is None:
        reason = f"not read: similarity {similarity:.3f} < MIN_SIMILARITY {t.min_similarity:g}"
        return Explained(p.passage_id, p.text, p.outlet, similarity, None, None, "left_out", reason)
    stance, _ = t.stance(r, similarity)
    decision = stance.value if stance is not None and not borrowed else "left_out"
    reason = t.reason(r, similarity)
    if borrowed:
        reason = (
            f"left out: {reason.partition(':')[0]} only with its previous sentence, which is listed itself"
        )
    return Explained(
        p.passage_id,
        p.text,
        p.outlet,
        similarity,
        _probabilities(r.with_context),
        _probabilities(r.alone),
        decision,
        reason,
    )


@dataclass(frozen=True)
class Verification:
    """The answer for one claim (the body of `POST /verify`, less the HTTP envelope)."""

    claim: str
    verdict: Verdict
    confidence: float
    supporting: list[Evidence]
    contradicting: list[Evidence]
    snapshot: str
    passages: int
    embedding_model: str
    stance_model: str
    explanation: list[Explained] | None = None
    # Distinct original sources per side after copies are folded (`evidence.Study`), uncut lists.
    independent_sources: dict[str, int] = field(default_factory=lambda: {"supporting": 0, "contradicting": 0})

    @property
    def outlets(self) -> dict[str, list[str]]:
        return {
            "supporting": distinct_outlets(self.supporting),
            "contradicting": distinct_outlets(self.contradicting),
        }

    @property
    def index(self) -> dict[str, str | int]:
        return {"snapshot": self.snapshot, "passages": self.passages}

    @property
    def models(self) -> dict[str, str]:
        return {"embedding": self.embedding_model, "stance": self.stance_model}

    def as_dict(self) -> dict[str, Any]:
        """The `/verify` body's fields (values still Python objects; the schema serializes them)."""
        body: dict[str, Any] = {
            "claim": self.claim,
            "verdict": self.verdict,
            "confidence": self.confidence,
            "supporting": self.supporting,
            "contradicting": self.contradicting,
            "outlets": self.outlets,
            "independent_sources": self.independent_sources,
            "index": self.index,
            "models": self.models,
        }
        if self.explanation is not None:
            body["explanation"] = [e.as_dict() for e in self.explanation]
        return body


def distinct_outlets(evidence: Sequence[Evidence]) -> list[str]:
    """Outlets in order of first appearance (best evidence first); unknown outlets are left out."""
    return list(dict.fromkeys(e.outlet for e in evidence if e.outlet is not None))


def parse_date(value: str | None) -> dt.date | None:
    """An ISO date (or the date part of an ISO timestamp), None when unknown or unreadable."""
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


ContextChoice = bool | Callable[[bool], bool]  # all, none, or per passage: f(refers_back)


def read_stance(
    claim: str, hits: Sequence[SearchHit], model: StanceModel, *, with_context: ContextChoice = True
) -> list[Reading]:
    """Score every hit against the claim in one `predict` call: with its previous sentence, and alone.

    The previous sentence resolves "they" / "the delegation"; a self-contained denial reads
    more clearly alone. A first sentence (no context) is read once. `with_context=False` reads
    every passage alone only: what a rule with `context_weight` 0 uses, at half the cost; a
    function of `refers_back` chooses per passage (`Thresholds.reads_with_context`: only the
    passages that open with "They", "It", "This" are read with their previous sentence too).
    """
    return read_stance_many([(claim, hits)], model, with_context=with_context)[0]


def read_stance_many(
    claims: Sequence[tuple[str, Sequence[SearchHit]]],
    model: StanceModel,
    *,
    with_context: ContextChoice = True,
) -> list[list[Reading]]:
    """`read_stance` for several claims with one `predict` call over all their pairs.

    The model sorts the pairs by length into batches, so pairs of many claims pad less and keep
    every batch full: what a batch run (`service.batch`) gains over one claim at a time.
    """
    pairs: list[tuple[str, str]] = []
    # per claim, each hit's: first pair, its alone pair (None: the first is the only reading),
    # whether it refers back, whether it was to be read with context
    layout: list[list[tuple[int, int | None, bool, bool]]] = []
    for claim, hits in claims:
        own: list[tuple[int, int | None, bool, bool]] = []
        texts = [h.passage.text.strip() for h in hits]
        for h, text in zip(hits, texts, strict=True):
            back = refers_back(text)
            wanted = with_context(back) if callable(with_context) else with_context
            p = h.passage
            premise = build_premise(p.text, before=p.context_before, title=p.title) if wanted else text
            own.append((len(pairs), None, back, wanted))
            pairs.append((premise, claim))
        for i, text in enumerate(texts):  # then the alone readings of those read with context
            first, _, back, wanted = own[i]
            if pairs[first][0] != text:
                own[i] = (first, len(pairs), back, wanted)
                pairs.append((text, claim))
        layout.append(own)
    scores = model.predict(pairs) if pairs else []
    readings: list[list[Reading]] = []
    for own in layout:
        read: list[Reading] = []
        for first, solo, back, wanted in own:
            s = scores[first]
            if solo is not None:
                read.append(Reading.combine(s, scores[solo], refers_back=back))
            elif wanted:  # to be read with context, and there was none to add
                read.append(Reading.combine(s, refers_back=back))
            else:  # read alone only
                probs = (s.entailment, s.neutral, s.contradiction)
                read.append(Reading(s.entailment, s.contradiction, s.neutral, None, probs, back))
        readings.append(read)
    return readings


def classify(hit: SearchHit, r: Reading, t: Thresholds) -> Evidence | None:
    """The hit as evidence for one side (`Thresholds.stance`), or None when it is neither."""
    stance, score = t.stance(r, float(hit.similarity))
    if stance is None:
        return None
    p = hit.passage
    return Evidence(
        passage_id=p.passage_id,
        document_id=p.document_id,
        sentence_index=p.sentence_index,
        text=p.text,
        outlet=p.outlet,
        date=parse_date(p.date),
        title=p.title,
        url=p.url,
        similarity=float(hit.similarity),
        stance=stance,
        stance_score=score,
        context_before=p.context_before,
        context_after=p.context_after,
    )


def decide(
    supporting: Sequence[Evidence],
    contradicting: Sequence[Evidence],
    best_relevant: float | None,
    t: Thresholds,
) -> tuple[Verdict, float]:
    """Verdict and confidence from the (uncut) evidence lists (`Thresholds.verdict`)."""
    return t.verdict(
        [e.stance_score for e in supporting], [e.stance_score for e in contradicting], best_relevant
    )


def _rank(evidence: list[Evidence]) -> list[Evidence]:
    """Best first: stance score times similarity, so a sure reading of a passage on the claim's
    very subject outranks an equally sure one of a passage only about its topic (news dev set:
    precision and recall of the top 5 per side up about half a point over stance score alone)."""
    return sorted(evidence, key=lambda e: (e.stance_score * e.similarity, e.stance_score), reverse=True)


@dataclass(frozen=True)
class Assessment:
    """The rule applied to one claim's read candidates: both sides (uncut, best first) and the verdict."""

    supporting: list[Evidence]
    contradicting: list[Evidence]
    verdict: Verdict
    confidence: float
    borrowed: frozenset[str]  # passage ids left out: their stance came from the listed previous sentence


def borrows(r: Reading, stance: Stance, t: Thresholds, similarity: float) -> bool:
    """True when the passage takes that stance only when read with its previous sentence: the
    rule (`Thresholds.stance`, at the passage's own similarity) gives its alone reading another side."""
    if r.alone is None:
        return False
    e, _, c = r.alone
    return t.stance(Reading(e, c), similarity)[0] is not stance


def assess(relevant: Sequence[SearchHit], readings: Sequence[Reading], t: Thresholds) -> Assessment:
    """Each candidate's side (`classify`), then the verdict (`decide`); the one path for serving and fitting.

    A passage that takes a side only with its previous sentence as context, when that previous
    sentence is itself listed on the same side, adds nothing: the evidence is the previous
    sentence, so the passage is left out (it would list one statement twice).
    """
    sides: dict[Stance, list[tuple[Evidence, Reading]]] = {Stance.SUPPORTS: [], Stance.CONTRADICTS: []}
    best_relevant: float | None = None
    for hit, r in zip(relevant, readings, strict=True):
        best_relevant = max(best_relevant or 0.0, *t.scores(r))
        evidence = classify(hit, r, t)
        if evidence is not None:
            sides[evidence.stance].append((evidence, r))
    borrowed: set[str] = set()
    for stance, items in sides.items():
        listed = {(e.document_id, e.sentence_index) for e, _ in items}
        for e, r in items:
            if (e.document_id, e.sentence_index - 1) in listed and borrows(r, stance, t, e.similarity):
                borrowed.add(e.passage_id)
    supporting = [e for e, _ in sides[Stance.SUPPORTS] if e.passage_id not in borrowed]
    contradicting = [e for e, _ in sides[Stance.CONTRADICTS] if e.passage_id not in borrowed]
    verdict, confidence = decide(supporting, contradicting, best_relevant, t)
    return Assessment(_rank(supporting), _rank(contradicting), verdict, confidence, frozenset(borrowed))


def verify(
    query: Query,
    snapshot: SearchIndex,
    stance_model: StanceModel,
    thresholds: Thresholds,
    *,
    embedding_model: str,
) -> Verification:
    """Verify one claim against one snapshot (the caller holds both for the whole call)."""
    return verify_many([query], snapshot, stance_model, thresholds, embedding_model=embedding_model)[0]


@runtime_checkable
class _SearchesMany(Protocol):
    """A snapshot that encodes several queries in one call (`index.Snapshot.search_many`)."""

    def search_many(
        self, requests: Sequence[tuple[str, int, SearchFilters | None]]
    ) -> list[list[SearchHit]]: ...


def verify_many(
    queries: Sequence[Query],
    snapshot: SearchIndex,
    stance_model: StanceModel,
    thresholds: Thresholds,
    *,
    embedding_model: str,
) -> list[Verification]:
    """Verify several claims at once: their claims encoded in one call, their passages read by the
    stance model in one call; each answer is the one `verify` gives for that claim alone."""
    t = thresholds
    requests = [(q.claim, max(3 * q.top_k, t.candidates), q.filters()) for q in queries]
    if isinstance(snapshot, _SearchesMany):
        found = snapshot.search_many(requests)
    else:
        found = [snapshot.search(claim, k, filters) for claim, k, filters in requests]
    relevant = [[h for h in hits if h.similarity >= t.min_similarity] for hits in found]
    # a passage whose with-context reading has no weight under the rule is read alone only
    readings = read_stance_many(
        [(q.claim, rel) for q, rel in zip(queries, relevant, strict=True)],
        stance_model,
        with_context=t.reads_with_context,
    )
    return [
        _verification(q, hits, rel, read, snapshot, stance_model, t, embedding_model)
        for q, hits, rel, read in zip(queries, found, relevant, readings, strict=True)
    ]


def _verification(
    query: Query,
    hits: Sequence[SearchHit],
    relevant: Sequence[SearchHit],
    readings: Sequence[Reading],
    snapshot: SearchIndex,
    stance_model: StanceModel,
    t: Thresholds,
    embedding_model: str,
) -> Verification:
    """The rule, then the evidence step, on one claim's retrieved and read candidates."""
    result = assess(relevant, readings, t)
    # Evidence: after the verdict, never changing which one it is.
    study = Study(
        query.claim, [h.passage for h in relevant], _documents(snapshot, hits), _index_outlets(snapshot)
    )
    passages = {h.passage.passage_id: h.passage for h in hits}
    supporting, supporting_study = _with_evidence(result.supporting, study, passages)
    contradicting, contradicting_study = _with_evidence(result.contradicting, study, passages)
    # over independent sources, then as the probability that the verdict is right (`stance.confidence`)
    confidence = t.calibrated(
        result.verdict, corroborate(result.verdict, result.confidence, supporting, contradicting, t)
    )
    explanation = None
    if query.explain:
        read = {h.passage.passage_id: r for h, r in zip(relevant, readings, strict=True)}
        explanation = [
            replace(
                explain(h, read.get(h.passage.passage_id), t, h.passage.passage_id in result.borrowed),
                attribution=study.attribution(h.passage),
                mismatches=study.mismatches(h.passage),
                relays=study.relays(h.passage),
            )
            for h in hits
        ]
    return Verification(
        claim=query.claim,
        verdict=result.verdict,
        confidence=confidence,
        supporting=supporting[: query.top_k],
        contradicting=contradicting[: query.top_k],
        snapshot=snapshot.id,
        passages=len(snapshot),
        embedding_model=embedding_model,
        stance_model=stance_model.name,
        explanation=explanation,
        independent_sources={
            "supporting": supporting_study.independent_sources,
            "contradicting": contradicting_study.independent_sources,
        },
    )


# --- the evidence step (`evidence`): after `assess`, never changing the verdict ------------------


@runtime_checkable
class _HoldsDocuments(Protocol):
    """A snapshot that reads whole documents by id (`index.Snapshot.document`)."""

    def document(self, document_id: str) -> Sequence[Passage]: ...


@runtime_checkable
class _HasManifest(Protocol):
    @property
    def manifest(self) -> Any: ...


def _documents(snapshot: SearchIndex, hits: Sequence[SearchHit]) -> dict[str, list[Passage]] | None:
    """Every passage of the documents the hits come from (the snapshot's own index), or None."""
    if not isinstance(snapshot, _HoldsDocuments):
        return None  # the study then reads the hits' own passages
    return {d: list(snapshot.document(d)) for d in {h.passage.document_id for h in hits}}


def _index_outlets(snapshot: SearchIndex) -> list[str]:
    if isinstance(snapshot, _HasManifest):
        outlets = getattr(snapshot.manifest, "outlets", None)
        if isinstance(outlets, list):
            return [str(o) for o in outlets]
    return []


def _with_evidence(
    side: Sequence[Evidence], study: Study, passages: Mapping[str, Passage]
) -> tuple[list[Evidence], SideStudy]:
    """One side (uncut, best first) with copies folded and every kept passage annotated."""
    listed = [passages[e.passage_id] for e in side]
    result = study.side(listed)
    by_id = {e.passage_id: e for e in side}
    annotated = []
    for passage_id in result.kept:
        note = result.notes[passage_id]
        annotated.append(
            replace(
                by_id[passage_id],
                also_in=tuple(
                    AlsoIn(c.passage_id, c.document_id, c.outlet, parse_date(c.date)) for c in note.also_in
                ),
                relays=note.relays,
                attribution=note.attribution,
                mismatches=note.mismatches,
                source=note.source.name,
            )
        )
    return annotated, result


def corroborate(
    verdict: Verdict,
    confidence: float,
    supporting: Sequence[Evidence],
    contradicting: Sequence[Evidence],
    t: Thresholds,
) -> float:
    """The verdict's confidence over independent sources; the verdict itself is never changed.

    For `supported` (`refuted`) the deciding side's confident evidence (stance_score >=
    VERDICT_THRESHOLD) is grouped by original source (copies are already folded, relays count as
    their original) and combined by `evidence.corroborated_confidence`: the strongest source's
    score, raised by each other independent source at half weight. One source, however many
    passages, copies or relays it has, keeps the rule's confidence; nothing lowers it.
    `conflicting` and `not_enough_info` keep the rule's confidence.
    """
    if verdict is Verdict.SUPPORTED:
        side = supporting
    elif verdict is Verdict.REFUTED:
        side = contradicting
    else:
        return confidence
    best: dict[str, float] = {}
    for e in side:
        if e.stance_score >= t.verdict_threshold:
            key = e.source if e.source is not None else f"document:{e.document_id}"
            best[key] = max(best.get(key, 0.0), e.stance_score)
    if len(best) < 2:
        return confidence
    return max(confidence, corroborated_confidence(best))
