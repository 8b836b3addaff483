"""A small trained outcome shared by the model, evaluation and registry tests (trained once per session)."""

from __future__ import annotations

from ml.models import TrainingConfig, train
from tests.ml.cases import make_dataset

_cache: dict[str, object] = {}

#: Logistic regression only, two draws, two folds: about a second on the synthetic warehouse.
FAST_CONFIG = TrainingConfig(min_support=5, candidates=("logistic_regression",), n_draws=2, n_folds=2)


def trained_outcome():
    """Return the TrainingOutcome of the fast configuration on the synthetic warehouse (rare disease: 12 cases)."""
    if "outcome" not in _cache:
        dataset = make_dataset(40, rare={"ORPHA:558": 12})
        _cache["dataset"] = dataset
        _cache["outcome"] = train(dataset, config=FAST_CONFIG, metadata={"kb_version": "test"})
    return _cache["outcome"]


def trained_dataset():
    """Return the dataset the shared outcome was trained on."""
    trained_outcome()
    return _cache["dataset"]
