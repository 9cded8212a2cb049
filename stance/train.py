"""Fine-tuning an NLI cross-encoder: seeded, checkpointed, resumable after Ctrl-C."""

from __future__ import annotations

import hashlib
import json
import math
import os
import random
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import torch
from tqdm import tqdm
from transformers import (
    AutoModelForSequenceClassification,
    AutoTokenizer,
    PreTrainedModel,
    PreTrainedTokenizerBase,
    get_linear_schedule_with_warmup,
)

from stance.augment import sample_contrastive
from stance.data import LABEL_IDS, LABELS, Pair, pairs_digest, read_pairs, split_holdout
from stance.model import batched_logits
from stance.neutrals import build_related_neutrals
from stance.precision import choose_precision, describe

CHECKPOINT = "checkpoint.pt"


@dataclass
class TrainConfig:
    """The whole recipe; written next to the model so a run can be reproduced."""

    base: str
    data: list[str]  # JSON Lines NLI files, or `nli-news:<split>` for the project's news set
    out: str
    work_dir: str
    epochs: float = 3.0
    lr: float = 6e-5
    batch_size: int = 32
    max_length: int = 128
    warmup_ratio: float = 0.06
    weight_decay: float = 0.01
    label_smoothing: float = 0.1
    freeze_word_embeddings: bool = True
    holdout_size: int = 2000
    seed: int = 13  # data order, head init, dropout
    holdout_seed: int = 13  # which pairs are held out; fixed so models of different seeds share it
    checkpoint_every: int = 100
    limit: int | None = None  # use only the first N training pairs (smoke runs)
    sources: list[str] = field(default_factory=list)  # empty: every source
    init: str | None = None  # start from these weights (a stage-1 model) instead of `base`
    swap_contradictions: float = 0.0  # share of contradiction pairs seen hypothesis-first
    distractor_context: float = 0.0  # share of pairs seen with an unrelated sentence in front
    related_neutrals: float = 0.0  # extra related-neutral pairs per epoch, as a share of the pairs
    contrastive: float = 0.0  # contrastive pairs (`stance.augment`) per epoch, as a share of the pairs
    # where a pair carries a teacher's probabilities (`stance.distill`): the target is this share
    # of them plus the rest of the smoothed gold label
    distill_weight: float = 0.5
    precision: str = "auto"  # bf16 autocast where the CPU has native bf16, else fp32 (not in the fingerprint)

    def fingerprint(self) -> str:
        """What a checkpoint must agree with to be resumed (everything but paths)."""
        keep = {k: v for k, v in asdict(self).items() if k not in {"out", "work_dir", "precision"}}
        return json.dumps(keep, sort_keys=True)


def read_sources(sources: Sequence[str]) -> list[Pair]:
    """Pairs from every source in order: a JSON Lines file, `nli-news:<split>` (the news set's
    labelled pairs), `nli-news-implied:<split>[:<per claim>]` (its hard implied neutrals,
    `stance.news.implied_neutrals`) or `nli-news-unlabelled:<per claim>[:<n>|:<a>-<b>]` (claims of the
    unlabelled events, or of the first n of each domain, or of its rounds u<a>..u<b>, with their
    nearest sentences, label unknown: for `python -m stance label` only) or
    `nli-news-transfer[:<n>|:<a>-<b>]` (the same pairs with the teacher's probabilities committed in
    `data/nli-news/transfer`, `stance.transfer`).

    `SOURCE@N` takes a fixed random sample of N pairs of the source (seed 13), e.g. to replay
    some general NLI data while fine-tuning on the news set.
    """
    pairs: list[Pair] = []
    for spec in sources:
        source, _, count = spec.partition("@")
        if source.startswith("nli-news:"):
            from stance.news import split_pairs

            got = split_pairs(source.partition(":")[2])
        elif source.startswith("nli-news-implied:"):
            from stance.news import implied_neutrals

            split, _, per_claim = source.partition(":")[2].partition(":")
            got = implied_neutrals(split, int(per_claim)) if per_claim else implied_neutrals(split)
        elif source == "nli-news-transfer" or source.startswith("nli-news-transfer:"):
            from stance.transfer import transfer_pairs
            from stance.unlabelled import parse_rounds

            got = transfer_pairs(rounds=parse_rounds(source.partition(":")[2]))
        elif source.startswith("nli-news-unlabelled:"):
            from stance.unlabelled import parse_rounds, unlabelled_pairs

            per_claim, _, rounds = source.partition(":")[2].partition(":")
            got = unlabelled_pairs(int(per_claim), rounds=parse_rounds(rounds))
        else:
            got = read_pairs(Path(source))
        if count:
            got = random.Random(13).sample(got, min(int(count), len(got)))
        pairs += got
    return pairs


def require_labels(pairs: list[Pair]) -> list[Pair]:
    """`pairs`, or a ValueError when some have neither a label nor a teacher's probabilities."""
    unlabelled = sum(p.label < 0 and p.soft is None for p in pairs)
    if unlabelled:
        raise ValueError(
            f"{unlabelled} pairs have no label (nli-news-unlabelled): label them with a teacher first "
            "(python -m stance label), then train on its output file"
        )
    return pairs


def _encode(
    tokenizer: PreTrainedTokenizerBase, pairs: Sequence[Pair], max_length: int
) -> list[dict[str, list[int]]]:
    enc = tokenizer(
        [p.premise for p in pairs],
        [p.hypothesis for p in pairs],
        truncation="longest_first",
        max_length=max_length,
    )
    keys = [k for k in ("input_ids", "attention_mask", "token_type_ids") if k in enc]
    return [{k: enc[k][i] for k in keys} for i in range(len(pairs))]


def epoch_batches(lengths: Sequence[int], batch_size: int, seed: int, epoch: int) -> list[list[int]]:
    """Length-grouped batches in a seeded order: shuffle, sort within chunks, shuffle batches.

    Padding to the longest pair of a random batch wastes most of the compute on CPU; grouping
    pairs of similar length keeps batches dense while the chunking keeps the order random.
    """
    rng = random.Random(seed * 1000 + epoch)
    order = list(range(len(lengths)))
    rng.shuffle(order)
    chunk = batch_size * 50
    batches: list[list[int]] = []
    for start in range(0, len(order), chunk):
        part = sorted(order[start : start + chunk], key=lambda i: lengths[i])
        batches.extend(part[i : i + batch_size] for i in range(0, len(part), batch_size))
    rng.shuffle(batches)
    return batches


def augment(
    pairs: Sequence[Pair], config: TrainConfig, epoch: int, neutrals: Sequence[Pair] = ()
) -> list[Pair]:
    """One epoch's view of the training pairs, seeded by epoch (so a resumed run sees the same).

    Both transformations keep the label:
    - contradiction is symmetric, so a contradiction pair also holds hypothesis-first;
    - an unrelated sentence in front of the premise changes nothing. The service gives the
      model the passage's previous sentence as context; this teaches it to use such a sentence
      when it helps and to ignore it when it does not (a model trained only on single-sentence
      premises was distracted by it: see the model card).
    A fresh sample of related neutrals (`stance.neutrals`) is added to every epoch.

    The shipped recipe uses none of these: a stage 2 with all three was worse on every figure
    (model card, "Tried and not shipped"). Swapping contradictions only also teaches a shortcut
    (a short premise before a long hypothesis means contradiction).
    """
    rng = random.Random(config.seed * 7919 + epoch)
    extra: list[Pair] = []
    if config.contrastive:
        extra = sample_contrastive(pairs, config.contrastive, config.seed * 7919 + epoch)
    if neutrals and config.related_neutrals:
        count = min(len(neutrals), int(config.related_neutrals * len(pairs)))
        extra += rng.sample(list(neutrals), count)
    pairs = [*pairs, *extra]
    if not config.swap_contradictions and not config.distractor_context:
        return list(pairs)
    contradiction = LABEL_IDS["contradiction"]
    pool = [p.premise for p in pairs if len(p.premise.split()) <= 40]
    out: list[Pair] = []
    for pair in pairs:
        premise, hypothesis = pair.premise, pair.hypothesis
        if pair.label == contradiction and rng.random() < config.swap_contradictions:
            premise, hypothesis = hypothesis, premise
        if pool and rng.random() < config.distractor_context:
            distractor = rng.choice(pool).strip()
            if distractor[-1:] not in ".!?":
                distractor += "."
            premise = f"{distractor} {premise}"
        out.append(replace(pair, premise=premise, hypothesis=hypothesis))
    return out


def targets(pairs: Sequence[Pair], label_smoothing: float, distill_weight: float) -> torch.Tensor:
    """One target distribution a pair, for a cross-entropy against probabilities.

    A plain pair's is its gold label smoothed exactly as `CrossEntropyLoss(label_smoothing=...)`
    smooths it. A distilled pair's mixes in its teacher's probabilities, `distill_weight` of
    them: the teacher's doubt between neutral and contradiction on a near-miss sentence is
    what a hard label cannot teach the student.
    """
    n = len(LABELS)
    out = torch.full((len(pairs), n), label_smoothing / n)
    out[torch.arange(len(pairs)), torch.tensor([p.label for p in pairs], dtype=torch.long)] += (
        1 - label_smoothing
    )
    for i, pair in enumerate(pairs):
        if pair.soft is not None:
            out[i] = distill_weight * torch.tensor(pair.soft) + (1 - distill_weight) * out[i]
    return out


def _collate(
    tokenizer: PreTrainedTokenizerBase, features: list[dict[str, list[int]]]
) -> dict[str, torch.Tensor]:
    return dict(tokenizer.pad(features, return_tensors="pt"))


def _atomic_save(obj: dict[str, Any], path: Path) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def train(config: TrainConfig, on_step: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Train, resuming from `work_dir` when its checkpoint matches this recipe.

    `on_step` is called after every optimiser step (tests use it to interrupt a run).
    """
    random.seed(config.seed)
    torch.manual_seed(config.seed)
    work = Path(config.work_dir)
    work.mkdir(parents=True, exist_ok=True)

    pairs = require_labels(read_sources(config.data))
    if config.sources:
        pairs = [p for p in pairs if p.source in set(config.sources)]
    train_pairs, holdout = split_holdout(pairs, config.holdout_size, config.holdout_seed)
    if config.limit is not None:
        train_pairs = train_pairs[: config.limit]
    # The recipe names its sources (`nli-news:extra`), not their contents: an event file added or
    # edited since a checkpoint was written changes the pairs, their order and the step count.
    data = {"pairs": len(pairs), "sha256": pairs_digest(pairs)}

    start = config.init or config.base
    tokenizer = AutoTokenizer.from_pretrained(start)
    model = AutoModelForSequenceClassification.from_pretrained(
        start,
        dtype=torch.float32,
        num_labels=len(LABELS),
        id2label=dict(enumerate(LABELS)),
        label2id=dict(LABEL_IDS),
        ignore_mismatched_sizes=True,
    )
    if config.freeze_word_embeddings:
        # 11.7M of MiniLM's 22.7M weights; freezing them speeds each step and, with only
        # 50k pairs, keeps the pretrained vocabulary from drifting.
        model.get_input_embeddings().weight.requires_grad_(False)

    neutrals: list[Pair] = []
    if config.related_neutrals:
        # cached per (seed, data): the embedding pass takes minutes on CPU
        key = hashlib.sha256(repr((config.seed, data["sha256"], len(train_pairs))).encode()).hexdigest()[:12]
        neutrals = build_related_neutrals(train_pairs, config.seed, work / f"related-neutrals-{key}.jsonl")

    def encode_epoch(epoch: int) -> tuple[list[Pair], list[dict[str, list[int]]], list[int]]:
        view = augment(train_pairs, config, epoch, neutrals)
        features = _encode(tokenizer, view, config.max_length)
        return view, features, [len(f["input_ids"]) for f in features]

    per_epoch = math.ceil(len(augment(train_pairs, config, 0, neutrals)) / config.batch_size)
    total_steps = max(1, int(per_epoch * config.epochs))

    no_decay = ("bias", "LayerNorm.weight")
    params = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(
        [
            {
                "params": [p for n, p in params if not n.endswith(no_decay)],
                "weight_decay": config.weight_decay,
            },
            {"params": [p for n, p in params if n.endswith(no_decay)], "weight_decay": 0.0},
        ],
        lr=config.lr,
    )
    scheduler = get_linear_schedule_with_warmup(  # type: ignore[no-untyped-call]
        optimizer, int(total_steps * config.warmup_ratio), total_steps
    )
    loss_fn = torch.nn.CrossEntropyLoss()  # against `targets`: smoothing and teachers are in them

    step = 0
    ckpt_path = work / CHECKPOINT
    if ckpt_path.exists():
        state = torch.load(ckpt_path, weights_only=False)
        if state["fingerprint"] != config.fingerprint():
            print(f"ignoring {ckpt_path}: it was written by a different recipe")
        elif state.get("data") != data:
            before = (state.get("data") or {}).get("pairs", "unknown")
            print(f"ignoring {ckpt_path}: its training data changed since ({before} -> {len(pairs)} pairs)")
        else:
            model.load_state_dict(state["model"])
            optimizer.load_state_dict(state["optimizer"])
            scheduler.load_state_dict(state["scheduler"])
            torch.set_rng_state(state["torch_rng"])
            step = int(state["step"])
            print(f"resuming from step {step}/{total_steps} ({ckpt_path})")

    def save_checkpoint() -> None:
        _atomic_save(
            {
                "fingerprint": config.fingerprint(),
                "data": data,
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "torch_rng": torch.get_rng_state(),
                "step": step,
            },
            ckpt_path,
        )

    # Training runs in bf16 where the CPU has it, else fp32: int8 is an inference format only.
    precision = choose_precision(config.precision)
    if precision == "int8":
        precision = "fp32"
    print(describe(precision))
    started = time.monotonic()
    done_at_start = step
    bar = tqdm(total=total_steps, initial=step, desc="train-stance", unit="step", dynamic_ncols=True)
    running = 0.0
    model.train()
    try:
        while step < total_steps:
            epoch, offset = divmod(step, per_epoch)
            view, encoded, lengths = encode_epoch(epoch)
            batches = epoch_batches(lengths, config.batch_size, config.seed, epoch)
            for batch in batches[offset:]:
                if step >= total_steps:
                    break
                inputs = _collate(tokenizer, [encoded[i] for i in batch])
                target = targets([view[i] for i in batch], config.label_smoothing, config.distill_weight)
                with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
                    logits = model(**inputs).logits
                loss = loss_fn(logits.float(), target)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad(set_to_none=True)
                step += 1
                running = 0.98 * running + 0.02 * loss.item() if step > 1 else loss.item()
                bar.update(1)
                rate = (step - done_at_start) * config.batch_size / (time.monotonic() - started)
                bar.set_postfix(
                    epoch=epoch + 1,
                    loss=f"{running:.3f}",
                    lr=f"{scheduler.get_last_lr()[0]:.1e}",
                    pairs_s=f"{rate:.0f}",
                )
                if step % config.checkpoint_every == 0:
                    save_checkpoint()
                if on_step is not None:
                    on_step(step)
    except KeyboardInterrupt:
        save_checkpoint()
        bar.close()
        print(f"\ninterrupted: checkpoint at step {step}/{total_steps}; run again to resume")
        raise
    bar.close()
    save_checkpoint()

    model.eval()
    logits = batched_logits(
        model,
        tokenizer,
        [(p.premise, p.hypothesis) for p in holdout],
        max_length=config.max_length,
        batch_size=64,
    )
    gold = torch.tensor([p.label for p in holdout])
    holdout_acc = float((logits.argmax(-1) == gold).float().mean())
    report = {
        "recipe": asdict(config),
        "train_pairs": len(train_pairs),
        "holdout_pairs": len(holdout),
        "steps": total_steps,
        "holdout_accuracy": round(holdout_acc, 4),
        "train_seconds_this_run": round(time.monotonic() - started, 1),
    }
    publish(model, tokenizer, Path(config.out), report)
    print(f"holdout accuracy {holdout_acc:.4f}; model written to {config.out}")
    return report


def publish(
    model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, out: Path, report: dict[str, Any]
) -> None:
    """Write the model as fp16 safetensors into a temporary directory, then swap it in."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    model.half().save_pretrained(tmp, safe_serialization=True)  # type: ignore[no-untyped-call]
    model.float()  # type: ignore[no-untyped-call]
    tokenizer.save_pretrained(tmp)
    # The model card is kept; a calibration belongs to the old weights and is refitted
    # (`python -m stance calibrate`, which `make train-stance` runs next).
    for keep in ("README.md",):
        if (out / keep).exists():
            shutil.copy2(out / keep, tmp / keep)
    (tmp / "training.json").write_text(json.dumps(report, indent=2) + "\n")
    old = out.with_name(out.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if out.exists():
        os.replace(out, old)
    os.replace(tmp, out)
    shutil.rmtree(old, ignore_errors=True)
