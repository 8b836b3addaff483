"""Input drift: a reference fitted once on the training snapshot, checked against each prediction window.

Per feature the statistic is chosen as Evidently documents its defaults, from the reference alone (so a
feature keeps its test from window to window; Evidently counts distinct values over both samples):

* numerical with more than 5 distinct values — Kolmogorov–Smirnov (drift when p < 0.05) when the reference
  has at most 1,000 rows, else the Wasserstein distance divided by the reference's standard deviation
  (drift when >= 0.1);
* categorical, binary, or numerical with at most 5 distinct values — at most 1,000 reference rows: a Z-test of
  two proportions for two values, chi-square goodness of fit for more (drift when p < 0.05); above: the
  Jensen–Shannon distance (drift when >= 0.1);
* ``method="psi"``: the population stability index for every feature (drift when >= 0.1), with numerical bins
  at the reference's deciles and categorical bins at its categories.

Categories rarer than ``min_category_share`` in the reference, beyond the ``max_categories`` most frequent, and
unseen in it, share one ``OTHER`` bucket: a window of a few hundred predictions over hundreds of diseases
would otherwise drift on sampling noise alone. Missing values are left out of every test.

The reference keeps summaries only: per numerical feature its distinct values with counts (or 2,000 quantiles
when it has more distinct values), its standard deviation and decile edges; per categorical feature its
category counts. The dataset drifts when at least ``drift_share`` of the input features drift; output
features (the predicted top-1 disease) are reported beside them and do not count towards that share.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from ml.monitoring import stats
from ml.monitoring.intervals import Estimate, wilson_interval

NUMERICAL, CATEGORICAL = "numerical", "categorical"
OTHER = "__other__"
P_VALUE_TESTS = frozenset({"ks", "z", "chisquare"})
DEFAULT_THRESHOLDS: Mapping[str, float] = {
    "ks": 0.05,
    "z": 0.05,
    "chisquare": 0.05,
    "wasserstein": 0.1,
    "jensenshannon": 0.1,
    "psi": 0.1,
}
NOT_FEATURES = ("n_unmapped",)
OUTPUT_FEATURES = ("top1_disease",)
MAX_REFERENCE_VALUES = 2_000


@dataclass(frozen=True)
class FeatureReference:
    """What the reference knows about one feature: its kind, its test and the summaries the test needs."""

    name: str
    kind: str
    stat: str
    threshold: float
    n_reference: int
    values: np.ndarray  # numerical: sorted distinct values (or quantiles); categorical: the kept categories
    counts: np.ndarray  # numerical: count (weight) per value; categorical: count per category, then OTHER
    std: float = math.nan
    bin_edges: np.ndarray | None = None  # numerical PSI: inner bin edges


@dataclass(frozen=True)
class FeatureDrift:
    """The drift of one feature in one window."""

    feature: str
    stat: str
    value: float
    threshold: float
    drifted: bool
    n_current: int


@dataclass(frozen=True)
class DriftResult:
    """The drift of one window: per feature, and whether the dataset drifted."""

    features: Mapping[str, FeatureDrift]
    output_features: tuple[str, ...]
    n_window: int
    enough_data: bool
    drift_share: float

    @property
    def input_features(self) -> list[str]:
        """Return the names of the features that count towards dataset drift."""
        return [name for name in self.features if name not in self.output_features]

    @property
    def drifted_features(self) -> list[str]:
        """Return the names of the input features that drifted."""
        return [name for name in self.input_features if self.features[name].drifted]

    @property
    def share_drifted(self) -> float:
        """Return the share of input features that drifted (0 when there are none)."""
        inputs = self.input_features
        return len(self.drifted_features) / len(inputs) if inputs else 0.0

    @property
    def dataset_drift(self) -> bool:
        """Return whether at least ``drift_share`` of the input features drifted, on a large enough window."""
        return self.enough_data and bool(self.input_features) and self.share_drifted >= self.drift_share

    def as_dict(self) -> dict:
        """Return the result as plain JSON-ready data."""
        return {
            "n_window": self.n_window,
            "enough_data": self.enough_data,
            "drift_share": self.drift_share,
            "share_drifted": self.share_drifted,
            "dataset_drift": self.dataset_drift,
            "drifted_features": self.drifted_features,
            "output_features": list(self.output_features),
            "features": {name: _plain(asdict(drift)) for name, drift in self.features.items()},
        }


def _plain(values: dict) -> dict:
    """Return a dict whose NaN floats are None, for JSON."""
    return {key: None if isinstance(value, float) and math.isnan(value) else value for key, value in values.items()}


def _is_numerical(series: pd.Series, min_distinct: int) -> bool:
    """Return whether a column is numerical with more than ``min_distinct`` distinct values."""
    numeric = pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
    return numeric and series.nunique(dropna=True) > min_distinct


def _numerical_summary(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the distinct values and counts of a sample, compressed to quantiles when there are too many."""
    distinct, counts = np.unique(values, return_counts=True)
    if len(distinct) <= MAX_REFERENCE_VALUES:
        return distinct.astype(float), counts.astype(float)
    quantiles = np.quantile(values, (np.arange(MAX_REFERENCE_VALUES) + 0.5) / MAX_REFERENCE_VALUES)
    return quantiles, np.full(MAX_REFERENCE_VALUES, len(values) / MAX_REFERENCE_VALUES)


def _weighted_std(values: np.ndarray, weights: np.ndarray) -> float:
    """Return the population standard deviation of weighted values."""
    mean = np.average(values, weights=weights)
    return float(math.sqrt(np.average((values - mean) ** 2, weights=weights)))


def _decile_edges(values: np.ndarray, weights: np.ndarray, n_bins: int) -> np.ndarray:
    """Return the distinct inner bin edges at the reference's quantiles."""
    cumulative = np.cumsum(weights) / weights.sum()
    positions = np.searchsorted(cumulative, np.arange(1, n_bins) / n_bins, side="left")
    return np.unique(values[np.minimum(positions, len(values) - 1)])


def _bin_counts(values: np.ndarray, weights: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Return the weighted counts of values in the bins cut at ``edges`` (a value on an edge goes right)."""
    return np.bincount(np.searchsorted(edges, values, side="right"), weights=weights, minlength=len(edges) + 1)


def _category_counts(series: pd.Series, categories: np.ndarray) -> np.ndarray:
    """Return counts per kept category, then the OTHER bucket, of a column without missing values."""
    codes = pd.Index(categories).get_indexer(series.to_numpy())
    codes[codes < 0] = len(categories)
    return np.bincount(codes, minlength=len(categories) + 1).astype(float)


class DriftReference(BaseEstimator):
    """The drift reference of a training snapshot; ``check`` compares a prediction window with it."""

    def __init__(
        self,
        features: Sequence[str] | None = None,
        *,
        output_features: Sequence[str] = OUTPUT_FEATURES,
        method: str = "auto",
        small_reference: int = 1_000,
        numerical_min_distinct: int = 5,
        min_category_share: float = 0.01,
        max_categories: int = 20,
        psi_bins: int = 10,
        thresholds: Mapping[str, float] | None = None,
        drift_share: float = 0.5,
        min_window_size: int = 100,
    ):
        self.features = features
        self.output_features = output_features
        self.method = method
        self.small_reference = small_reference
        self.numerical_min_distinct = numerical_min_distinct
        self.min_category_share = min_category_share
        self.max_categories = max_categories
        self.psi_bins = psi_bins
        self.thresholds = thresholds
        self.drift_share = drift_share
        self.min_window_size = min_window_size

    def fit(self, X: pd.DataFrame, y=None) -> DriftReference:
        """Learn each feature's kind, test and reference summaries from the reference frame."""
        if self.method not in ("auto", "psi"):
            raise ValueError(f"method must be 'auto' or 'psi', not {self.method!r}")
        names = list(self.features) if self.features is not None else [c for c in X.columns if c not in NOT_FEATURES]
        missing = [name for name in names if name not in X.columns]
        if missing:
            raise ValueError(f"the reference frame lacks the columns {', '.join(missing)}")
        self.thresholds_ = {**DEFAULT_THRESHOLDS, **(self.thresholds or {})}
        self.n_reference_ = len(X)
        self.features_ = {name: self._fit_feature(name, X[name].dropna()) for name in names}
        return self

    def _fit_feature(self, name: str, column: pd.Series) -> FeatureReference:
        """Summarise one reference column and choose its test."""
        small = len(column) <= self.small_reference
        if _is_numerical(column, self.numerical_min_distinct):
            values, counts = _numerical_summary(column.to_numpy(dtype=float))
            stat = "psi" if self.method == "psi" else "ks" if small else "wasserstein"
            edges = _decile_edges(values, counts, self.psi_bins)
            return FeatureReference(
                name, NUMERICAL, stat, self.thresholds_[stat], len(column), values, counts,
                std=_weighted_std(values, counts) if len(values) else math.nan, bin_edges=edges,
            )  # fmt: skip
        ranked = column.value_counts(sort=True)
        ranked = ranked[ranked.index.astype(str) != OTHER]
        kept = ranked[ranked >= self.min_category_share * len(column)].iloc[: self.max_categories]
        categories = kept.index.to_numpy()
        counts = _category_counts(column, categories)
        n_buckets = len(categories) + (counts[-1] > 0)
        stat = "psi" if self.method == "psi" else ("z" if n_buckets <= 2 else "chisquare") if small else "jensenshannon"
        return FeatureReference(name, CATEGORICAL, stat, self.thresholds_[stat], len(column), categories, counts)

    def check(self, window: pd.DataFrame) -> DriftResult:
        """Return the drift of each feature and of the dataset in one window of the same columns."""
        check_is_fitted(self, "features_")
        enough = len(window) >= self.min_window_size
        features = {}
        for name, reference in self.features_.items():
            if name not in window.columns:
                raise ValueError(f"the window lacks the column {name!r}")
            features[name] = _feature_drift(reference, window[name].dropna(), enough=enough)
        outputs = tuple(name for name in self.output_features if name in features)
        return DriftResult(features, outputs, len(window), enough, self.drift_share)


def _feature_drift(reference: FeatureReference, column: pd.Series, *, enough: bool) -> FeatureDrift:
    """Return one feature's drift; NaN and not drifted when the window is too small or the column empty."""
    if not enough or column.empty or reference.n_reference == 0:
        return FeatureDrift(reference.name, reference.stat, math.nan, reference.threshold, False, len(column))
    value = _statistic(reference, column)
    drifted = value < reference.threshold if reference.stat in P_VALUE_TESTS else value >= reference.threshold
    return FeatureDrift(reference.name, reference.stat, value, reference.threshold, bool(drifted), len(column))


def _statistic(reference: FeatureReference, column: pd.Series) -> float:
    """Return the feature's statistic for the current column."""
    if reference.kind == CATEGORICAL:
        current = _category_counts(column, reference.values)
        if reference.stat == "z":
            first = 0
            return stats.z_test_p_value(
                int(reference.counts[first]), reference.n_reference, int(current[first]), int(current.sum())
            )
        keep = (reference.counts > 0) | (current > 0)
        return _count_statistic(reference.stat, reference.counts[keep], current[keep])
    values, counts = np.unique(pd.to_numeric(column, errors="coerce").to_numpy(dtype=float), return_counts=True)
    if reference.stat == "ks":
        return stats.ks_p_value(np.repeat(reference.values, reference.counts.astype(int)), np.repeat(values, counts))
    if reference.stat == "wasserstein":
        return stats.wasserstein_normed(reference.values, reference.counts, values, counts, reference_std=reference.std)
    edges = reference.bin_edges
    return stats.psi(_bin_counts(reference.values, reference.counts, edges), _bin_counts(values, counts, edges))


def _count_statistic(stat: str, reference_counts: np.ndarray, current_counts: np.ndarray) -> float:
    """Return a statistic over aligned category counts."""
    if stat == "chisquare":
        return stats.chi_square_p_value(reference_counts, current_counts)
    if stat == "jensenshannon":
        return stats.jensen_shannon_distance(reference_counts, current_counts)
    return stats.psi(reference_counts, current_counts)


def persistent_features(history: Sequence[DriftResult], *, windows: int = 3) -> dict[str, bool]:
    """Return, per feature of the latest window, whether it drifted in each of the last ``windows`` windows.

    Windows too small to test are left out of the history; fewer than ``windows`` tested windows persist nothing.
    """
    tested = [result for result in history if result.enough_data][-windows:]
    if not history:
        return {}
    latest = history[-1].features
    if len(tested) < windows:
        return {name: False for name in latest}
    return {name: all(result.features[name].drifted for result in tested if name in result.features) for name in latest}


def persistent_dataset_drift(history: Sequence[DriftResult], *, windows: int = 3, share: float | None = None) -> bool:
    """Return whether at least ``share`` (default: the latest window's ``drift_share``) of input features drift
    persistently."""
    if not history:
        return False
    persistent = persistent_features(history, windows=windows)
    inputs = history[-1].input_features
    if not inputs:
        return False
    share = history[-1].drift_share if share is None else share
    return sum(persistent[name] for name in inputs) / len(inputs) >= share


def unmapped_rate(window: pd.DataFrame, *, confidence: float = 0.95) -> Estimate:
    """Return the share of entered terms that mapped to no HPO id in a window, with its Wilson interval."""
    unmapped = int(window["n_unmapped"].sum())
    entered = unmapped + int(window["n_present"].sum()) + int(window["n_absent"].sum())
    return wilson_interval(unmapped, entered, confidence=confidence)
