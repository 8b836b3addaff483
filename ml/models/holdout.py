"""Scoring a bundle on any cases, and the cross-source slice: train without one source, score on it.

The demo sources are drawn from the same knowledge base, so a test split that mixes sources flatters the model;
training on the other sources and scoring on the held-out one is the honest figure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

from ml.dataset import Dataset
from ml.evaluation.metrics import evaluate
from ml.features.labels import TrainingDataError
from ml.models.search import TrainingConfig, fit_final, label_matrix, plan_search
from ml.registry.bundle import PredictorBundle


def evaluate_bundle(bundle: PredictorBundle, dataset: Dataset) -> dict:
    """Return the evaluation of a bundle's calibrated probabilities on ``dataset`` over the bundle's labels."""
    if dataset.n_cases == 0:
        raise TrainingDataError("There are no cases to score the model on.")
    labels = list(bundle.labels)
    return evaluate(label_matrix(dataset, labels), bundle.predict_proba(dataset), labels=labels,
                    thresholds=bundle.thresholds, orphan=bundle.orphan, train_support=bundle.train_support,
                    cases=dataset.cases)


def source_holdout(
    dataset: Dataset,
    source: str,
    *,
    candidate: str,
    params: Mapping,
    config: TrainingConfig | None = None,
    ancestors: Mapping | None = None,
    orphan_of: Callable[[str], bool] | None = None,
) -> dict:
    """Train one fixed draw on every source but ``source`` and return its metrics on ``source``'s cases.

    One fit per source (the draw is not searched again): the cases of the other sources are split into training,
    validation and test as a run's are; the model is fitted on the training part, calibrated and thresholded on
    the validation part, and scored on every case of ``source``.
    """
    in_source = dataset.cases["source"] == source
    held, rest = dataset.subset(dataset.cases.loc[in_source, "case_id"]), dataset.subset(
        dataset.cases.loc[~in_source, "case_id"])
    if held.n_cases == 0:
        raise TrainingDataError(f"No case comes from the source {source!r}.")
    fixed = replace(config or TrainingConfig(), candidates=(candidate,), n_draws=1, halving=False, n_folds=2)
    plan = plan_search(rest, config=fixed)
    orphan = [orphan_of(label) for label in plan.labels] if orphan_of else None
    # No search: the draw is fixed, so it is refitted once on the other sources' training part (calibration and
    # thresholds on their validation part), as the run's own model was.
    outcome = fit_final(plan, rest, [], ancestors=ancestors, orphan=orphan,
                        best={"candidate": candidate, "params": dict(params)})
    metrics = evaluate_bundle(outcome.bundle, held)
    return {"source": source, "n_train": rest.n_cases, "n_scored": held.n_cases, **metrics}
