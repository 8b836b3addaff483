"""Iterative stratification puts every label with two or more cases on both sides of every split."""

import numpy as np
import pytest

from ml.models import stratified_folds, train_validation_test_split


def _labels(seed: int = 0) -> np.ndarray:
    """Return a 200 × 30 label matrix: common labels, rare ones with 2 or 3 cases, some two-label rows."""
    rng = np.random.default_rng(seed)
    Y = np.zeros((200, 30), dtype=int)
    Y[np.arange(200), rng.integers(0, 10, 200)] = 1  # ten common labels
    rows = rng.permutation(200)
    cursor = 0
    for label in range(10, 30):
        size = 2 if label < 20 else 3
        Y[rows[cursor:cursor + size], label] = 1
        cursor += size
    return Y


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_every_label_with_two_cases_is_in_train_and_held_out(seed):
    Y = _labels(seed)
    train, validation, test = train_validation_test_split(Y, random_state=seed)
    assert sorted(np.concatenate([train, validation, test]).tolist()) == list(range(200))
    held = np.concatenate([validation, test])
    labels = np.flatnonzero(Y.sum(axis=0) >= 2)
    assert len(labels) == 30
    for label in labels:
        assert Y[train, label].sum() >= 1, label
        assert Y[held, label].sum() >= 1, label
    assert 0.2 < len(held) / 200 < 0.4


@pytest.mark.parametrize("seed", [0, 1])
def test_folds_partition_the_rows_and_spread_each_label_over_two_folds(seed):
    Y = _labels(seed)
    folds = stratified_folds(Y, n_folds=3, random_state=seed)
    assert sorted(np.concatenate(folds).tolist()) == list(range(200))
    assert all(50 <= len(fold) <= 85 for fold in folds)
    for label in np.flatnonzero(Y.sum(axis=0) >= 2):
        assert sum(Y[fold, label].sum() > 0 for fold in folds) >= 2, label


def test_the_split_is_seeded():
    Y = _labels()
    first, second = train_validation_test_split(Y, random_state=5), train_validation_test_split(Y, random_state=5)
    assert all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))
