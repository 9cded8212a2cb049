"""Unlabelled news events (`data/nli-news/unlabelled/`): a transfer set for distillation.

Same layout as the labelled events (`stance.news`), but the claims list no pairs:

    {"event": "slug", "domain": "health", "split": "unlabelled",
     "articles": [{"id": "a1", "outlet": "...", "date": "YYYY-MM-DD", "title": "...",
                   "sentences": ["...", ...]}],
     "claims": [{"claim": "..."}, ...]}

Nobody lists which sentences support or contradict a claim: a teacher model does (`python -m
stance label --data nli-news-unlabelled:16[:<n>|:<a>-<b>]`: of each domain the first n events, or
u<a>..u<b>), and the student learns the teacher's
probabilities on pairs the teacher was never trained on. That is the point of the set: the
teacher's labels on its own training pairs add little to the gold ones (model card, "A larger
teacher"), while on unseen events it reads better than the small model. The events are written
for the project like the labelled ones, and the sample corpus's event is kept out the same way.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .data import Pair
from .news import IMPLIED_MIN_SIMILARITY, check_layout, load_checked, read_events

UNLABELLED_DIR = Path("data/nli-news/unlabelled")
UNLABELLED_TAG = "nli_news:unlabelled"
UNKNOWN = -1  # `Pair.label` of a pair nobody labelled: a teacher's top label replaces it
MIN_CLAIMS = 10


def event_number(event: dict[str, Any]) -> int:
    """The `<n>` of an event named `<domain>-u<n>-<slug>` after its own domain: the order it was
    written in (`check_unlabelled` requires the name)."""
    match = re.match(rf"{re.escape(str(event['domain']))}-u(\d+)-", str(event["event"]))
    if match is None:
        raise ValueError(
            f"event {event['event']!r} must be named <domain>-u<n>-<slug> (n: the order it was written in)"
        )
    return int(match.group(1))


def check_unlabelled(event: dict[str, Any], name: str) -> list[str]:
    """Every problem with one unlabelled event file, as readable lines (empty when valid)."""
    problems: list[str] = []

    def bad(msg: str) -> None:
        problems.append(f"{name}: {msg}")

    sentences = check_layout(event, bad, ("unlabelled",))
    if sentences is None:
        return problems
    try:
        event_number(event)
    except ValueError as exc:
        bad(str(exc))
    claims = event["claims"]
    if not isinstance(claims, list) or len(claims) < MIN_CLAIMS:
        bad(f"needs at least {MIN_CLAIMS} claims")
        return problems
    seen: set[str] = set()
    for claim in claims:
        text = claim.get("claim", "") if isinstance(claim, dict) else ""
        if not isinstance(text, str) or len(text.split()) < 3 or text in seen:
            bad(f"empty, too short or repeated claim {text!r}")
        elif text in sentences:
            bad(f"claim copies a sentence of the event: {text!r}")
        if isinstance(claim, dict) and set(claim) - {"claim"}:
            bad(f"claim {text!r}: only the key 'claim' is allowed (no labels)")
        seen.add(text)
    return problems


def parse_rounds(text: str) -> tuple[int, int] | None:
    """`""` (every event), `"<n>"` (u1..u<n>) or `"<a>-<b>"` (u<a>..u<b>) as `unlabelled_pairs`'s
    `rounds`; ValueError on anything else."""
    if not text:
        return None
    low, dash, high = text.partition("-")
    if not (low.isdigit() and (high.isdigit() if dash else True)):
        raise ValueError(f"nli-news-unlabelled rounds must be <n> or <a>-<b>, got {text!r}")
    return (int(low), int(high)) if dash else (1, int(low))


def load_unlabelled(directory: Path = UNLABELLED_DIR) -> list[dict[str, Any]]:
    """Every unlabelled event file, validated; raises ValueError listing all problems."""
    return load_checked(directory, check_unlabelled)


def event_sentences(event: dict[str, Any]) -> list[str]:
    """The event's distinct sentences, articles in order (what `Candidate.sentence` indexes)."""
    return list(dict.fromkeys(s for a in event["articles"] for s in a["sentences"]))


@dataclass(frozen=True)
class Candidate:
    """One (claim, sentence) pair of an unlabelled event, with the indexes that name it in the
    committed teacher labels (`stance.transfer`)."""

    event: str
    claim: int  # index in the event's claims
    sentence: int  # index in `event_sentences(event)`
    pair: Pair


def unlabelled_candidates(
    per_claim: int, directory: Path = UNLABELLED_DIR, rounds: tuple[int, int] | None = None
) -> list[Candidate]:
    """For each claim, the `per_claim` sentences of its event nearest to it (the service's
    embedder, cosine >= IMPLIED_MIN_SIMILARITY), nearest first, each read alone as the service
    reads a passage; labels UNKNOWN: a teacher labels them (`python -m stance label`). `rounds`
    (low, high): only the events numbered u<low>..u<high> of each domain, both included (a recipe
    keeps its transfer set as later rounds arrive, and a later stage can take only the rounds an
    earlier one lacked)."""
    from index.embedding import load_embedder

    embedder = load_embedder()
    out: list[Candidate] = []
    events = load_unlabelled(directory)
    if rounds is not None:
        events = [e for e in events if rounds[0] <= event_number(e) <= rounds[1]]
    for event in events:
        sentences = event_sentences(event)
        claims = [c["claim"] for c in event["claims"]]
        sent_vecs = embedder.encode(sentences)
        claim_vecs = embedder.encode(claims)
        for c, (claim, vec) in enumerate(zip(claims, claim_vecs, strict=True)):
            sims = sent_vecs @ vec
            ranked = sorted(range(len(sentences)), key=lambda i: -float(sims[i]))
            picked = [i for i in ranked if float(sims[i]) >= IMPLIED_MIN_SIMILARITY][:per_claim]
            out += [
                Candidate(str(event["event"]), c, i, Pair(sentences[i], claim, UNKNOWN, UNLABELLED_TAG))
                for i in picked
            ]
    return out


def unlabelled_pairs(
    per_claim: int, directory: Path = UNLABELLED_DIR, rounds: tuple[int, int] | None = None
) -> list[Pair]:
    """The pairs of `unlabelled_candidates` (same arguments)."""
    return [c.pair for c in unlabelled_candidates(per_claim, directory, rounds)]


def main(argv: list[str]) -> int:
    """`python -m stance.unlabelled [FILE ...]`: validate unlabelled event files (all by default)."""
    paths = [Path(a) for a in argv] or sorted(UNLABELLED_DIR.glob("*.json"))
    events, problems = read_events(paths, check_unlabelled)
    if problems:
        print("\n".join(problems))
        return 1
    sentences = sum(len(a["sentences"]) for e in events for a in e["articles"])
    claims = sum(len(e["claims"]) for e in events)
    domains = Counter(str(e["domain"]) for e in events)
    print(f"unlabelled events={len(events)} sentences={sentences} claims={claims}")
    print("  domains: " + " ".join(f"{k}={v}" for k, v in domains.most_common()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
