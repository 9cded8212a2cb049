"""The project's own news NLI set (`data/nli-news/`): event files, validation, splits, claims.

One JSON file per event under `data/nli-news/events/`. An event holds the articles (news
sentences from several outlets) and the claims a fact-checker might type about it; each claim
lists its labelled pairs by quoting an article sentence exactly:

    {"event": "slug", "domain": "health", "split": "train" | "dev" | "test" | "extra",
     "articles": [{"id": "a1", "outlet": "...", "date": "YYYY-MM-DD", "title": "...",
                   "sentences": ["...", ...]}],
     "claims": [{"claim": "...",
                 "pairs": [{"premise": "<one sentence, verbatim>", "label": "entailment",
                            "category": "paraphrase", "needs_context": false}]}]}

Completeness: a claim's entailment and contradiction pairs are *all* the sentences of the event
that support or contradict it, so every other sentence is neutral for it. That makes a claim's
gold verdict (supported / refuted / conflicting / not_enough_info) and its gold evidence
well-defined for the end-to-end check (`make eval-verify`). `needs_context` marks a sentence that
only makes sense with the sentence before it ("They also asked for ..."): its premise is then
that sentence and the one before, as the service reads a passage with its context.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from .data import LABEL_IDS, Pair

EVENTS_DIR = Path("data/nli-news/events")
# `extra`: train-like events (never dev or test events) that the shipped recipe leaves out: adding
# them to stage 3 measured no better on dev (model card, "the split `extra`"); `--data nli-news:extra`
# and `nli-news-implied:extra` add them to a recipe.
SPLITS: tuple[str, ...] = ("train", "dev", "test", "extra")
CATEGORIES: tuple[str, ...] = (
    "paraphrase",  # ask / request / seek / buy / purchase / sell / supply said another way
    "denial",  # denials and refusals
    "noncommittal",  # declined to say, would not confirm: neutral
    "hedge",  # might, is considering, does not rule out
    "negative_polarity",  # has yet to, avoided, declined to, failed to, stopped short of
    "time",  # plans to, until 2030, last year vs now
    "quantity",  # numbers and units, "more than", ranges
    "role",  # roles and titles
    "attribution",  # X said / Y said; reported vs confirmed
    "scope",  # some vs all; one unit vs the army
    "coreference",  # they / the delegation across the context sentence
    "topical_neutral",  # same event, another fact
    "other",
)
FORBIDDEN = re.compile(r"ukrain|korea|seoul|cheongung|kyiv|umerov", re.IGNORECASE)


@dataclass(frozen=True)
class NewsPair:
    """One labelled (news sentence, claim) pair with where it came from."""

    event: str
    domain: str
    split: str
    claim: str
    premise: str  # the sentence, or context + sentence where needs_context
    sentence: str
    label: str
    category: str
    needs_context: bool

    def as_pair(self) -> Pair:
        return Pair(self.premise, self.claim, LABEL_IDS[self.label], f"nli_news:{self.category}")


@dataclass(frozen=True)
class NewsClaim:
    """A claim with its gold verdict and the sentences that support / contradict it."""

    event: str
    split: str
    claim: str
    verdict: str
    supporting: tuple[str, ...]
    contradicting: tuple[str, ...]


def gold_verdict(supporting: Iterable[str], contradicting: Iterable[str]) -> str:
    """The verdict a claim deserves from its complete gold evidence."""
    has_s, has_c = bool(list(supporting)), bool(list(contradicting))
    if has_s and has_c:
        return "conflicting"
    if has_s:
        return "supported"
    if has_c:
        return "refuted"
    return "not_enough_info"


def check_articles(event: dict[str, Any], bad: Callable[[str], None]) -> dict[str, tuple[str, int]] | None:
    """The checks every event file shares, labelled or not (`bad` gets each problem): the sample
    event kept out, at least 2 articles, their fields and dates, sentences long enough and unique.
    Returns each sentence's (article id, index), or None when there are no articles to check."""
    found = FORBIDDEN.search(json.dumps(event, ensure_ascii=False))
    if found:
        bad(f"mentions the sample corpus's event ({found[0]!r})")
    sentences: dict[str, tuple[str, int]] = {}
    articles = event["articles"]
    if not isinstance(articles, list) or len(articles) < 2:
        bad("needs at least 2 articles")
        return None
    for art in articles:
        aid = art.get("id")
        for key in ("id", "outlet", "date", "title", "sentences"):
            if not art.get(key):
                bad(f"article {aid}: missing {key}")
        try:
            date.fromisoformat(str(art.get("date")))
        except ValueError:
            bad(f"article {aid}: date {art.get('date')!r} is not YYYY-MM-DD")
        for i, sent in enumerate(art.get("sentences") or []):
            if not isinstance(sent, str) or len(sent.split()) < 4:
                bad(f"article {aid}: sentence {i} too short: {sent!r}")
                continue
            if sent in sentences:
                bad(f"sentence appears twice in the event: {sent!r}")
            sentences[sent] = (str(aid), i)
    return sentences


def check_layout(
    event: dict[str, Any], bad: Callable[[str], None], splits: tuple[str, ...]
) -> dict[str, tuple[str, int]] | None:
    """The keys, split and articles every event file (labelled or not) must have; its sentences
    (`check_articles`), or None when a problem keeps the claims from being checked."""
    missing = [key for key in ("event", "domain", "split", "articles", "claims") if key not in event]
    for key in missing:
        bad(f"missing key {key!r}")
    if missing:
        return None
    if event["split"] not in splits:
        bad(f"split must be {splits[0]!r}" if len(splits) == 1 else f"split must be one of {splits}")
    return check_articles(event, bad)


def check_event(event: dict[str, object], name: str) -> list[str]:
    """Every problem with one event file, as readable lines (empty when it is valid)."""
    problems: list[str] = []

    def bad(msg: str) -> None:
        problems.append(f"{name}: {msg}")

    sentences = check_layout(event, bad, SPLITS)
    if sentences is None:
        return problems
    claims = event["claims"]
    if not isinstance(claims, list) or not claims:
        bad("no claims")
        return problems
    seen_claims: set[str] = set()
    for claim in claims:
        text = claim.get("claim", "")
        if not text or text in seen_claims:
            bad(f"empty or repeated claim {text!r}")
        seen_claims.add(text)
        pairs = claim.get("pairs") or []
        if not pairs:
            bad(f"claim {text!r}: no pairs")
        seen_premises: set[str] = set()
        for pair in pairs:
            prem = pair.get("premise", "")
            if prem not in sentences:
                bad(f"claim {text!r}: premise is not a sentence of the event: {prem!r}")
                continue
            if prem in seen_premises:
                bad(f"claim {text!r}: premise listed twice: {prem!r}")
            seen_premises.add(prem)
            if pair.get("label") not in LABEL_IDS:
                bad(f"claim {text!r}: bad label {pair.get('label')!r}")
            if pair.get("category") not in CATEGORIES:
                bad(f"claim {text!r}: bad category {pair.get('category')!r}")
            if pair.get("needs_context") and sentences[prem][1] == 0:
                bad(f"claim {text!r}: needs_context on an article's first sentence: {prem!r}")
    return problems


Check = Callable[[dict[str, Any], str], list[str]]  # an event file's problems (`check_event`)


def read_events(paths: Iterable[Path], check: Check) -> tuple[list[dict[str, Any]], list[str]]:
    """Read event files and validate each with `check`: the events read and every problem found."""
    events: list[dict[str, Any]] = []
    problems: list[str] = []
    for path in paths:
        try:
            event = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            problems.append(f"{path.name}: not JSON ({exc})")
            continue
        except OSError as exc:
            problems.append(f"{path.name}: {exc}")
            continue
        problems += check(event, path.name)
        events.append(event)
    return events, problems


def load_checked(directory: Path, check: Check) -> list[dict[str, Any]]:
    """Every event file of a directory, validated by `check`, no slug used twice; raises
    ValueError listing all problems."""
    events, problems = read_events(sorted(directory.glob("*.json")), check)
    names = Counter(str(e.get("event")) for e in events)
    problems += [f"event slug used twice: {n}" for n, c in names.items() if c > 1]
    if problems:
        raise ValueError("\n".join(problems))
    return events


def load_events(directory: Path = EVENTS_DIR) -> list[dict[str, object]]:
    """Every event file, validated; raises ValueError listing all problems."""
    return load_checked(directory, check_event)


def event_pairs(event: dict[str, object]) -> list[NewsPair]:
    """The labelled pairs of one (valid) event, premises built with context where needed."""
    previous: dict[str, str] = {}
    for art in event["articles"]:  # type: ignore[attr-defined]
        sents = art["sentences"]
        for i, sent in enumerate(sents):
            previous[sent] = sents[i - 1] if i else ""
    out: list[NewsPair] = []
    for claim in event["claims"]:  # type: ignore[attr-defined]
        for pair in claim["pairs"]:
            sent = pair["premise"]
            ctx = bool(pair.get("needs_context"))
            premise = f"{previous[sent]} {sent}" if ctx and previous[sent] else sent
            out.append(
                NewsPair(
                    event=str(event["event"]),
                    domain=str(event["domain"]),
                    split=str(event["split"]),
                    claim=claim["claim"],
                    premise=premise,
                    sentence=sent,
                    label=pair["label"],
                    category=pair["category"],
                    needs_context=ctx,
                )
            )
    return out


def split_pairs(split: str, directory: Path = EVENTS_DIR) -> list[Pair]:
    """The labelled pairs of one split, as NLI pairs (training, evaluation, calibration)."""
    return [p.as_pair() for e in load_events(directory) if e["split"] == split for p in event_pairs(e)]


IMPLIED_PER_CLAIM = 8  # hard implied neutrals per claim (`implied_neutrals`; the shipped recipe)
IMPLIED_MIN_SIMILARITY = 0.3  # below this the service's relevance gate would drop the sentence anyway
IMPLIED_TAG = "nli_news:implied_neutral"


def implied_neutrals(
    split: str, per_claim: int = IMPLIED_PER_CLAIM, directory: Path = EVENTS_DIR
) -> list[Pair]:
    """Hard neutrals of a split: for each claim, its event's unlabelled sentences nearest to it.

    A claim's labelled pairs list *every* sentence of its event that supports or contradicts it
    (the set's completeness rule), so each other sentence is neutral for it. The ones retrieval
    ranks high (same event, same actors, another fact) are what the service actually shows the
    stance model, and what it most often misreads as a contradiction ("Ratu said the request was
    first made in May" vs "No Fijian officers will be deployed"). Ranked by the service's own
    embedder (cosine), `per_claim` per claim with cosine >= IMPLIED_MIN_SIMILARITY; each sentence
    read alone, as the service reads a passage.
    """
    from index.embedding import load_embedder

    events = [e for e in load_events(directory) if e["split"] == split]
    embedder = load_embedder()
    neutral = LABEL_IDS["neutral"]
    out: list[Pair] = []
    for event in events:
        articles: list[dict[str, Any]] = event["articles"]  # type: ignore[assignment]
        claims: list[dict[str, Any]] = event["claims"]  # type: ignore[assignment]
        sentences = list(dict.fromkeys(s for a in articles for s in a["sentences"]))
        sent_vecs = embedder.encode(sentences)
        claim_vecs = embedder.encode([c["claim"] for c in claims])
        for claim, vec in zip(claims, claim_vecs, strict=True):
            labelled = {p["premise"] for p in claim["pairs"]}
            sims = sent_vecs @ vec
            ranked = sorted(range(len(sentences)), key=lambda i: -float(sims[i]))
            picked = [
                sentences[i]
                for i in ranked
                if sentences[i] not in labelled and float(sims[i]) >= IMPLIED_MIN_SIMILARITY
            ][:per_claim]
            out += [Pair(s, claim["claim"], neutral, IMPLIED_TAG) for s in picked]
    return out


def event_claims(event: dict[str, object]) -> list[NewsClaim]:
    """Each claim of one event with its gold verdict and evidence sentences."""
    out: list[NewsClaim] = []
    for claim in event["claims"]:  # type: ignore[attr-defined]
        sup = tuple(p["premise"] for p in claim["pairs"] if p["label"] == "entailment")
        con = tuple(p["premise"] for p in claim["pairs"] if p["label"] == "contradiction")
        out.append(
            NewsClaim(
                event=str(event["event"]),
                split=str(event["split"]),
                claim=claim["claim"],
                verdict=gold_verdict(sup, con),
                supporting=sup,
                contradicting=con,
            )
        )
    return out


def summary(events: list[dict[str, object]]) -> str:
    """Counts by split, label, category and domain, for the README and a writer's check."""
    pairs = [p for e in events for p in event_pairs(e)]
    claims = [c for e in events for c in event_claims(e)]
    lines = [f"events={len(events)} pairs={len(pairs)} claims={len(claims)}"]
    for split in SPLITS:
        sp = [p for p in pairs if p.split == split]
        ev = {p.event for p in sp}
        labels = Counter(p.label for p in sp)
        lines.append(f"  {split}: events={len(ev)} pairs={len(sp)} {dict(labels)}")
    labels = Counter(p.label for p in pairs)
    lines.append(
        "  labels: " + " ".join(f"{k}={v} ({v / max(1, len(pairs)):.0%})" for k, v in sorted(labels.items()))
    )
    lines.append(
        "  categories: " + " ".join(f"{k}={v}" for k, v in Counter(p.category for p in pairs).most_common())
    )
    lines.append(
        "  domains: "
        + " ".join(f"{k}={v}" for k, v in Counter(str(e["domain"]) for e in events).most_common())
    )
    lines.append(
        "  verdicts: " + " ".join(f"{k}={v}" for k, v in Counter(c.verdict for c in claims).most_common())
    )
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    """`python -m stance.news [FILE ...]`: validate event files (all by default) and summarise."""
    if argv:
        events, problems = read_events([Path(name) for name in argv], check_event)
        if problems:
            print("\n".join(problems))
            return 1
    else:
        try:
            events = load_events()
        except ValueError as exc:
            print(exc)
            return 1
    print(summary(events))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
