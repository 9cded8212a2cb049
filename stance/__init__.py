"""Stance: NLI cross-encoder training, calibration, evaluation and inference."""
