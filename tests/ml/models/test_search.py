"""The search: units are pure and small, rounds halve, plans travel as JSON, bad data stops with a clear error."""

import json

import pytest

from ml.dataset import dataset_from_records, empty_dataset
from ml.features import TrainingDataError
from ml.models import SearchPlan, TrainingConfig, fit_final, next_units, plan_search, run_unit, train
from tests.ml.cases import make_dataset

CONFIG = TrainingConfig(min_support=5, candidates=("logistic_regression", "decision_tree"), n_draws=4, n_folds=3)


@pytest.fixture(scope="module")
def dataset():
    return make_dataset(20, rare={"ORPHA:558": 8})


def test_the_plan_splits_disjoint_case_ids_and_travels_as_json(dataset):
    plan = plan_search(dataset, config=CONFIG)
    train_ids, validation, test = set(plan.train_ids), set(plan.validation_ids), set(plan.test_ids)
    assert not train_ids & validation and not train_ids & test and not validation & test
    assert len(train_ids | validation | test) == dataset.n_cases
    assert set().union(*map(set, plan.fold_ids)) == train_ids
    assert len(plan.draws) == 8
    copy = SearchPlan.from_dict(json.loads(json.dumps(plan.to_dict())))
    assert copy.to_dict() == plan.to_dict()
    assert next_units(copy, []) == next_units(plan, [])


def test_successive_halving_runs_fewer_draws_each_round_and_ends(dataset):
    plan = plan_search(dataset, config=CONFIG)
    results, sizes = [], []
    while units := next_units(plan, results):
        assert len({unit["fold"] for unit in units}) == 1
        sizes.append(len(units))
        results += [run_unit(plan, unit, dataset) for unit in units]
    assert sizes == [8, 4, 2]  # 4 draws per candidate, halved per candidate: 4 → 2 → 1
    json.dumps(results)
    assert set(results[0]) == {"candidate", "params", "fold", "score", "metrics", "n_train", "n_synthetic", "seconds"}
    assert all(0 <= result["score"] <= 1 for result in results)
    outcome = fit_final(plan, dataset, results)
    assert outcome.leaderboard[0]["n_folds"] == 3
    assert outcome.bundle.metadata["candidate"] == outcome.leaderboard[0]["candidate"]


def test_without_halving_every_draw_runs_on_every_fold_in_one_round(dataset):
    plan = plan_search(dataset, config=TrainingConfig(min_support=5, candidates=("logistic_regression",),
                                                      n_draws=2, n_folds=2, halving=False))
    units = next_units(plan, [])
    assert len(units) == 4
    results = [run_unit(plan, unit, dataset) for unit in units]
    assert next_units(plan, results) == []


def test_a_unit_is_a_pure_function_of_its_inputs(dataset):
    plan = plan_search(dataset, config=CONFIG)
    unit = next_units(plan, [])[0]
    first, second = run_unit(plan, unit, dataset), run_unit(plan, unit, dataset)
    assert {**first, "seconds": 0} == {**second, "seconds": 0}


def test_an_empty_warehouse_stops_with_a_message():
    with pytest.raises(TrainingDataError, match="no cases"):
        train(empty_dataset())


def test_a_one_disease_warehouse_stops_with_a_message():
    data = dataset_from_records([{"present": ["HP:0001945"], "diagnoses": ["ICD10:J11"]}] * 30)
    with pytest.raises(TrainingDataError, match="at least two diseases"):
        train(data)


def test_the_same_seed_trains_the_same_model(dataset):
    config = TrainingConfig(min_support=5, candidates=("logistic_regression",), n_draws=1, n_folds=2)
    first, second = train(dataset, config=config), train(dataset, config=config)
    assert first.test_metrics == second.test_metrics
    assert first.best == second.best


def test_the_runs_negative_cap_reaches_every_one_vs_rest_fit(dataset):
    base = dict(min_support=5, candidates=("logistic_regression",), n_draws=1, n_folds=2)
    capped = train(dataset, config=TrainingConfig(**base, max_negatives=10))
    full = train(dataset, config=TrainingConfig(**base, max_negatives=None))
    n_labels = len(capped.bundle.labels)
    assert capped.bundle.model.classifier_.n_sampled_ == n_labels  # every label has more than 10 negatives
    assert full.bundle.model.classifier_.n_sampled_ == 0
    assert capped.bundle.metadata["config"]["max_negatives"] == 10
    assert TrainingConfig().max_negatives == 16_000  # the default: above the demo's ~14,000 training cases
