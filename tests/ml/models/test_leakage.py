"""Nothing learned from validation or test cases, and no synthetic or duplicated row, reaches their scores."""

from ml.dataset import Dataset, dataset_from_records
from ml.models import MultiLabelModel, TrainingConfig, fit_final, plan_search, run_unit
from ml.models.search import fold_data, label_matrix
from tests.ml.cases import make_records

CONFIG = TrainingConfig(min_support=5, candidates=("logistic_regression",), n_draws=1, n_folds=2)


def _with_marker(records: list[dict], case_ids: set[int], term: str) -> Dataset:
    """Return the records as a dataset where the cases ``case_ids`` carry one extra present ``term``."""
    return dataset_from_records([
        record | {"present": record["present"] + [term]} if record["case_id"] in case_ids else record
        for record in records
    ])


def test_a_term_seen_only_in_test_cases_is_not_in_the_vocabulary():
    records = make_records(20, rare={"ORPHA:558": 8})
    plan = plan_search(dataset_from_records(records), config=CONFIG)
    dataset = _with_marker(records, set(plan.test_ids) | set(plan.validation_ids), "HP:9999999")
    results = [run_unit(plan, {"candidate": "logistic_regression", "params": {"C": 1.0}, "fold": 0}, dataset)]
    outcome = fit_final(plan, dataset, results)
    assert len(outcome.bundle.encoder.vocabulary_) > 5
    assert "HP:9999999" not in outcome.bundle.encoder.vocabulary_
    assert outcome.test_metrics["n_cases"] == len(plan.test_ids)


def test_a_fold_learns_nothing_from_its_validation_cases():
    records = make_records(20, rare={"ORPHA:558": 8})
    plan = plan_search(dataset_from_records(records), config=CONFIG)
    dataset = _with_marker(records, set(plan.fold_ids[0]), "HP:9999998")
    fit_set, _, held_set, _ = fold_data(plan, dataset, 0)
    assert not set(fit_set.cases["case_id"]) & set(held_set.cases["case_id"])
    model = MultiLabelModel(params={"C": 1.0}).fit(fit_set, label_matrix(fit_set, plan.labels))
    assert "HP:9999998" not in model.encoder_.vocabulary_


def test_oversampled_rows_stay_in_training_and_scored_rows_are_exactly_the_held_out_cases():
    records = make_records(20, rare={"ORPHA:558": 8})
    dataset = dataset_from_records(records)
    plan = plan_search(dataset, config=CONFIG)
    fit_set, Y_fit, held_set, _ = fold_data(plan, dataset, 0)
    model = MultiLabelModel(params={"C": 1.0, "oversample": "mlsmote"}).fit(fit_set, Y_fit)
    assert model.n_synthetic_ > 0
    X_held = model.transform_inputs(held_set)
    # The scored matrix is the fresh encoding of the held-out cases, row for row: no synthetic or copied row.
    assert X_held.shape[0] == held_set.n_cases == len(plan.fold_ids[0])
    assert (X_held != model.encoder_.transform(held_set)).nnz == 0
    assert model.predict_proba(held_set).shape == (held_set.n_cases, len(plan.labels))
    unit = run_unit(plan, {"candidate": "logistic_regression", "params": {"C": 1.0, "oversample": "mlsmote"},
                           "fold": 0}, dataset)
    assert unit["n_train"] == fit_set.n_cases and unit["n_synthetic"] == model.n_synthetic_
