"""The confidence curves (`stance.confidence`): fitted per verdict, increasing, read from rule.json."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from pathlib import Path

import pytest

from stance.confidence import ConfidenceMap, confidence_report, fit_confidence_map
from stance.rule import Thresholds, Verdict, read_rule, write_rule


def _answers(seed: int = 13) -> list[tuple[str, float, bool]]:
    """Overconfident `supported` answers (raw 0.5..1, right with probability raw - 0.3) and
    `refuted` answers right 90% of the time whatever their raw confidence."""
    rng = random.Random(seed)
    out = []
    for _ in range(2000):
        raw = rng.uniform(0.5, 1.0)
        out.append(("supported", raw, rng.random() < raw - 0.3))
        out.append(("refuted", rng.uniform(0.5, 1.0), rng.random() < 0.9))
    return out


def test_fitted_curves_match_how_often_each_verdict_is_right() -> None:
    answers = _answers()
    curves = fit_confidence_map(answers)
    for verdict in ("supported", "refuted"):
        rows = [(raw, ok) for v, raw, ok in answers if v == verdict]
        rate = sum(ok for _, ok in rows) / len(rows)
        mean = sum(curves(verdict, raw) for raw, _ in rows) / len(rows)
        assert mean == pytest.approx(rate, abs=0.02)
    # within a verdict a higher raw confidence never maps lower
    grid = [i / 100 for i in range(1, 100)]
    mapped = [curves("supported", x) for x in grid]
    assert mapped == sorted(mapped)
    assert curves("supported", 0.95) > curves("supported", 0.55) + 0.1
    # too few answers (conflicting: none) keep the raw confidence
    assert curves("conflicting", 0.83) == 0.83
    before = confidence_report([(raw, ok) for _, raw, ok in answers])
    after = confidence_report([(curves(v, raw), ok) for v, raw, ok in answers])
    assert after.ece < before.ece / 2 and after.brier < before.brier


def test_a_raw_confidence_that_orders_answers_backwards_gives_a_constant() -> None:
    rng = random.Random(3)
    answers = [
        ("refuted", raw, rng.random() < 1.2 - raw) for raw in (rng.uniform(0.5, 1.0) for _ in range(500))
    ]
    curves = fit_confidence_map(answers)
    assert curves("refuted", 0.55) == pytest.approx(curves("refuted", 0.99))
    rate = sum(ok for _, _, ok in answers) / len(answers)
    assert curves("refuted", 0.7) == pytest.approx(rate, abs=0.03)


def test_report_figures() -> None:
    r = confidence_report([(0.9, True), (0.8, True), (0.7, False), (0.2, False)])
    assert r.auroc == 1.0 and r.accuracy == 0.5
    assert r.sure_share == 0.5 and r.sure_accuracy == 1.0
    assert r.brier == pytest.approx((0.01 + 0.04 + 0.49 + 0.04) / 4)
    assert confidence_report([(0.5, True), (0.5, False)]).auroc == 0.5  # ties share their rank
    with pytest.raises(ValueError):
        confidence_report([])


def test_bad_curves_are_refused() -> None:
    with pytest.raises(ValueError, match="bad confidence curve"):
        ConfidenceMap.from_json({"supported": {"slope": -1.0, "intercept": 0.0}})
    with pytest.raises(ValueError, match="unknown verdict"):
        ConfidenceMap.from_json({"true": {"slope": 1.0, "intercept": 0.0}})


def test_rule_json_round_trip_and_the_switch(tmp_path: Path) -> None:
    curves = fit_confidence_map(_answers())
    rule = replace(Thresholds(conflict_margin=0.1), confidence_map=curves)
    write_rule(tmp_path, rule, {"fitted_on": "test"})
    data = json.loads((tmp_path / "rule.json").read_text())
    assert set(data["confidence"]) == {"supported", "refuted"}
    assert "confidence_map" not in data["thresholds"]
    back = read_rule(tmp_path)
    assert back == rule and back is not None and back.confidence_map == curves
    assert back.calibrated(Verdict.SUPPORTED, 0.9) == curves("supported", 0.9) != 0.9
    # a setting on top keeps the curves; CALIBRATED_CONFIDENCE false drops them
    assert Thresholds.from_config({"VERDICT_THRESHOLD": 0.6}, back).confidence_map == curves
    raw = Thresholds.from_config({"CALIBRATED_CONFIDENCE": False}, back)
    assert raw.confidence_map is None and raw.calibrated(Verdict.SUPPORTED, 0.9) == 0.9
    with pytest.raises(ValueError, match="CALIBRATED_CONFIDENCE must be true or false"):
        Thresholds.from_config({"CALIBRATED_CONFIDENCE": "maybe"}, back)
