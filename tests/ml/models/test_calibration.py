"""Thresholds maximise F1; calibration is kept only where it lowers the Brier score."""

import numpy as np
import pytest

from ml.models import apply_calibration, fit_calibration, tune_thresholds


def test_thresholds_maximise_f1_on_hand_computed_scores():
    P = np.array([[0.9], [0.8], [0.6], [0.4], [0.3]])
    Y = np.array([[1], [0], [1], [0], [0]])
    # cut at 0.9: F1 2/3; at 0.8: 0.5; at 0.6: 2·2/(3+2) = 0.8 (best); lower cuts add false positives.
    assert tune_thresholds(P, Y).tolist() == [0.6]


def test_a_label_without_positives_keeps_the_default_threshold():
    assert tune_thresholds(np.array([[0.2], [0.7]]), np.array([[0], [0]]), default=0.5).tolist() == [0.5]


def test_calibration_is_kept_where_it_lowers_the_brier_score_and_skipped_for_scarce_labels():
    rng = np.random.default_rng(0)
    truth = rng.random(400)
    y = (rng.random(400) < truth).astype(int)
    squashed = 0.5 + (truth - 0.5) * 0.2  # a model that hedges everything towards 0.5
    scarce = np.zeros(400, dtype=int)
    scarce[:2] = 1
    P = np.column_stack([squashed, rng.random(400)])
    Y = np.column_stack([y, scarce])
    calibration = fit_calibration(P, Y, random_state=0)
    assert calibration["kept"] == [True, False]
    assert calibration["brier_calibrated"][0] < calibration["brier_raw"][0]
    assert calibration["brier_calibrated"][1] is None
    calibrated = apply_calibration(P, calibration)
    assert np.mean((calibrated[:, 0] - y) ** 2) < np.mean((squashed - y) ** 2)
    assert calibrated[:, 1] == pytest.approx(P[:, 1])
