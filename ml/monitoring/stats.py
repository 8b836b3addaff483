"""The two-sample drift statistics, written as Evidently computes them, over counts rather than raw rows.

Each function compares a reference with a current sample and returns one number: a p-value (drift when it
is below the threshold) or a distance (drift when it reaches the threshold). Counts are aligned arrays: entry
``i`` of the reference and of the current counts is the same category or bin.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats
from scipy.spatial import distance

# Evidently replaces empty bins by a tiny share before taking logarithms (its ``feel_zeroes``).
ZERO_SHARE = 0.0001


def ks_p_value(reference: np.ndarray, current: np.ndarray) -> float:
    """Return the two-sided Kolmogorov–Smirnov p-value of two numerical samples."""
    return float(stats.ks_2samp(reference, current).pvalue)


def z_test_p_value(reference_hits: int, n_reference: int, current_hits: int, n_current: int) -> float:
    """Return the two-sided p-value of the pooled two-proportion Z-test."""
    pooled = (reference_hits + current_hits) / (n_reference + n_current)
    if pooled in (0.0, 1.0):
        return 1.0
    difference = reference_hits / n_reference - current_hits / n_current
    z = difference / math.sqrt(pooled * (1 - pooled) * (1 / n_reference + 1 / n_current))
    return float(2 * stats.norm.sf(abs(z)))


def chi_square_p_value(reference_counts: np.ndarray, current_counts: np.ndarray) -> float:
    """Return the chi-square goodness-of-fit p-value of the current counts against the reference shares.

    A category the reference never saw but the current sample holds cannot occur under "same distribution",
    so its p-value is 0.
    """
    reference_counts = np.asarray(reference_counts, dtype=float)
    current_counts = np.asarray(current_counts, dtype=float)
    if np.any((reference_counts == 0) & (current_counts > 0)):
        return 0.0
    seen = reference_counts > 0
    if seen.sum() < 2:
        return 1.0
    expected = reference_counts[seen] * current_counts.sum() / reference_counts.sum()
    return float(stats.chisquare(current_counts[seen], expected).pvalue)


def shares(counts: np.ndarray) -> np.ndarray:
    """Return counts as shares, empty entries replaced by a tiny share (Evidently's ``feel_zeroes``)."""
    counts = np.asarray(counts, dtype=float)
    result = counts / counts.sum()
    nonzero = result[result > 0]
    filler = nonzero.min() / 1e6 if nonzero.size and nonzero.min() <= ZERO_SHARE else ZERO_SHARE
    return np.where(result == 0, filler, result)


def jensen_shannon_distance(reference_counts: np.ndarray, current_counts: np.ndarray) -> float:
    """Return the Jensen–Shannon distance (natural log, as scipy and Evidently) between two count vectors."""
    return float(distance.jensenshannon(shares(reference_counts), shares(current_counts)))


def psi(reference_counts: np.ndarray, current_counts: np.ndarray) -> float:
    """Return the population stability index of the current bins against the reference bins."""
    expected, actual = shares(reference_counts), shares(current_counts)
    return float(np.sum((expected - actual) * np.log(expected / actual)))


def wasserstein_normed(
    reference_values: np.ndarray,
    reference_weights: np.ndarray,
    current_values: np.ndarray,
    current_weights: np.ndarray,
    *,
    reference_std: float,
) -> float:
    """Return the Wasserstein-1 distance divided by the reference's standard deviation (at least 0.001)."""
    value = stats.wasserstein_distance(reference_values, current_values, reference_weights, current_weights)
    return float(value / max(reference_std, 0.001))
