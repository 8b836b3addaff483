"""Evaluation: simulated patients, the Resnik baseline and tie-aware rank metrics."""

from ml.evaluation.ranking import (
    expected_reciprocal_rank,
    expected_topk,
    largest_tie_in_top,
    rank_summary,
    tie_group_size,
)
from ml.evaluation.simulate import (
    ResnikBaseline,
    SimulatedPatient,
    evaluate_simulated,
    knowledge_ranker,
    resnik_ranker,
    simulate_patients,
)

__all__ = [
    "ResnikBaseline",
    "SimulatedPatient",
    "evaluate_simulated",
    "expected_reciprocal_rank",
    "expected_topk",
    "knowledge_ranker",
    "largest_tie_in_top",
    "rank_summary",
    "resnik_ranker",
    "simulate_patients",
    "tie_group_size",
]
