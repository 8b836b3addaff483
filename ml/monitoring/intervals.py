"""Estimates with their sample size and confidence interval: Wilson for proportions, a seeded bootstrap otherwise."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class Estimate:
    """A value with its sample size and confidence interval (NaN throughout when there is no sample)."""

    value: float
    low: float
    high: float
    n: int
    method: str

    def as_dict(self) -> dict:
        """Return the estimate as plain JSON-ready data (NaN as None)."""
        return {
            "value": None if math.isnan(self.value) else self.value,
            "low": None if math.isnan(self.low) else self.low,
            "high": None if math.isnan(self.high) else self.high,
            "n": self.n,
            "method": self.method,
        }


def wilson_interval(successes: int, n: int, *, confidence: float = 0.95) -> Estimate:
    """Return the proportion ``successes / n`` with its Wilson score interval."""
    if n <= 0:
        return Estimate(math.nan, math.nan, math.nan, 0, "wilson")
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    proportion = successes / n
    denominator = 1 + z * z / n
    centre = (proportion + z * z / (2 * n)) / denominator
    half = z * math.sqrt(proportion * (1 - proportion) / n + z * z / (4 * n * n)) / denominator
    return Estimate(proportion, max(0.0, centre - half), min(1.0, centre + half), n, "wilson")


def bootstrap_interval(
    statistic: Callable[[np.ndarray], np.ndarray],
    n: int,
    *,
    n_resamples: int = 1_000,
    confidence: float = 0.95,
    random_state: int | None = 0,
) -> Estimate:
    """Return a statistic with its percentile bootstrap interval over ``n`` cases.

    ``statistic`` takes a (resamples x n) matrix of case weights (how often each case was drawn; a row of
    ones is the sample itself) and returns one value per row, so every resample is one matrix product.
    """
    if n <= 0:
        return Estimate(math.nan, math.nan, math.nan, 0, "bootstrap")
    value = float(statistic(np.ones((1, n)))[0])
    rng = np.random.default_rng(random_state)
    weights = rng.multinomial(n, np.full(n, 1 / n), size=n_resamples).astype(float)
    resampled = statistic(weights)
    low, high = np.quantile(resampled, [(1 - confidence) / 2, (1 + confidence) / 2])
    return Estimate(value, float(low), float(high), n, "bootstrap")
