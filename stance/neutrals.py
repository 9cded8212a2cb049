"""Related neutrals: pairs that teach the model that sharing a topic is not contradicting.

NLI data from SNLI captions calls two different statements about one scene "contradiction",
and a model trained on it reads most news sentences about the same event as contradicting a
claim ("a delegation visited Seoul" vs "Ukraine asked to buy Cheongung"). For a fact-checker
those pairs are neutral: the passage says nothing about the claim.

The pairs are made from the training data alone: a premise from a multi-genre source (MNLI and
its derivatives, not SNLI captions), and a hypothesis written for a *different*, related premise
(cosine 0.45-0.80 with the all-MiniLM-L6-v2 embedder: same topic, not a paraphrase) that its
annotators labelled entailment or contradiction there, so it makes a definite statement. A
hypothesis too close to the premise itself (cosine >= 0.6) is skipped.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from stance.data import LABEL_IDS, Pair

MULTI_GENRE_PREFIXES = ("mnli", "conjnli", "negation_nli_mnli", "ambient", "wanli")
RELATED = (0.45, 0.80)
TOO_CLOSE = 0.6
PER_PREMISE = 2
SOURCE_TAG = "related_neutral"


def build_related_neutrals(pairs: Sequence[Pair], seed: int, cache: Path | None = None) -> list[Pair]:
    """Related-neutral pairs from `pairs` (cached as JSON Lines in `cache` when given)."""
    if cache is not None and cache.exists():
        with cache.open(encoding="utf-8") as handle:
            return [Pair(**json.loads(line)) for line in handle]
    from index.embedding import load_embedder

    definite = {LABEL_IDS["entailment"], LABEL_IDS["contradiction"]}
    groups: dict[str, list[str]] = defaultdict(list)
    own: dict[str, set[str]] = defaultdict(set)
    for p in pairs:
        if not p.source.startswith(MULTI_GENRE_PREFIXES) or len(p.premise.split()) > 60:
            continue
        own[p.premise].add(p.hypothesis)
        if p.label in definite:
            groups[p.premise].append(p.hypothesis)
    premises = sorted(own)
    hypotheses = sorted({h for hs in groups.values() for h in hs})
    embedder = load_embedder()
    emb_p = embedder.encode(premises, progress=True)
    emb_h = embedder.encode(hypotheses, progress=True)
    h_row = {h: i for i, h in enumerate(hypotheses)}

    import faiss

    index = faiss.IndexFlatIP(emb_p.shape[1])
    index.add(emb_p)
    sims, neighbours = index.search(emb_p, 16)
    rng = random.Random(seed)
    neutral = LABEL_IDS["neutral"]
    out: list[Pair] = []
    for i, premise in enumerate(premises):
        found = 0
        for sim, j in zip(sims[i], neighbours[i], strict=True):
            if found >= PER_PREMISE:
                break
            if j == i or not RELATED[0] <= sim <= RELATED[1]:
                continue
            options = [
                h
                for h in groups.get(premises[j], [])
                if h not in own[premise] and float(np.dot(emb_p[i], emb_h[h_row[h]])) < TOO_CLOSE
            ]
            if options:
                out.append(Pair(premise, rng.choice(options), neutral, SOURCE_TAG))
                found += 1
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(".tmp")
        with tmp.open("w", encoding="utf-8") as handle:
            for p in out:
                handle.write(json.dumps(p.__dict__) + "\n")
        tmp.replace(cache)
    return out
