"""End to end on the project's news set: index a split's events, verify each claim, score the answers.

`python -m service.news_eval verify [--split test]` (`make eval-verify`) builds an index from the
split's articles (each event's sentences as passages, with outlets and dates), posts every claim
of the split to `POST /verify` of a real app (the configured models, in-process) and prints:

    verify_eval claims=N verdict_acc=X support_recall=X contradict_recall=X wrong_bucket=N

- verdict_acc: the answer's verdict equals the gold one (`stance.news.gold_verdict`);
- support_recall / contradict_recall: of the gold supporting (contradicting) sentences of all
  claims, the share listed in `supporting` (`contradicting`), with `top_k` 10;
- wrong_bucket: listed passages whose gold label is not that side: a gold contradiction in
  `supporting`, a gold support in `contradicting`, or a neutral sentence in either.

`python -m service.news_eval fit --model DIR` fits the decision rule (`stance.rule.Thresholds`)
for a stance model on the **dev** split: it retrieves and reads every candidate once through the
pipeline's own functions, then searches the thresholds by coordinate ascent (from several
starting gates, `GATE_STARTS`) and writes `DIR/rule.json`; then it posts every dev claim to
`/verify` under that rule and fits the confidence curves (`stance.confidence`: the confidence as the
probability that the verdict is right) into it. `fit-confidence` fits only the curves. `verify`
also prints, before its last line, how well the confidences predict right verdicts:

    verify_confidence ece=X brier=X auroc=X mean_confidence=X sure_share=X sure_accuracy=X

The test split is never used for fitting.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from stance.confidence import ConfidenceReport, confidence_report, fit_confidence_map
from stance.news import EVENTS_DIR, NewsClaim, event_claims, load_events
from stance.rule import RULE_FILE, Reading, Thresholds, read_rule, write_rule

EVAL_ROOT = Path("var/eval")
TOP_K = 10


def key(text: str) -> str:
    """Sentence identity across the corpus round trip: lower-case letters and digits."""
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def split_events(split: str, directory: Path = EVENTS_DIR) -> list[dict[str, Any]]:
    return [e for e in load_events(directory) if e["split"] == split]


def write_corpus(events: Sequence[dict[str, Any]], path: Path) -> None:
    """One JSON line per article: the index's `.jsonl` corpus format."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as out:
        for event in events:
            for art in event["articles"]:
                row = {
                    "id": f"{event['event']}--{art['id']}",
                    "text": " ".join(art["sentences"]),
                    "outlet": art["outlet"],
                    "date": art["date"],
                    "title": art["title"],
                }
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
    tmp.replace(path)


def ensure_index(split: str, embedder: Any, root: Path = EVAL_ROOT) -> Path:
    """Index root for a split's events, rebuilt only when the events changed."""
    from index import build_index

    events = split_events(split)
    corpus = root / f"{split}-corpus.jsonl"
    write_corpus(events, corpus)
    digest = hashlib.sha256(corpus.read_bytes()).hexdigest()
    index_dir = root / f"{split}-index"
    stamp = index_dir / "corpus.sha256"
    if not (stamp.is_file() and stamp.read_text() == digest and (index_dir / "current").exists()):
        build_index(corpus, index_dir, embedder, progress=sys.stderr.isatty())
        stamp.write_text(digest)
    return index_dir


@dataclass
class Scores:
    """The end-to-end figures over a set of claims."""

    claims: int = 0
    verdict_right: int = 0
    gold_support: int = 0
    found_support: int = 0
    gold_contra: int = 0
    found_contra: int = 0
    wrong_bucket: int = 0
    listed: int = 0
    confusion: Counter[tuple[str, str]] | None = None
    # (verdict, confidence, right) of each answer, when scored through `verify`
    answers: list[tuple[str, float, bool]] = field(default_factory=list)

    def add(
        self,
        gold: NewsClaim,
        verdict: str,
        supporting: Sequence[str],
        contradicting: Sequence[str],
        confidence: float | None = None,
    ) -> None:
        """One answer: its verdict, the texts of its listed passages per side, its confidence."""
        if self.confusion is None:
            self.confusion = Counter()
        self.confusion[(gold.verdict, verdict)] += 1
        if confidence is not None:
            self.answers.append((verdict, confidence, verdict == gold.verdict))
        self.claims += 1
        self.verdict_right += verdict == gold.verdict
        sup = {key(s) for s in gold.supporting}
        con = {key(s) for s in gold.contradicting}
        got_sup = {key(t) for t in supporting}
        got_con = {key(t) for t in contradicting}
        self.gold_support += len(sup)
        self.found_support += len(sup & got_sup)
        self.gold_contra += len(con)
        self.found_contra += len(con & got_con)
        self.listed += len(got_sup) + len(got_con)
        self.wrong_bucket += len(got_sup - sup) + len(got_con - con)

    @property
    def verdict_acc(self) -> float:
        return self.verdict_right / max(1, self.claims)

    @property
    def support_recall(self) -> float:
        return self.found_support / max(1, self.gold_support)

    @property
    def contradict_recall(self) -> float:
        return self.found_contra / max(1, self.gold_contra)

    def objective(self) -> float:
        """What `fit` maximises: verdicts first, then evidence found, less evidence misfiled."""
        wrong_rate = self.wrong_bucket / max(1, self.listed)
        return (
            self.verdict_acc
            + 0.5 * min(self.support_recall, self.contradict_recall)
            + 0.25 * (self.support_recall + self.contradict_recall)
            - 0.5 * wrong_rate
        )

    def line(self) -> str:
        return (
            f"verify_eval claims={self.claims} verdict_acc={self.verdict_acc:.4f} "
            f"support_recall={self.support_recall:.4f} contradict_recall={self.contradict_recall:.4f} "
            f"wrong_bucket={self.wrong_bucket}"
        )

    def table(self) -> str:
        labels = ("supported", "refuted", "conflicting", "not_enough_info")
        rows = ["gold \\ answer".ljust(18) + "".join(f"{x[:12]:>14}" for x in labels)]
        for g in labels:
            rows.append(g.ljust(18) + "".join(f"{(self.confusion or Counter())[(g, a)]:>14}" for a in labels))
        return "\n".join(rows)


# ---------------------------------------------------------------------------------------------
# end to end through POST /verify


def run_verify(
    split: str, *, stance_model: str | None, show: int = 0, calibrated_confidence: bool = True
) -> Scores:
    """Post every claim of the split to `/verify` on a real app over the split's index
    (`calibrated_confidence` false: answers with the rule's raw confidence, to fit the map on)."""
    from index import load_embedder
    from service import create_app

    embedder = load_embedder()
    index_dir = ensure_index(split, embedder)
    config: dict[str, Any] = {
        "INDEX_DIR": str(index_dir),
        "RELOAD_THREAD": False,
        "CALIBRATED_CONFIDENCE": calibrated_confidence,
    }
    if stance_model:
        config["STANCE_MODEL"] = stance_model
    app = create_app(config)
    client = app.test_client()
    ready = client.get("/ready")
    if ready.status_code != 200:
        raise SystemExit(f"service not ready: {ready.get_json()}")
    claims = [c for e in split_events(split) for c in event_claims(e)]
    scores = Scores()
    try:
        from tqdm import tqdm

        progress = tqdm(claims, desc=f"verify {split}", unit="claim", disable=not sys.stderr.isatty())
        for claim in progress:
            resp = client.post("/verify", json={"claim": claim.claim, "top_k": TOP_K})
            if resp.status_code != 200:
                raise SystemExit(
                    f"/verify answered {resp.status_code} for {claim.claim!r}: {resp.get_data(True)}"
                )
            body = resp.get_json()
            sup = [e["text"] for e in body["supporting"]]
            con = [e["text"] for e in body["contradicting"]]
            scores.add(claim, body["verdict"], sup, con, body["confidence"])
            if show and body["verdict"] != claim.verdict and show > 0:
                show -= 1
                print(f"  [{claim.verdict} -> {body['verdict']}] {claim.claim}")
    finally:
        from service.resources import EXTENSION

        app.extensions[EXTENSION].runtime.stop()
    return scores


# ---------------------------------------------------------------------------------------------
# fitting the rule on dev


Candidates = list[tuple[Any, Reading]]  # (SearchHit, its reading) for every retrieved hit


def collect(
    split: str, stance_model: Any, embedder: Any, candidates: int
) -> list[tuple[NewsClaim, Candidates]]:
    """Retrieve and read every candidate of every claim once (the pipeline's own functions)."""
    from index import Snapshot
    from service.pipeline import read_stance

    snapshot = Snapshot.load(ensure_index(split, embedder), embedder)
    out = []
    claims = [c for e in split_events(split) for c in event_claims(e)]
    from tqdm import tqdm

    for claim in tqdm(claims, desc=f"read {split}", unit="claim", disable=not sys.stderr.isatty()):
        hits = snapshot.search(claim.claim, max(3 * TOP_K, candidates))
        readings = read_stance(claim.claim, hits, stance_model)
        out.append((claim, list(zip(hits, readings, strict=True))))
    return out


def simulate(data: Sequence[tuple[NewsClaim, Candidates]], t: Thresholds) -> Scores:
    """What `verify` would answer under `t`, scored: `service.pipeline.assess` on the cached readings."""
    from service.pipeline import assess

    scores = Scores()
    for claim, cands in data:
        kept = [(h, r) for h, r in cands if h.similarity >= t.min_similarity]
        result = assess([h for h, _ in kept], [r for _, r in kept], t)
        scores.add(
            claim,
            str(result.verdict),
            [e.text for e in result.supporting[:TOP_K]],
            [e.text for e in result.contradicting[:TOP_K]],
        )
    return scores


GRID: dict[str, list[float | None]] = {
    "context_weight": [None, 0.0, 0.25, 0.5, 0.75, 1.0],
    "reference_weight": [0.0, 0.25, 0.5, 0.75, 1.0],
    "min_similarity": [0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4],
    "support_threshold": [round(0.2 + 0.05 * i, 2) for i in range(15)],
    "min_support_similarity": [0.0, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55],
    "contradict_threshold": [round(0.2 + 0.05 * i, 2) for i in range(15)],
    "contradict_slope": [0.0, 0.5, 1.0, 1.5, 2.0],
    "min_contradict_similarity": [0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55],
    "verdict_threshold": [round(0.2 + 0.05 * i, 2) for i in range(16)],
    "conflict_threshold": [round(0.3 + 0.05 * i, 2) for i in range(14)],
    "conflict_margin": [0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3],
}


# Where the ascent starts: each relevance gate (`min_similarity`, both sides) with each support
# gate (`min_support_similarity`). Moving one setting at a time cannot reach "a low gate for
# contradictions, a higher one for support" from one gate for both: lowering the relevance gate
# alone lets weak support in, and raising the support gate alone changes nothing. So the ascent
# runs from every pair (a support gate at or under the relevance gate is no gate) and keeps the best.
GATE_STARTS: list[tuple[float, float]] = [
    (relevance, support)
    for relevance in (0.25, 0.3, 0.35, 0.4)
    for support in (0.0, 0.4, 0.45, 0.5)
    if support == 0.0 or support > relevance
]


def ascend(
    data: Sequence[tuple[NewsClaim, Candidates]],
    start: Thresholds,
    fixed: Sequence[str],
    min_gain: float = 0.0,
) -> tuple[Thresholds, float]:
    """Coordinate ascent over `GRID` (three rounds) from `start`, maximising `Scores.objective`:
    each setting in turn moves to its best value on the grid when that gains more than
    `min_gain`; the settings named in `fixed` keep their value."""
    best, best_score = start, simulate(data, start).objective()
    for _ in range(3):
        improved = False
        for name, values in GRID.items():
            if name in fixed:
                continue
            top, top_score = best, best_score
            for value in values:
                change: dict[str, Any] = {name: value}
                trial = replace(best, **change)
                if trial.verdict_threshold > trial.conflict_threshold:
                    continue
                score = simulate(data, trial).objective()
                if score > top_score + 1e-9:
                    top, top_score = trial, score
            if top_score > best_score + max(min_gain, 1e-9):
                best, best_score, improved = top, top_score, True
        if not improved:
            break
    return best, best_score


def fit(
    data: Sequence[tuple[NewsClaim, Candidates]],
    start: Thresholds | None = None,
    *,
    fixed: Sequence[str] = (),
    progress: bool = False,
    current: Thresholds | None = None,
    min_gain: float = 0.0,
) -> Thresholds:
    """The rule that maximises `Scores.objective` on `data`: `ascend` from `current` (the model's
    rule as shipped, when there is one), from `start` and from every pair of `GATE_STARTS`
    (unless a gate is in `fixed`); a later start wins only by more than `min_gain`, and so does
    each move of an ascent. With a `min_gain` about the dev set's noise, a refit keeps the rule
    it has unless a change clearly measures better. The relevance gate is then raised to the
    lower of the two side gates."""
    first = start or Thresholds()
    starts = [] if current is None else [replace(current, **{k: getattr(first, k) for k in fixed})]
    starts.append(first)
    for relevance, support in GATE_STARTS:
        gates: dict[str, Any] = {"min_similarity": relevance, "min_support_similarity": support}
        trial = replace(first, **{k: v for k, v in gates.items() if k not in fixed})
        if trial not in starts:
            starts.append(trial)
    from tqdm import tqdm

    best, best_score = first, float("-inf")
    for trial in tqdm(starts, desc="fit", unit="start", disable=not progress):
        rule, score = ascend(data, trial, fixed, min_gain)
        if score > best_score + max(min_gain, 1e-9):  # the first start always wins over -inf
            best, best_score = rule, score
    # A passage under both side gates can never be listed, so it is not worth reading: raise the
    # relevance gate to the lower side gate (the same answers, fewer passages scored).
    support_gate = max(best.min_similarity, best.min_support_similarity)
    contradict_gate = max(best.min_similarity, best.min_contradict_similarity)
    return replace(best, min_similarity=min(support_gate, contradict_gate))


def fit_confidence(model_dir: Path, split: str) -> None:
    """Fit the rule's confidence curves (`stance.confidence`) on the split's answers through
    `/verify` under the model's rule.json, with the raw confidence, and add them to rule.json."""
    rule = read_rule(model_dir)
    if rule is None:
        raise SystemExit(f"{model_dir} has no {RULE_FILE}: fit the rule first (make fit-rule)")
    scores = run_verify(split, stance_model=str(model_dir), calibrated_confidence=False)
    curves = fit_confidence_map(scores.answers)
    raw = confidence_report([(c, ok) for _, c, ok in scores.answers])
    fitted = confidence_report([(curves(v, c), ok) for v, c, ok in scores.answers])
    print(f"raw confidence:    {raw.line()}")
    print(f"fitted confidence: {fitted.line()}")
    path = model_dir / RULE_FILE
    report = {k: v for k, v in json.loads(path.read_text()).items() if k not in ("thresholds", "confidence")}
    report["confidence_fit"] = {
        "fitted_on": f"data/nli-news {split} split ({raw.answers} claims) through /verify, never test",
        "curve": "confidence = sigmoid(slope * logit(raw) + intercept) per verdict (stance.confidence)",
        "raw": _report_json(raw),
        "fitted": _report_json(fitted),
    }
    write_rule(model_dir, replace(rule, confidence_map=curves), report)
    print(f"written {path}")


def _report_json(r: ConfidenceReport) -> dict[str, float]:
    return {k: round(getattr(r, k), 4) for k in ("accuracy", "mean_confidence", "ece", "brier", "auroc")}


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    parser = argparse.ArgumentParser(prog="python -m service.news_eval", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_verify = sub.add_parser("verify", help="end to end through POST /verify on a split (default test)")
    p_verify.add_argument("--split", default="test", choices=("train", "dev", "test"))
    p_verify.add_argument("--model", default=None, help="stance model (default: the shipped one)")
    p_verify.add_argument("--show", type=int, default=0, help="print this many wrong verdicts")
    p_conf = sub.add_parser(
        "fit-confidence",
        help="fit only the confidence curves of MODEL's rule on the dev split (rule.json's thresholds kept)",
    )
    p_conf.add_argument("--model", default="models/stance-minilm-l6-nli")
    p_fit = sub.add_parser(
        "fit", help="fit the decision rule, then its confidence curves, on dev; writes MODEL/rule.json"
    )
    p_fit.add_argument("--model", default="models/stance-minilm-l6-nli")
    p_fit.add_argument("--split", default="dev", choices=("train", "dev"))
    p_fit.add_argument(
        "--context-weight",
        type=float,
        default=None,
        help="fix CONTEXT_WEIGHT instead of fitting it (0: each passage read once, alone: half the cost)",
    )
    p_fit.add_argument(
        "--min-similarity",
        type=float,
        default=None,
        help="fix MIN_SIMILARITY instead of fitting it (0.35: the passages read, so the stance cost)",
    )
    p_fit.add_argument(
        "--support-threshold",
        type=float,
        default=None,
        help="fix SUPPORT_THRESHOLD instead of fitting it (0.5: entailment must be at least even odds)",
    )
    p_fit.add_argument(
        "--min-gain",
        type=float,
        default=0.0,
        help="take a change of the rule only when it gains more than this on the dev objective",
    )
    p_fit.add_argument(
        "--fresh",
        action="store_true",
        help="ignore the model's rule.json (by default the fit also starts from it)",
    )
    args = parser.parse_args(argv)

    if args.command == "verify":
        scores = run_verify(args.split, stance_model=args.model, show=args.show)
        print(scores.table())
        print(confidence_report([(c, ok) for _, c, ok in scores.answers]).line())
        print(scores.line())
        return 0
    if args.command == "fit-confidence":
        fit_confidence(Path(args.model), "dev")
        return 0

    start = Thresholds()
    fixed: tuple[str, ...] = ()
    for name in ("context_weight", "min_similarity", "support_threshold"):
        value = getattr(args, name)
        if value is None:
            continue
        if not 0.0 <= value <= 1.0:
            parser.error(f"--{name.replace('_', '-')} must be between 0 and 1")
        start, fixed = replace(start, **{name: value}), (*fixed, name)
    if args.min_gain < 0.0:
        parser.error("--min-gain must be 0 or more")

    from index import load_embedder
    from stance.model import CrossEncoderStance

    embedder = load_embedder()
    model = CrossEncoderStance(args.model)
    current = None if args.fresh else read_rule(args.model)
    if current is not None:  # as the fit starts from it: the fixed settings imposed
        current = replace(current, **{k: getattr(start, k) for k in fixed})
    data = collect(args.split, model, embedder, start.candidates)
    before = simulate(data, start)
    rule = fit(
        data,
        start,
        fixed=fixed,
        progress=sys.stderr.isatty(),
        current=current,
        min_gain=args.min_gain,
    )
    after = simulate(data, rule)
    print(f"defaults: {before.line()}")
    if current is not None:
        print(f"current:  {simulate(data, current).line()}")
    print(f"fitted:   {after.line()}")
    print(json.dumps(rule.to_json()))
    write_rule(
        Path(args.model),
        replace(rule, confidence_map=None),  # curves for these thresholds come next
        {
            "fitted_on": f"data/nli-news {args.split} split ({after.claims} claims), never test",
            "objective": "verdict_acc + 0.5*min(recalls) + 0.25*(sum of recalls) - 0.5*wrong_bucket_rate",
            "fixed": {name: getattr(start, name) for name in fixed},
            "min_gain": args.min_gain,
            "started_from": "defaults" if current is None else "defaults and the previous rule.json",
            "dev": {
                "verdict_acc": round(after.verdict_acc, 4),
                "support_recall": round(after.support_recall, 4),
                "contradict_recall": round(after.contradict_recall, 4),
                "wrong_bucket": after.wrong_bucket,
            },
        },
    )
    print(f"written {Path(args.model) / 'rule.json'}")
    fit_confidence(Path(args.model), args.split)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
