"""Benchmark corpora of any size from real text: the sentences of the NLI files, as news articles.

The pool is every distinct premise and hypothesis of the training files in `../shared/nli/`
(about 150k real sentences of 4 words or more). A corpus of N passages is made of articles of
`SENTENCES_PER_ARTICLE` sentences, each article from one of `OUTLETS` with a date spread over
2019-2025. Up to the pool's size every passage is one pool sentence; beyond it (the 1M corpus)
each passage joins two pool sentences with a semicolon, so passages stay distinct sentences the
segmenter keeps whole. Everything is seeded: the same N gives the same corpus.
"""

from __future__ import annotations

import datetime
import json
import random
import re
from collections.abc import Iterator
from pathlib import Path

POOL_FILES = (
    "train.jsonl",
    "train_vitaminc.jsonl",
    "train_mnli_hw2.jsonl",
    "train_fm2.jsonl",
    "train_fever_adversarial.jsonl",
)
CLAIM_FILES = ("eval_mnli_mismatched.jsonl", "eval_fever_symmetric.jsonl", "eval_snli_test.jsonl")
OUTLETS = tuple(
    f"{a} {b}"
    for a in ("Northgate", "Harbour", "Meridian", "Capital", "Riverside")
    for b in ("Wire", "Ledger", "Courier", "Tribune")
)
SENTENCES_PER_ARTICLE = 10
_CLEAN = re.compile(r"\s+")
_START = datetime.date(2019, 1, 1)


def _sentence(text: str) -> str | None:
    """A pool sentence: one line, 4 to 60 words, ending with a full stop (added when missing)."""
    text = _CLEAN.sub(" ", text).strip()
    words = len(text.split())
    if not 4 <= words <= 60:
        return None
    # PTB-tokenised MNLI rows: undo the commonest spacing so the text reads like news.
    text = text.replace(" ,", ",").replace(" .", ".").replace(" 's", "'s").replace(" n't", "n't")
    text = text.rstrip(" ;:")
    return text if text.endswith((".", "!", "?", '"')) else text + "."


def sentence_pool(nli_dir: Path) -> list[str]:
    """Distinct real sentences from the NLI training files, in a fixed order."""
    seen: set[str] = set()
    pool: list[str] = []
    for name in POOL_FILES:
        path = nli_dir / name
        if not path.exists():
            continue
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                row = json.loads(line)
                for field in ("premise", "hypothesis"):
                    sentence = _sentence(str(row.get(field, "")))
                    if sentence is not None and sentence.lower() not in seen:
                        seen.add(sentence.lower())
                        pool.append(sentence)
    if not pool:
        raise FileNotFoundError(f"no NLI training files with sentences in {nli_dir}")
    return pool


def bench_claims(nli_dir: Path, n: int = 200) -> list[str]:
    """`n` fixed claims: hypotheses of the NLI eval files, taken in turn from each file."""
    per_file: list[list[str]] = []
    for name in CLAIM_FILES:
        path = nli_dir / name
        if path.exists():
            rows = [json.loads(line) for line in path.open(encoding="utf-8")]
            hyps = list(dict.fromkeys(str(r["hypothesis"]).strip() for r in rows))
            random.Random(7).shuffle(hyps)
            per_file.append(hyps)
    claims: list[str] = []
    for i in range(max((len(h) for h in per_file), default=0)):
        for hyps in per_file:
            if i < len(hyps) and len(claims) < n:
                claims.append(hyps[i])
    if len(claims) < n:
        raise ValueError(f"only {len(claims)} claims in the eval files of {nli_dir}, wanted {n}")
    return claims


def passages(pool: list[str], n: int, seed: int = 13) -> Iterator[str]:
    """`n` distinct passages: pool sentences, then pairs of them once the pool runs out."""
    rng = random.Random(seed)
    order = list(range(len(pool)))
    rng.shuffle(order)
    for i in range(min(n, len(pool))):
        yield pool[order[i]]
    made = len(pool)
    while made < n:
        a, b = rng.randrange(len(pool)), rng.randrange(len(pool))
        if a != b:
            yield pool[a].rstrip('.!?"') + "; " + pool[b][0].lower() + pool[b][1:]
            made += 1


def write_corpus(pool: list[str], n: int, out: Path) -> Path:
    """Write an N-passage corpus as articles (.jsonl) to `out`, atomically; returns `out`."""
    rng = random.Random(n)
    tmp = out.with_suffix(".tmp")
    out.parent.mkdir(parents=True, exist_ok=True)
    with tmp.open("w", encoding="utf-8") as fh:
        batch: list[str] = []
        article = 0

        def flush() -> None:
            nonlocal article
            date = _START + datetime.timedelta(days=rng.randrange(7 * 365))
            record = {
                "id": f"bench-{n}-{article}",
                "title": batch[0][:80],
                "outlet": OUTLETS[rng.randrange(len(OUTLETS))],
                "date": date.isoformat(),
                "text": " ".join(batch),
            }
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
            article += 1
            batch.clear()

        for passage in passages(pool, n):
            batch.append(passage)
            if len(batch) == SENTENCES_PER_ARTICLE:
                flush()
        if batch:
            flush()
    tmp.replace(out)
    return out
