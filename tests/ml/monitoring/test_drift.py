"""The drift reference: Evidently's choice of test, values equal to scipy's on the raw rows, dataset drift,
the minimum window, PSI on reference bins, persistence over windows and the unmapped-term rate."""

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats
from scipy.spatial import distance

from ml.monitoring import DriftReference, persistent_dataset_drift, persistent_features, unmapped_rate
from ml.monitoring.drift import OTHER


def frame(n: int, *, seed: int, shift: float = 0.0, share: float = 0.3) -> pd.DataFrame:
    """Return a frame with a numerical, a binary, a three-category and a few-valued numerical column."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "x": rng.normal(shift, 1.0, size=n),
            "flag": (rng.random(n) < share).astype(np.int8),
            "colour": rng.choice(["red", "green", "blue"], size=n, p=[0.5, 0.3, 0.2]),
            "visits": rng.integers(0, 4, size=n),
        }
    )


@pytest.mark.parametrize(
    "rows,expected",
    [
        (1_000, {"x": "ks", "flag": "z", "colour": "chisquare", "visits": "chisquare"}),
        (1_001, {"x": "wasserstein", "flag": "jensenshannon", "colour": "jensenshannon", "visits": "jensenshannon"}),
    ],
)
def test_each_feature_gets_evidentlys_default_test_by_reference_size_and_distinct_values(rows, expected):
    reference = DriftReference().fit(frame(rows, seed=1))
    assert {name: feature.stat for name, feature in reference.features_.items()} == expected
    assert reference.features_["visits"].kind == "categorical"  # numerical with <= 5 distinct values
    assert {name: feature.threshold for name, feature in reference.features_.items()}["x"] in (0.05, 0.1)


def test_small_reference_statistics_equal_scipy_on_the_raw_rows():
    reference_rows, window = frame(800, seed=1), frame(300, seed=2, shift=0.2, share=0.4)
    result = DriftReference().fit(reference_rows).check(window)
    assert result.features["x"].value == pytest.approx(scipy_stats.ks_2samp(reference_rows["x"], window["x"]).pvalue)
    counts = reference_rows["colour"].value_counts()
    current = window["colour"].value_counts().reindex(counts.index)
    expected = scipy_stats.chisquare(current, counts * len(window) / len(reference_rows)).pvalue
    assert result.features["colour"].value == pytest.approx(expected)
    flag_table = [
        [reference_rows["flag"].sum(), 800 - reference_rows["flag"].sum()],
        [window["flag"].sum(), 300 - window["flag"].sum()],
    ]
    assert result.features["flag"].value == pytest.approx(
        scipy_stats.chi2_contingency(flag_table, correction=False).pvalue
    )
    assert result.features["flag"].drifted == (result.features["flag"].value < 0.05)


def test_large_reference_statistics_equal_scipy_on_the_raw_rows():
    reference_rows, window = frame(1_500, seed=1), frame(2_000, seed=2, shift=0.3, share=0.5)
    result = DriftReference().fit(reference_rows).check(window)
    wasserstein = scipy_stats.wasserstein_distance(reference_rows["x"], window["x"]) / np.std(reference_rows["x"])
    assert result.features["x"].value == pytest.approx(wasserstein)
    assert result.features["x"].drifted is True
    reference_share = reference_rows["colour"].value_counts(normalize=True)
    window_share = window["colour"].value_counts(normalize=True).reindex(reference_share.index)
    assert result.features["colour"].value == pytest.approx(distance.jensenshannon(reference_share, window_share))
    assert result.features["colour"].drifted is False
    assert result.features["flag"].value >= 0.1 and result.features["flag"].drifted  # 30 % -> 50 %


def test_the_reference_keeps_summaries_not_rows():
    reference_rows, window = frame(5_000, seed=1), frame(2_000, seed=2, shift=0.3)
    reference = DriftReference().fit(reference_rows)
    assert len(reference.features_["visits"].values) == 4
    assert reference.features_["colour"].counts.sum() == 5_000
    continuous = reference.features_["x"]
    assert len(continuous.values) == 2_000 and continuous.counts.sum() == pytest.approx(5_000)  # quantiles
    assert continuous.std == pytest.approx(np.std(reference_rows["x"]), rel=0.01)
    exact = scipy_stats.wasserstein_distance(reference_rows["x"], window["x"]) / np.std(reference_rows["x"])
    assert reference.check(window).features["x"].value == pytest.approx(exact, rel=0.01)


def test_dataset_drift_needs_the_configured_share_of_features():
    reference_rows, window = frame(5_000, seed=1), frame(1_000, seed=2, shift=1.0)  # only x drifts
    assert DriftReference().fit(reference_rows).check(window).drifted_features == ["x"]
    assert DriftReference().fit(reference_rows).check(window).dataset_drift is False  # 1 of 4 < 50 %
    assert DriftReference(drift_share=0.25).fit(reference_rows).check(window).dataset_drift is True


def test_a_window_below_the_minimum_size_is_not_tested():
    reference = DriftReference(min_window_size=200).fit(frame(5_000, seed=1))
    result = reference.check(frame(199, seed=2, shift=3.0))
    assert result.enough_data is False and result.dataset_drift is False
    assert all(math.isnan(feature.value) and not feature.drifted for feature in result.features.values())
    assert reference.check(frame(200, seed=2, shift=3.0)).dataset_drift is False  # only x shifted...
    assert reference.check(frame(200, seed=2, shift=3.0)).features["x"].drifted is True  # ...and it is tested


def test_psi_uses_bins_fixed_on_the_reference():
    reference_rows = frame(5_000, seed=1)
    reference = DriftReference(method="psi").fit(reference_rows)
    assert {feature.stat for feature in reference.features_.values()} == {"psi"}
    edges = reference.features_["x"].bin_edges
    assert len(edges) == 9  # deciles
    assert np.allclose(edges, np.quantile(reference_rows["x"], np.arange(1, 10) / 10), atol=0.01)
    assert reference.check(reference_rows).features["x"].value == pytest.approx(0.0, abs=1e-3)
    shifted = reference.check(frame(2_000, seed=2, shift=0.5))
    bins = np.searchsorted(edges, frame(2_000, seed=2, shift=0.5)["x"], side="right")
    current = np.bincount(bins, minlength=10) / 2_000
    expected = np.sum((0.1 - current) * np.log(0.1 / current))
    assert shifted.features["x"].value == pytest.approx(expected, abs=0.01) and shifted.features["x"].drifted


def test_rare_and_unseen_categories_share_the_other_bucket():
    reference_rows = pd.DataFrame({"disease": ["a"] * 600 + ["b"] * 395 + ["c"] * 5})
    reference = DriftReference(min_category_share=0.01, min_window_size=10).fit(reference_rows)
    assert list(reference.features_["disease"].values) == ["a", "b"]
    assert reference.features_["disease"].counts.tolist() == [600, 395, 5]
    unseen = reference.check(pd.DataFrame({"disease": ["a"] * 60 + ["b"] * 39 + ["zzz"]}))
    assert unseen.features["disease"].drifted is False  # "zzz" falls in OTHER like "c" did
    assert OTHER not in reference.features_["disease"].values
    flood = reference.check(pd.DataFrame({"disease": ["a"] * 60 + ["b"] * 30 + ["zzz"] * 10}))
    assert flood.features["disease"].drifted is True  # OTHER went from 0.5 % to 10 %


def test_missing_values_are_left_out():
    reference_rows = frame(2_000, seed=1)
    window = frame(500, seed=2)
    window.loc[:99, "x"] = np.nan
    result = DriftReference().fit(reference_rows).check(window)
    assert result.features["x"].n_current == 400 and result.features["colour"].n_current == 500


def test_output_features_are_reported_but_do_not_count_towards_dataset_drift():
    rng = np.random.default_rng(5)
    reference_rows = frame(3_000, seed=1).assign(top1_disease=rng.choice(["flu", "cold"], size=3_000))
    window = frame(500, seed=2).assign(top1_disease="measles")
    result = DriftReference(drift_share=0.2).fit(reference_rows).check(window)
    assert result.features["top1_disease"].drifted is True
    assert "top1_disease" not in result.input_features and result.dataset_drift is False
    json.dumps(result.as_dict())  # plain data for the monitoring tables


def test_a_feature_persists_only_over_n_consecutive_tested_windows():
    reference = DriftReference(min_window_size=100).fit(frame(3_000, seed=1))
    calm, shifted, tiny = (frame(500, seed=2), frame(500, seed=3, shift=1.0), frame(50, seed=4, shift=1.0))
    history = [reference.check(window) for window in (shifted, shifted, calm, shifted, shifted)]
    assert persistent_features(history, windows=3)["x"] is False  # the calm window broke the run
    history.append(reference.check(tiny))  # too small to test: neither breaks nor extends it
    assert persistent_features(history, windows=3)["x"] is False
    history.append(reference.check(shifted))
    assert persistent_features(history, windows=3)["x"] is True
    assert persistent_features(history[:2], windows=3)["x"] is False  # fewer windows than N
    assert persistent_dataset_drift(history, windows=3) is False  # 1 of 4 features


def test_persistent_dataset_drift_follows_the_share():
    reference = DriftReference(drift_share=0.5).fit(frame(3_000, seed=1))
    moved = frame(500, seed=2, shift=1.0, share=0.6)  # x and flag drift: 2 of 4
    history = [reference.check(moved) for _ in range(3)]
    assert all(result.dataset_drift for result in history)
    assert persistent_dataset_drift(history, windows=3) is True
    assert persistent_dataset_drift(history, windows=4) is False


def test_unmapped_rate_is_a_proportion_of_entered_terms_with_its_interval():
    window = pd.DataFrame({"n_present": [3, 4, 2], "n_absent": [1, 0, 0], "n_unmapped": [0, 2, 0]})
    estimate = unmapped_rate(window)
    assert (estimate.value, estimate.n) == (pytest.approx(2 / 12), 12)
    assert estimate.low < 2 / 12 < estimate.high


def test_bad_inputs_are_refused_with_a_message():
    with pytest.raises(ValueError, match="method"):
        DriftReference(method="kl").fit(frame(100, seed=1))
    with pytest.raises(ValueError, match="lacks the columns age"):
        DriftReference(features=["age"]).fit(frame(100, seed=1))
    with pytest.raises(ValueError, match="window lacks the column 'x'"):
        DriftReference().fit(frame(100, seed=1)).check(frame(100, seed=2).drop(columns="x"))
