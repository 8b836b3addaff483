"""Model behaviour: minimum functionality, direction and invariance (Made-With-ML's three model tests)."""

import numpy as np
import pytest

from ml.features import Query, TrainingDataError
from ml.models import TrainingConfig, evaluate_bundle, plan_search, source_holdout
from tests.ml.cases import DISEASES, SOURCES
from tests.ml.training_fixtures import FAST_CONFIG, trained_dataset, trained_outcome

pytestmark = pytest.mark.slow


def _p(disease: str, **query) -> float:
    """Return the bundle's probability of ``disease`` for one query."""
    bundle = trained_outcome().bundle
    return float(bundle.predict_proba(Query(**query))[0, bundle.labels.index(disease)])


@pytest.mark.parametrize("disease", [d for d in DISEASES if d.startswith("ICD10:")])
def test_a_textbook_presentation_ranks_its_common_disease_first(disease):
    hallmarks, others = DISEASES[disease]
    ranking = trained_outcome().bundle.rank(Query(present=hallmarks + others[:1], age=30, sex="female"), top=3)
    assert ranking[0][0] == disease, ranking


def test_adding_a_hallmark_raises_its_disease():
    hallmarks, others = DISEASES["ICD10:J45"]
    # Cough alone points to influenza first; wheezing makes asthma the likely one.
    assert _p("ICD10:J45", present=others + hallmarks[:1]) > _p("ICD10:J45", present=others) + 0.2


def test_an_absent_hallmark_lowers_its_disease_below_an_unknown_one():
    hallmarks, _ = DISEASES["ORPHA:558"]
    unknown = _p("ORPHA:558", present=hallmarks[:1])
    absent = _p("ORPHA:558", present=hallmarks[:1], absent=hallmarks[1:])
    assert absent < unknown


def test_non_clinical_fields_do_not_change_a_prediction():
    bundle = trained_outcome().bundle
    base = Query(present=("HP:0001945", "HP:0012735"), age=40, sex="male", temperature_c=38.5)
    for extra in ({"source": "clinic_notes"}, {"patient_id": 123456, "upload_id": 9, "year": 2001, "weight_kg": 99}):
        other = Query(**{**base.__dict__, "extra": extra})
        assert np.array_equal(bundle.predict_proba(base), bundle.predict_proba(other))


def test_the_run_lists_diseases_under_the_support_and_scores_the_orphan_slice():
    outcome = trained_outcome()
    assert "ORPHA:558" in outcome.bundle.labels
    metrics = outcome.test_metrics
    assert metrics["slices"]["orphan"]["n_labels"] == 1
    assert metrics["orphan_recall_at_10"] is not None and metrics["top_1"] > 0.8
    assert outcome.bundle.metadata["below_support"] == {}


def test_scoring_a_bundle_on_its_test_cases_reproduces_its_test_metrics_and_refuses_no_cases():
    outcome = trained_outcome()
    dataset = trained_dataset()
    plan = plan_search(dataset, config=FAST_CONFIG)  # the same seeded plan as the training run's
    scored = evaluate_bundle(outcome.bundle, dataset.subset(plan.test_ids))
    assert scored["macro_f1"] == pytest.approx(outcome.test_metrics["macro_f1"])
    assert scored["top_1"] == pytest.approx(outcome.test_metrics["top_1"])
    with pytest.raises(TrainingDataError, match="no cases"):
        evaluate_bundle(outcome.bundle, dataset.subset([]))


def test_training_without_one_source_scores_that_source():
    dataset = trained_dataset()
    result = source_holdout(dataset, SOURCES[0], candidate="logistic_regression", params={"C": 1.0},
                            config=TrainingConfig(min_support=5))
    expected = int((dataset.cases["source"] == SOURCES[0]).sum())
    assert result["n_scored"] == expected > 0
    assert result["n_train"] == dataset.n_cases - expected
    assert result["top_3"] > 0.8
