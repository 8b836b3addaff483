"""Disease models: the knowledge-informed model and the supervised multi-label candidates with their search."""

from ml.models.calibration import apply_calibration, fit_calibration, tune_thresholds
from ml.models.fusion import FusedRanker, RankedDisease, Ranking, fit_knowledge_model, knowledge_training_data
from ml.models.holdout import evaluate_bundle, source_holdout
from ml.models.imbalance import minority_labels, mlsmote, rare_label_weights
from ml.models.knowledge import KnowledgeModel, select_beta_strength
from ml.models.likelihood import propagate_max, term_likelihood
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
    "FusedRanker",
    "KnowledgeModel",
    "MultiLabelModel",
    "OneVsRest",
    "PARAM_SPACES",
    "RankedDisease",
    "Ranking",
    "SearchPlan",
    "TrainingConfig",
    "TrainingOutcome",
    "apply_calibration",
    "evaluate_bundle",
    "fit_calibration",
    "fit_final",
    "fit_knowledge_model",
    "kb_metadata",
    "kb_orphan_of",
    "knowledge_training_data",
    "leaderboard",
    "minority_labels",
    "mlsmote",
    "next_units",
    "plan_search",
    "propagate_max",
    "rare_label_weights",
    "run_search",
    "run_unit",
    "select_beta_strength",
    "source_holdout",
    "stratified_folds",
    "term_likelihood",
    "train",
    "train_validation_test_split",
    "tune_thresholds",
]
