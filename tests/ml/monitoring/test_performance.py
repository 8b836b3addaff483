"""Live performance: Wilson intervals against published values, metrics against scikit-learn, seeded bootstrap."""

import math

import numpy as np
import pytest
from sklearn.metrics import f1_score, precision_score, recall_score
from sklearn.preprocessing import MultiLabelBinarizer

from ml.monitoring import Outcome, bootstrap_interval, wilson_interval, window_performance
from ml.monitoring.performance import slice_metrics

ORPHANS = {"ORPHA:1", "ORPHA:2"}


@pytest.mark.parametrize(
    "successes,n,low,high",
    [  # Newcombe, Stat Med 1998;17:857-72, table I, method 3 (Wilson score, no continuity correction)
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_interval_matches_published_values(successes, n, low, high):
    estimate = wilson_interval(successes, n)
    assert (round(estimate.low, 4), round(estimate.high, 4)) == (low, high)
    assert estimate.value == successes / n and estimate.n == n and estimate.method == "wilson"


def test_wilson_interval_widens_with_confidence_and_is_empty_without_cases():
    assert wilson_interval(8, 10, confidence=0.99).low < wilson_interval(8, 10).low
    empty = wilson_interval(0, 0)
    assert empty.n == 0 and math.isnan(empty.value) and empty.as_dict()["value"] is None


def test_bootstrap_is_seeded_and_brackets_the_estimate():
    values = np.random.default_rng(0).random(200)

    def mean(weights):
        return weights @ values / weights.sum(axis=1)

    first = bootstrap_interval(mean, 200, random_state=7)
    assert first == bootstrap_interval(mean, 200, random_state=7)
    assert first != bootstrap_interval(mean, 200, random_state=8)
    assert first.value == pytest.approx(values.mean())
    assert first.low < first.value < first.high
    standard_error = values.std() / math.sqrt(200)
    assert first.high - first.low == pytest.approx(2 * 1.96 * standard_error, rel=0.2)


def outcomes(n: int, *, seed: int) -> list[Outcome]:
    """Return random outcomes over a dozen diseases, some multi-label, some with explicit predictions."""
    rng = np.random.default_rng(seed)
    diseases = [f"ICD10:A{number:02d}" for number in range(10)] + sorted(ORPHANS)
    cases = []
    for index in range(n):
        ranked = list(rng.permutation(diseases)[:10])
        confirmed = list(rng.choice(diseases, size=rng.integers(1, 3), replace=False))
        predicted = list(rng.choice(diseases, size=rng.integers(0, 3), replace=False)) if index % 2 else None
        cases.append(Outcome(ranked=ranked, confirmed=confirmed, predicted=predicted))
    return cases


def test_point_estimates_equal_scikit_learn():
    cases = outcomes(300, seed=1)
    binarizer = MultiLabelBinarizer().fit([case.asserted for case in cases] + [case.confirmed for case in cases])
    y_pred = binarizer.transform([case.asserted for case in cases])
    y_true = binarizer.transform([case.confirmed for case in cases])
    metrics = slice_metrics(cases)
    for average in ("micro", "macro"):
        assert getattr(metrics, f"precision_{average}").value == pytest.approx(
            precision_score(y_true, y_pred, average=average, zero_division=0)
        )
        assert getattr(metrics, f"recall_{average}").value == pytest.approx(
            recall_score(y_true, y_pred, average=average, zero_division=0)
        )
        assert getattr(metrics, f"f1_{average}").value == pytest.approx(
            f1_score(y_true, y_pred, average=average, zero_division=0)
        )


def test_top_k_is_the_share_of_cases_with_a_confirmed_disease_in_the_first_k():
    cases = [
        Outcome(ranked=["a", "b", "c"], confirmed=["a"]),
        Outcome(ranked=["b", "a", "c"], confirmed=["a"]),
        Outcome(ranked=["b", "c", "d"], confirmed=["a"]),
        Outcome(ranked=["c", "d", "e"], confirmed=["e", "z"]),
    ]
    top_k = slice_metrics(cases, k=(1, 2, 3)).top_k
    assert [top_k[k].value for k in (1, 2, 3)] == [0.25, 0.5, 0.75]
    assert top_k[1] == wilson_interval(1, 4)


def test_hand_computed_precision_and_recall():
    cases = [
        Outcome(ranked=["a"], confirmed=["a"]),  # tp a
        Outcome(ranked=["b"], confirmed=["a"]),  # fp b, fn a
        Outcome(ranked=["c"], confirmed=["c", "d"], predicted=["c", "e"]),  # tp c, fp e, fn d
    ]
    metrics = slice_metrics(cases)
    assert (metrics.precision_micro.value, metrics.precision_micro.n) == (0.5, 4)  # 2 of 4 asserted
    assert (metrics.recall_micro.value, metrics.recall_micro.n) == (0.5, 4)  # 2 of 4 confirmed
    # per label F1: a 2/3, b 0, c 1, d 0, e 0
    assert metrics.f1_macro.value == pytest.approx((2 / 3 + 1) / 5)
    assert metrics.n_cases == 3 and metrics.f1_macro.n == 3


def test_the_orphan_slice_is_measured_separately_with_its_own_sample_size():
    cases = outcomes(400, seed=2)
    result = window_performance(cases, orphan_diseases=ORPHANS, random_state=3)
    orphan_cases = [case for case in cases if ORPHANS.intersection(case.confirmed)]
    assert orphan_cases and result.orphan.n_cases == len(orphan_cases)
    assert result.common.n_cases == 400 - len(orphan_cases)
    assert result.orphan.top_k[10] == slice_metrics(orphan_cases).top_k[10]
    assert result.orphan.f1_macro.value == pytest.approx(slice_metrics(orphan_cases).f1_macro.value)
    for estimate in (result.overall.f1_micro, result.overall.f1_macro, result.orphan.f1_macro):
        assert estimate.low <= estimate.value <= estimate.high
    assert result == window_performance(cases, orphan_diseases=ORPHANS, random_state=3)


def test_outcomes_may_be_plain_mappings_and_a_window_may_be_empty():
    result = window_performance(
        [{"ranked": ["ORPHA:1", "b"], "confirmed": ["ORPHA:1"]}], orphan_diseases=ORPHANS, n_resamples=50
    )
    assert result.overall.top_k[1].value == 1.0 and result.orphan.n_cases == 1 and result.common.n_cases == 0
    assert math.isnan(result.common.f1_macro.value) and result.as_dict()["common"]["f1_macro"]["n"] == 0
