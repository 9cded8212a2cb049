"""Temperature scaling and the calibration error it is judged by."""

from __future__ import annotations

import torch

from stance.calibrate import expected_calibration_error, fit_temperature
from stance.evaluate import macro_f1


def test_fit_recovers_the_temperature_of_synthetic_data() -> None:
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(20000, 3, generator=generator) * 3
    # Labels drawn from softmax(logits / 2): the right temperature is 2.
    gold = torch.multinomial(torch.softmax(logits / 2.0, -1), 1, generator=generator).squeeze(1)
    temperature = fit_temperature(logits, gold)
    assert 1.8 < temperature < 2.2
    before = expected_calibration_error(torch.softmax(logits, -1), gold)
    after = expected_calibration_error(torch.softmax(logits / temperature, -1), gold)
    assert after < before / 3


def test_ece_of_a_perfect_confident_model_is_zero() -> None:
    probs = torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    assert expected_calibration_error(probs, torch.tensor([0, 1])) == 0.0


def test_macro_f1() -> None:
    gold = torch.tensor([0, 0, 1, 1, 2, 2])
    assert macro_f1(gold, gold, 3) == 1.0
    predicted = torch.tensor([0, 0, 0, 0, 2, 2])
    # class 0: P=.5 R=1 F=2/3; class 1: F=0; class 2: F=1
    assert abs(macro_f1(predicted, gold, 3) - (2 / 3 + 0 + 1) / 3) < 1e-9
