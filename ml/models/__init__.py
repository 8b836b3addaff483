"""Supervised multi-label models: candidates, imbalance handling, splits, calibration, the fan-out search."""

from ml.models.calibration import apply_calibration, fit_calibration, tune_thresholds
from ml.models.holdout import evaluate_bundle, source_holdout
from ml.models.imbalance import minority_labels, mlsmote, rare_label_weights
from ml.models.search import (
    SearchPlan,
    TrainingConfig,
    TrainingOutcome,
    fit_final,
    kb_metadata,
    kb_orphan_of,
    leaderboard,
    next_units,
    plan_search,
    run_search,
    run_unit,
    train,
)
from ml.models.splits import stratified_folds, train_validation_test_split
from ml.models.supervised import CANDIDATES, PARAM_SPACES, MultiLabelModel, OneVsRest

__all__ = [
    "CANDIDATES",
    "PARAM_SPACES",
    "MultiLabelModel",
    "OneVsRest",
    "SearchPlan",
    "TrainingConfig",
    "TrainingOutcome",
    "apply_calibration",
    "evaluate_bundle",
    "fit_calibration",
    "fit_final",
    "kb_metadata",
    "kb_orphan_of",
    "leaderboard",
    "minority_labels",
    "mlsmote",
    "next_units",
    "plan_search",
    "rare_label_weights",
    "run_search",
    "run_unit",
    "source_holdout",
    "stratified_folds",
    "train",
    "train_validation_test_split",
    "tune_thresholds",
]
