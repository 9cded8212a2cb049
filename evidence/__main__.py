"""`python -m evidence attribution|syndication|mismatch-dev`: the figures the README reports.

    python -m evidence attribution              # precision per kind on tests/evidence/data/attribution.jsonl
    python -m evidence syndication              # copy detection: methods and threshold on syndication.jsonl
    python -m evidence mismatch-dev [--model M] # mismatch flags on data/nli-news dev pairs, and whether
                                                # counting them as contradictions helps the stance rule

`mismatch-dev` reads the dev split only (the test split is never touched here); it scores every
dev pair with the stance model the way the pipeline reads a passage (with its previous sentence,
and alone) and applies `stance.rule.Thresholds` with and without the mismatch flags.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def _attribution(args: argparse.Namespace) -> int:
    from .labelled import ATTRIBUTION_FILE, read_jsonl, score_attribution

    rows = read_jsonl(Path(args.file) if args.file else ATTRIBUTION_FILE)
    for part in ("dev", "heldout", "final", None):
        chosen = [r for r in rows if part is None or r["part"] == part]
        if not chosen:
            continue
        print(f"[{part or 'all'}]")
        report = score_attribution(chosen)
        print("\n".join(report.lines()))
        if args.errors:
            for row_id, gold, got, speaker in report.errors:
                print(f"    {row_id}: gold {gold}, got {got} ({speaker})")
    return 0


def _syndication(args: argparse.Namespace) -> int:
    from .labelled import SYNDICATION_FILE, read_jsonl
    from .syndication import METHODS, fit_threshold

    rows = read_jsonl(Path(args.file) if args.file else SYNDICATION_FILE)
    fit = [r for i, r in enumerate(rows) if i % 2 == 0]
    held = [r for i, r in enumerate(rows) if i % 2 == 1]
    positives = sum(r["copy"] for r in rows)
    print(
        f"{len(rows)} pairs ({positives} copies); threshold fitted on the even rows, judged on the odd rows"
    )
    methods = dict(METHODS)
    if args.embedder:
        methods["embedding cosine (all-MiniLM-L6-v2)"] = _embedding_similarity()
    for name, similarity in methods.items():
        copies = [similarity(r["a"], r["b"]) for r in rows if r["copy"]]
        others = [similarity(r["a"], r["b"]) for r in rows if not r["copy"]]
        threshold, fit_f1 = fit_threshold(fit, similarity)
        tp = fp = fn = 0
        for r in held:
            said = similarity(r["a"], r["b"]) >= threshold
            tp += said and r["copy"]
            fp += said and not r["copy"]
            fn += (not said) and r["copy"]
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        print(
            f"  {name:<40} threshold {threshold:.2f}  fit F1 {fit_f1:.3f}  "
            f"held-out precision {precision:.3f} recall {recall:.3f}  "
            f"(all pairs: lowest copy {min(copies):.2f}, highest non-copy {max(others):.2f})"
        )
    return 0


def _embedding_similarity() -> Any:
    import numpy as np

    from index import load_embedder

    embedder = load_embedder()
    cache: dict[str, Any] = {}

    def similarity(a: str, b: str) -> float:
        for text in (a, b):
            if text not in cache:
                cache[text] = embedder.encode([text])[0]
        return float(np.dot(cache[a], cache[b]))

    return similarity


@dataclass
class _Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def f1(self) -> float:
        return 2 * self.tp / (2 * self.tp + self.fp + self.fn) if self.tp else 0.0

    def line(self) -> str:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0
        return f"precision {p:.3f} recall {r:.3f} F1 {self.f1():.3f}"


def _mismatch_dev(args: argparse.Namespace) -> int:
    import numpy as np

    from index import load_embedder
    from stance.context import build_premise
    from stance.model import SHIPPED_MODEL, CrossEncoderStance
    from stance.news import event_claims, event_pairs, load_events
    from stance.rule import Reading, Stance, Thresholds, read_rule

    from .mismatch import find_mismatches

    events = [e for e in load_events() if e["split"] == "dev"]  # never the test split
    pairs = [p for e in events for p in event_pairs(e)]
    previous: dict[tuple[str, str], str | None] = {}
    for event in events:
        for article in event["articles"]:  # type: ignore[attr-defined]
            for i, sentence in enumerate(article["sentences"]):
                previous[(str(event["event"]), sentence)] = article["sentences"][i - 1] if i else None
    flags = {(p.claim, p.sentence): find_mismatches(p.claim, p.sentence) for p in pairs}
    by_label: Counter[tuple[str, str]] = Counter()
    for p in pairs:
        for m in flags[(p.claim, p.sentence)]:
            by_label[(m.kind.value, p.label)] += 1
        by_label[("any flag" if flags[(p.claim, p.sentence)] else "no flag", p.label)] += 1
    print(f"dev split: {len(events)} events, {len(pairs)} pairs")
    print("flags by gold label (kind: contradiction / neutral / entailment)")
    for kind in ("number", "unit", "date", "name", "any flag", "no flag"):
        c, n, e = (by_label[(kind, label)] for label in ("contradiction", "neutral", "entailment"))
        print(f"  {kind:<9} {c:>4} / {n:>4} / {e:>4}")
    if args.flags_only:
        return 0

    model_dir = Path(args.model) if args.model else SHIPPED_MODEL
    model = CrossEncoderStance(model_dir)
    rule = Thresholds.from_config({}, read_rule(model_dir) if model_dir.is_dir() else None)
    embedder = load_embedder()
    texts = sorted({p.claim for p in pairs} | {p.sentence for p in pairs})
    vectors = dict(zip(texts, embedder.encode(texts), strict=True))
    with_context = [build_premise(p.sentence, before=previous.get((p.event, p.sentence))) for p in pairs]
    alone = [i for i, p in enumerate(pairs) if with_context[i] != p.sentence.strip()]
    scores = model.predict(
        [(prem, p.claim) for prem, p in zip(with_context, pairs, strict=True)]
        + [(pairs[i].sentence.strip(), pairs[i].claim) for i in alone]
    )
    alone_scores = dict(zip(alone, scores[len(pairs) :], strict=True))
    readings = [Reading.combine(s, alone_scores.get(i)) for i, s in enumerate(scores[: len(pairs)])]
    similarity = [float(np.dot(vectors[p.claim], vectors[p.sentence])) for p in pairs]

    def side(i: int, use_flags: bool) -> tuple[Stance | None, float]:
        stance, score = rule.stance(readings[i], similarity[i])
        if (
            use_flags
            and stance is None
            and flags[(pairs[i].claim, pairs[i].sentence)]
            and similarity[i] >= rule.min_contradict_similarity
        ):
            return Stance.CONTRADICTS, max(readings[i].contradiction, rule.verdict_threshold)
        return stance, score

    gold_side = {"entailment": Stance.SUPPORTS, "contradiction": Stance.CONTRADICTS, "neutral": None}
    gold_verdicts = {(c.event, c.claim): c.verdict for e in events for c in event_claims(e)}
    print(f"stance model {model.name}; rule {rule}")
    for use_flags in (False, True):
        counts = {Stance.SUPPORTS: _Counts(), Stance.CONTRADICTS: _Counts(), None: _Counts()}
        per_claim: dict[tuple[str, str], dict[str, Any]] = defaultdict(
            lambda: {"s": [], "c": [], "best": None}
        )
        changed = 0
        for i, p in enumerate(pairs):
            got, score = side(i, use_flags)
            changed += got != rule.stance(readings[i], similarity[i])[0]
            want = gold_side[p.label]
            for stance, tally in counts.items():
                tally.tp += got == stance and want == stance
                tally.fp += got == stance and want != stance
                tally.fn += got != stance and want == stance
            slot = per_claim[(p.event, p.claim)]
            if got is Stance.SUPPORTS:
                slot["s"].append(score)
            elif got is Stance.CONTRADICTS:
                slot["c"].append(score)
            if similarity[i] >= rule.min_similarity:
                r = readings[i]
                slot["best"] = max(slot["best"] or 0.0, r.entailment, r.contradiction)
        right = sum(
            rule.verdict(v["s"], v["c"], v["best"])[0].value == gold_verdicts[k] for k, v in per_claim.items()
        )
        macro = sum(c.f1() for c in counts.values()) / 3
        label = "rule + mismatch flags as contradictions" if use_flags else "rule alone"
        print(f"[{label}] passages changed: {changed}")
        print(f"  contradicts: {counts[Stance.CONTRADICTS].line()}")
        print(f"  supports:    {counts[Stance.SUPPORTS].line()}")
        print(f"  macro-F1 (supports / contradicts / neither): {macro:.3f}")
        print(f"  claim verdicts right (from the listed pairs): {right}/{len(per_claim)}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evidence", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("attribution", help="precision per kind on the hand-labelled sentences")
    p.add_argument("--file", default=None)
    p.add_argument("--errors", action="store_true", help="list the sentences it gets wrong")
    p = sub.add_parser("syndication", help="copy detection methods and threshold on labelled pairs")
    p.add_argument("--file", default=None)
    p.add_argument("--embedder", action="store_true", help="also measure embedding cosine (loads the model)")
    p = sub.add_parser("mismatch-dev", help="mismatch flags on data/nli-news dev pairs (never test)")
    p.add_argument("--model", default=None, help="stance model directory (default: the shipped one)")
    p.add_argument("--flags-only", action="store_true", help="only the flag counts; no model")
    args = parser.parse_args(argv)
    commands = {"attribution": _attribution, "syndication": _syndication, "mismatch-dev": _mismatch_dev}
    return commands[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
