"""The end-to-end news scoring: verdicts, recalls and misfiled passages counted as documented."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from service import news_eval
from service.news_eval import GATE_STARTS, Scores, fit, key, main, write_corpus
from stance.news import NewsClaim
from stance.rule import Thresholds, Verdict, read_rule, write_rule


def claim(verdict: str, supporting: tuple[str, ...] = (), contradicting: tuple[str, ...] = ()) -> NewsClaim:
    return NewsClaim("ev", "test", "A claim", verdict, supporting, contradicting)


def test_scores_count_recall_and_wrong_buckets() -> None:
    s = Scores()
    gold = claim("conflicting", ("The deal was signed on Monday.",), ("No deal has been signed.",))
    # the support found (different spacing and case), the contradiction filed as support, one neutral listed
    s.add(
        gold, "supported", ["the deal was signed  on Monday.", "No deal has been signed."], ["Talks went on."]
    )
    s.add(claim("not_enough_info"), "not_enough_info", [], [])
    assert s.claims == 2 and s.verdict_acc == 0.5
    assert s.support_recall == 1.0 and s.contradict_recall == 0.0
    assert s.wrong_bucket == 2
    assert s.line() == (
        "verify_eval claims=2 verdict_acc=0.5000 support_recall=1.0000 "
        "contradict_recall=0.0000 wrong_bucket=2"
    )


def test_key_ignores_case_and_punctuation() -> None:
    assert key("Officials said: 40 buses!") == key("officials said 40 buses")


def test_the_corpus_is_one_line_per_article(tmp_path: Path) -> None:
    events = [
        {
            "event": "e1",
            "articles": [
                {
                    "id": "a1",
                    "outlet": "O",
                    "date": "2024-01-02",
                    "title": "T",
                    "sentences": ["One two.", "Three."],
                }
            ],
        }
    ]
    path = tmp_path / "c.jsonl"
    write_corpus(events, path)
    assert path.read_text().count("\n") == 1
    assert '"id": "e1--a1"' in path.read_text() and '"text": "One two. Three."' in path.read_text()


@pytest.mark.parametrize("option", ["--context-weight", "--support-threshold"])
def test_fit_refuses_a_fixed_setting_outside_0_to_1_before_loading_models(
    option: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["fit", "--model", "models/stance-minilm-l6-nli", option, "1.5"])
    assert exc.value.code == 2
    assert f"{option} must be between 0 and 1" in capsys.readouterr().err


def test_fit_starts_from_every_gate_pair_and_keeps_the_best(monkeypatch: pytest.MonkeyPatch) -> None:
    """Wiring: the ascent itself is replaced by a scorer that prefers one gate pair."""
    seen: list[tuple[float, float]] = []

    def fake_ascend(
        data: object, start: Thresholds, fixed: object, min_gain: float = 0.0
    ) -> tuple[Thresholds, float]:
        gates = (start.min_similarity, start.min_support_similarity)
        seen.append(gates)
        return replace(start, min_contradict_similarity=0.35), 2.0 if gates == (0.3, 0.45) else 1.0

    monkeypatch.setattr(news_eval, "ascend", fake_ascend)
    start = Thresholds(min_similarity=0.4)
    best = fit([], start)
    assert seen[0] == (0.4, 0.0) and set(GATE_STARTS) <= set(seen)
    # the best start's support gate; its relevance gate raised to the lower side gate (0.35): a
    # passage under both side gates is never listed, so it is not read
    assert (best.min_similarity, best.min_support_similarity) == (0.35, 0.45)
    # a fixed gate is never moved
    seen.clear()
    fit([], start, fixed=("min_similarity",))
    assert {relevance for relevance, _ in seen} == {0.4}


def test_a_refit_keeps_the_current_rule_unless_a_start_beats_it_by_the_min_gain(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Wiring: the model's current rule is the first start; another wins only by more than min_gain."""
    current = Thresholds(
        min_similarity=0.35, min_support_similarity=0.4, min_contradict_similarity=0.1, conflict_margin=0.1
    )
    gains: list[float] = []

    def fake_ascend(
        data: object, start: Thresholds, fixed: object, min_gain: float = 0.0
    ) -> tuple[Thresholds, float]:
        gains.append(min_gain)
        return start, 1.05 if start == current else 1.055  # every fresh start: a hair better

    monkeypatch.setattr(news_eval, "ascend", fake_ascend)
    start = Thresholds(min_similarity=0.35)
    assert fit([], start, fixed=("min_similarity",), current=current, min_gain=0.01) == current
    assert set(gains) == {0.01}  # each ascent's moves need the same gain
    assert fit([], start, fixed=("min_similarity",), current=current) != current  # no min gain: the best


def test_fit_confidence_adds_curves_to_the_rule_and_keeps_its_thresholds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Wiring: the dev answers (raw confidence) go to the curve fit, the curves into rule.json."""
    import json
    import random

    rule = Thresholds(conflict_margin=0.1, reference_weight=0.75)
    write_rule(tmp_path, rule, {"fitted_on": "dev", "dev": {"verdict_acc": 0.7}})
    rng = random.Random(5)
    scores = Scores()
    raws = [rng.uniform(0.5, 1.0) for _ in range(400)]
    scores.answers = [("supported", raw, rng.random() < raw - 0.3) for raw in raws]
    calls = []

    def fake_verify(split: str, *, stance_model: str | None, calibrated_confidence: bool = True) -> Any:
        calls.append((split, stance_model, calibrated_confidence))
        return scores

    monkeypatch.setattr(news_eval, "run_verify", fake_verify)
    assert main(["fit-confidence", "--model", str(tmp_path)]) == 0
    assert calls == [("dev", str(tmp_path), False)]  # fitted on the raw confidence
    data = json.loads((tmp_path / "rule.json").read_text())
    assert set(data["confidence"]) == {"supported"}
    assert data["dev"] == {"verdict_acc": 0.7} and data["confidence_fit"]["fitted"]["ece"] < 0.1
    back = read_rule(tmp_path)
    assert back == rule and back is not None and back.confidence_map is not None
    assert back.calibrated(Verdict.SUPPORTED, 0.9) < 0.75  # right about 60% of the time at 0.9
