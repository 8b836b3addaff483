"""The drift statistics against scipy and against values computed by hand on small tables."""

import math

import numpy as np
import pytest
from scipy import stats as scipy_stats
from scipy.spatial import distance

from ml.monitoring import stats


def test_z_test_matches_the_hand_computed_value_and_the_uncorrected_chi_square_of_the_2x2_table():
    # 30/100 vs 50/100: pooled 0.4, z = -0.2 / sqrt(0.4 * 0.6 * 0.02) = -2.88675, p = 2 * sf(2.88675)
    p_value = stats.z_test_p_value(30, 100, 50, 100)
    assert p_value == pytest.approx(0.0038924, abs=1e-7)
    assert p_value == pytest.approx(scipy_stats.chi2_contingency([[30, 70], [50, 50]], correction=False).pvalue)


def test_z_test_of_two_constant_samples_is_no_drift():
    assert stats.z_test_p_value(0, 50, 0, 80) == 1.0
    assert stats.z_test_p_value(50, 50, 80, 80) == 1.0


def test_chi_square_compares_current_counts_with_the_reference_shares():
    # expected = [50, 30, 20]; chi2 = 10^2/50 + 10^2/30 = 5.333 with 2 df, p = exp(-5.333 / 2)
    p_value = stats.chi_square_p_value(np.array([50, 30, 20]), np.array([40, 40, 20]))
    assert p_value == pytest.approx(math.exp(-16 / 6))
    # Unequal sizes: the expected counts scale to the current total.
    reference, current = np.array([500, 300, 200]), np.array([45, 35, 20])
    assert stats.chi_square_p_value(reference, current) == pytest.approx(
        scipy_stats.chisquare(current, reference * 0.1).pvalue
    )


def test_a_category_the_reference_never_saw_is_certain_drift():
    assert stats.chi_square_p_value(np.array([50, 50, 0]), np.array([40, 40, 1])) == 0.0


def test_jensen_shannon_distance_matches_the_hand_computed_value_and_scipy():
    # P = (.5, .5), Q = (.9, .1), M = (.7, .3): JSD = (KL(P||M) + KL(Q||M)) / 2 = (0.08718 + 0.11632) / 2
    value = stats.jensen_shannon_distance(np.array([5, 5]), np.array([9, 1]))
    assert value == pytest.approx(math.sqrt((0.087177 + 0.116318) / 2), abs=1e-5)
    assert value == pytest.approx(distance.jensenshannon([0.5, 0.5], [0.9, 0.1]))
    assert stats.jensen_shannon_distance(np.array([3, 7]), np.array([30, 70])) == pytest.approx(0.0, abs=1e-7)


def test_empty_bins_get_evidentlys_tiny_share_instead_of_an_infinite_log():
    assert stats.shares(np.array([0, 5, 5])).tolist() == [0.0001, 0.5, 0.5]
    assert math.isfinite(stats.psi(np.array([0, 10]), np.array([10, 0])))


def test_psi_matches_the_hand_computed_value():
    # (.5 - .9) ln(.5/.9) + (.5 - .1) ln(.5/.1) = 0.23511 + 0.64378
    assert stats.psi(np.array([50, 50]), np.array([90, 10])) == pytest.approx(0.878890, abs=1e-6)


def test_wasserstein_is_normalised_by_the_reference_standard_deviation():
    # W1([0, 1], [1, 2]) = 1 and np.std([0, 1]) = 0.5
    ones = np.ones(2)
    assert stats.wasserstein_normed(np.array([0.0, 1.0]), ones, np.array([1.0, 2.0]), ones, reference_std=0.5) == 2.0
    rng = np.random.default_rng(3)
    reference, current = rng.normal(size=300), rng.normal(0.3, 1.2, size=200)
    expected = scipy_stats.wasserstein_distance(reference, current) / np.std(reference)
    got = stats.wasserstein_normed(
        reference, np.ones(300), current, np.ones(200), reference_std=float(np.std(reference))
    )
    assert got == pytest.approx(expected)


def test_a_constant_reference_divides_by_0_001_not_by_zero():
    ones = np.ones(1)
    assert stats.wasserstein_normed(np.array([1.0]), ones, np.array([1.5]), ones, reference_std=0.0) == 500.0


def test_ks_is_scipys_two_sample_test():
    rng = np.random.default_rng(4)
    reference, current = rng.normal(size=100), rng.normal(0.5, size=80)
    assert stats.ks_p_value(reference, current) == scipy_stats.ks_2samp(reference, current).pvalue
