"""Evaluation of multi-label disease predictions: one structured result and the champion rule."""

from ml.evaluation.metrics import (
    CHAMPION_RULE,
    champion_wins,
    evaluate,
    expected_calibration_error,
    ranking_metrics,
)

__all__ = ["CHAMPION_RULE", "champion_wins", "evaluate", "expected_calibration_error", "ranking_metrics"]
