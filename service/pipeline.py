"""The verification pipeline: retrieve passages for a claim, score their stance, decide a verdict.

No Flask here: the HTTP layer (`service.resources`) and the batch CLI (`service.batch`) both call
`verify`. The algorithm, with every threshold taken from `Thresholds` (README "Verdict rules"):

1. Retrieve `max(3 * top_k, candidates)` hits from the snapshot, with the request's filters.
2. Relevance gate: keep hits whose cosine similarity to the claim is >= `min_similarity`. NLI
   models trained on SNLI call unrelated pairs "contradiction", so the stance model alone never
   decides relevance.
3. Score every remaining (premise = passage with its previous sentence, hypothesis = claim) pair
   in one `predict` call; passages with similarity >= `min_contradict_similarity` are also read
   as the sentence alone and the other way round (premise = claim), in the same call
   (`read_stance`).
4. A passage supports when entailment >= `support_threshold` and > contradiction (both from the
   with-context reading); it contradicts when the mutual contradiction >= `contradict_threshold`
   and > entailment, and similarity >= `min_contradict_similarity`. The mutual contradiction is
   the geometric mean of the passage -> claim contradiction (the stronger of the with-context and
   alone readings) and the claim -> passage one. `stance_score` is that entailment or mutual
   contradiction. Anything else is left out.
5. Each side is sorted by (stance_score, similarity), best first, and cut to `top_k`.
6. Verdict from the confident evidence (stance_score >= `verdict_threshold`): one side only ->
   supported / refuted; both -> conflicting; none -> not_enough_info.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from index import SearchFilters, SearchHit
from stance.context import build_premise
from stance.model import StanceModel


class SearchIndex(Protocol):
    """What the pipeline needs from a loaded snapshot (`index.Snapshot` is one)."""

    @property
    def id(self) -> str: ...

    def __len__(self) -> int: ...

    def search(self, query: str, k: int, filters: SearchFilters | None = None) -> list[SearchHit]: ...


class Verdict(StrEnum):
    """What the evidence says about the claim as a whole."""

    SUPPORTED = "supported"
    REFUTED = "refuted"
    CONFLICTING = "conflicting"
    NOT_ENOUGH_INFO = "not_enough_info"


class Stance(StrEnum):
    """What one passage says about the claim."""

    SUPPORTS = "supports"
    CONTRADICTS = "contradicts"


@dataclass(frozen=True)
class Thresholds:
    """The pipeline's tunable numbers; `from_config` reads them from the app configuration."""

    candidates: int = 30
    min_similarity: float = 0.35
    support_threshold: float = 0.2
    contradict_threshold: float = 0.5
    min_contradict_similarity: float = 0.5
    verdict_threshold: float = 0.2

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Thresholds:
        return cls(
            candidates=int(config["CANDIDATES"]),
            min_similarity=float(config["MIN_SIMILARITY"]),
            support_threshold=float(config["SUPPORT_THRESHOLD"]),
            contradict_threshold=float(config["CONTRADICT_THRESHOLD"]),
            min_contradict_similarity=float(config["MIN_CONTRADICT_SIMILARITY"]),
            verdict_threshold=float(config["VERDICT_THRESHOLD"]),
        )


QUERY_FIELDS = ("claim", "top_k", "outlets", "date_from", "date_to")


@dataclass(frozen=True)
class Query:
    """One claim to verify, with its retrieval options."""

    claim: str
    top_k: int = 10
    outlets: Sequence[str] | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None

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

    @property
    def context(self) -> dict[str, str | None]:
        return {"before": self.context_before, "after": self.context_after}


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
        return {
            "claim": self.claim,
            "verdict": self.verdict,
            "confidence": self.confidence,
            "supporting": self.supporting,
            "contradicting": self.contradicting,
            "outlets": self.outlets,
            "index": self.index,
            "models": self.models,
        }


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


@dataclass(frozen=True)
class Reading:
    """What the stance model makes of one passage against the claim."""

    entailment: float  # passage (with its previous sentence) -> claim
    contradiction: float  # the same reading's contradiction
    mutual: float  # two-way contradiction (0 below the contradiction similarity gate)


def read_stance(claim: str, hits: Sequence[SearchHit], model: StanceModel, t: Thresholds) -> list[Reading]:
    """Score every hit against the claim in one `predict` call.

    Every hit is read with its previous sentence as context (`build_premise`), which resolves
    "they" / "the delegation". A hit close enough to contradict (`min_contradict_similarity`) is
    also read as the sentence alone (context helps a sentence that leans on its neighbour, but a
    self-contained denial reads more clearly alone) and the other way round (claim as premise):
    contradiction is symmetric, and a passage about a different aspect of the same event is
    read as contradicting in one direction only.
    """
    premises = [
        build_premise(h.passage.text, before=h.passage.context_before, title=h.passage.title) for h in hits
    ]
    gated = [i for i, h in enumerate(hits) if h.similarity >= t.min_contradict_similarity]
    alone = [i for i in gated if premises[i] != hits[i].passage.text.strip()]
    pairs = [(premise, claim) for premise in premises]
    pairs += [(hits[i].passage.text.strip(), claim) for i in alone]
    pairs += [(claim, hits[i].passage.text.strip()) for i in gated]
    if not pairs:
        return []
    scores = model.predict(pairs)
    n, a = len(hits), len(alone)
    alone_scores = dict(zip(alone, scores[n : n + a], strict=True))
    reverse = dict(zip(gated, scores[n + a :], strict=True))
    readings = []
    for i, s in enumerate(scores[:n]):
        mutual = 0.0
        if i in reverse:
            forward = max(s.contradiction, alone_scores[i].contradiction if i in alone_scores else 0.0)
            mutual = mutual_contradiction(forward, reverse[i].contradiction)
        readings.append(Reading(s.entailment, s.contradiction, mutual))
    return readings


def mutual_contradiction(forward: float, backward: float) -> float:
    """How strongly passage and claim contradict each other: the geometric mean of both readings.

    NLI models trained on SNLI read a passage about a different aspect of the same event as
    contradicting the claim in one direction only; a real conflict holds both ways.
    """
    return math.sqrt(max(forward, 0.0) * max(backward, 0.0))


def classify(hit: SearchHit, r: Reading, t: Thresholds) -> Evidence | None:
    """The hit as evidence for one side, or None when it is neither confident enough nor close enough.

    Support is judged on the passage-with-context -> claim reading, contradiction on the two-way
    `mutual` one (`read_stance`; 0 below the contradiction similarity gate).
    """
    stance: Stance | None = None
    score = 0.0
    if r.entailment >= t.support_threshold and r.entailment > r.contradiction:
        stance, score = Stance.SUPPORTS, r.entailment
    elif (
        r.mutual >= t.contradict_threshold
        and r.mutual > r.entailment
        and hit.similarity >= t.min_contradict_similarity
    ):
        stance, score = Stance.CONTRADICTS, r.mutual
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
    """Verdict and confidence from the (uncut) evidence lists.

    `best_relevant` is the highest stance probability among relevant candidates (None when no
    candidate passed the relevance gate); it sets the confidence of not_enough_info.
    """
    top_support = max((e.stance_score for e in supporting), default=0.0)
    top_contra = max((e.stance_score for e in contradicting), default=0.0)
    confident_support = top_support >= t.verdict_threshold
    confident_contra = top_contra >= t.verdict_threshold
    if confident_support and confident_contra:
        return Verdict.CONFLICTING, min(top_support, top_contra)
    if confident_support:
        return Verdict.SUPPORTED, top_support
    if confident_contra:
        return Verdict.REFUTED, top_contra
    if best_relevant is None:
        return Verdict.NOT_ENOUGH_INFO, 1.0
    return Verdict.NOT_ENOUGH_INFO, 1.0 - best_relevant


def _rank(evidence: list[Evidence]) -> list[Evidence]:
    return sorted(evidence, key=lambda e: (e.stance_score, e.similarity), reverse=True)


def verify(
    query: Query,
    snapshot: SearchIndex,
    stance_model: StanceModel,
    thresholds: Thresholds,
    *,
    embedding_model: str,
) -> Verification:
    """Verify one claim against one snapshot (the caller holds both for the whole call)."""
    t = thresholds
    hits = snapshot.search(query.claim, max(3 * query.top_k, t.candidates), query.filters())
    relevant = [h for h in hits if h.similarity >= t.min_similarity]
    readings = read_stance(query.claim, relevant, stance_model, t)
    supporting: list[Evidence] = []
    contradicting: list[Evidence] = []
    best_relevant: float | None = None
    for hit, r in zip(relevant, readings, strict=True):
        # A contradiction from a passage below the contradiction gate is not trusted, so it does
        # not lower the confidence of not_enough_info either.
        best_relevant = max(best_relevant or 0.0, r.entailment, r.mutual)
        evidence = classify(hit, r, t)
        if evidence is None:
            continue
        (supporting if evidence.stance is Stance.SUPPORTS else contradicting).append(evidence)
    verdict, confidence = decide(supporting, contradicting, best_relevant, t)
    return Verification(
        claim=query.claim,
        verdict=verdict,
        confidence=confidence,
        supporting=_rank(supporting)[: query.top_k],
        contradicting=_rank(contradicting)[: query.top_k],
        snapshot=snapshot.id,
        passages=len(snapshot),
        embedding_model=embedding_model,
        stance_model=stance_model.name,
    )
