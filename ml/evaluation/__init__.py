"""Evaluation: multi-label metrics and the champion rule; simulated patients, the Resnik baseline, tie-aware ranks."""

from ml.evaluation.metrics import (
    CHAMPION_RULE,
    champion_wins,
    evaluate,
    expected_calibration_error,
    ranking_metrics,
)
from ml.evaluation.ranking import (
    expected_reciprocal_rank,
    expected_topk,
    group_logsumexp,
    group_max,
    largest_tie_in_top,
    rank_summary,
    tie_group_size,
)
from ml.evaluation.simulate import (
    ResnikBaseline,
    SimulatedPatient,
    evaluate_simulated,
    fit_temperature,
    grouped_evaluation,
    knowledge_ranker,
    resnik_ranker,
    simulate_patients,
    top1_calibration,
)

__all__ = [
    "CHAMPION_RULE",
    "ResnikBaseline",
    "SimulatedPatient",
    "champion_wins",
    "evaluate",
    "evaluate_simulated",
    "expected_calibration_error",
    "expected_reciprocal_rank",
    "expected_topk",
    "fit_temperature",
    "group_logsumexp",
    "group_max",
    "grouped_evaluation",
    "knowledge_ranker",
    "largest_tie_in_top",
    "rank_summary",
    "ranking_metrics",
    "resnik_ranker",
    "simulate_patients",
    "tie_group_size",
    "top1_calibration",
]
