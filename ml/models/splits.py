"""Splits for multi-label data: iterative stratification (Sechidis et al. 2011, via ``iterstrat``) plus a repair
step, so that every label with at least two cases has a case on each side of every split.

Iterative stratification balances label counts but can still put both cases of a two-case label on one side;
:func:`_repair` then moves one case across (the case carrying the fewest other labels, to disturb least).
"""

from __future__ import annotations

import numpy as np
from iterstrat.ml_stratifiers import MultilabelStratifiedKFold, MultilabelStratifiedShuffleSplit


def _stratify_once(Y: np.ndarray, test_size: float, random_state: int) -> tuple[np.ndarray, np.ndarray]:
    """Return (kept, held-out) row indices from one iterative-stratification shuffle split."""
    splitter = MultilabelStratifiedShuffleSplit(n_splits=1, test_size=test_size, random_state=random_state)
    kept, held = next(splitter.split(np.zeros((len(Y), 1)), Y))
    return np.sort(kept), np.sort(held)


def _repair(Y: np.ndarray, side: np.ndarray) -> np.ndarray:
    """Return a 0/1 side per row such that each label with ≥ 2 rows has a row on both sides."""
    side = side.copy()
    load = Y.sum(axis=1)
    for label in np.flatnonzero(Y.sum(axis=0) >= 2):
        rows = np.flatnonzero(Y[:, label])
        for target in (0, 1):
            if not np.any(side[rows] == target):
                donors = rows[np.argsort(load[rows], kind="stable")]
                side[donors[0]] = target
    return side


def _two_way(Y: np.ndarray, test_size: float, random_state: int) -> tuple[np.ndarray, np.ndarray]:
    """Return (kept, held-out) row indices, repaired so that labels with ≥ 2 rows straddle the split."""
    side = np.zeros(len(Y), dtype=np.int8)
    _, held = _stratify_once(Y, test_size, random_state)
    side[held] = 1
    side = _repair(Y, side)
    return np.flatnonzero(side == 0), np.flatnonzero(side == 1)


def train_validation_test_split(
    Y: np.ndarray, *, validation_size: float = 0.15, test_size: float = 0.15, random_state: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return sorted (train, validation, test) row indices of the label matrix ``Y``.

    Every label with ≥ 2 rows has a row in train and one in validation ∪ test; a label with ≥ 2 held-out rows has
    one in validation and one in test; a label with ≥ 3 rows is in train, validation and test whenever its rows
    allow it.
    """
    Y = np.asarray(Y, dtype=np.int8)
    if len(Y) < 3:
        raise ValueError("a train/validation/test split needs at least three cases")
    train, held = _two_way(Y, validation_size + test_size, random_state)
    share = test_size / (validation_size + test_size)
    validation_local, test_local = _two_way(Y[held], share, random_state + 1)
    return train, np.sort(held[validation_local]), np.sort(held[test_local])


def stratified_folds(Y: np.ndarray, *, n_folds: int = 3, random_state: int = 0) -> list[np.ndarray]:
    """Return ``n_folds`` sorted validation-row arrays partitioning the rows of ``Y``.

    A label with ≥ 2 rows is spread over at least two folds, so it is on the training side of every fold and on
    the validation side of at least one.
    """
    Y = np.asarray(Y, dtype=np.int8)
    splitter = MultilabelStratifiedKFold(n_splits=n_folds, shuffle=True, random_state=random_state)
    fold = np.empty(len(Y), dtype=np.int64)
    for number, (_, validation) in enumerate(splitter.split(np.zeros((len(Y), 1)), Y)):
        fold[validation] = number
    sizes = np.bincount(fold, minlength=n_folds)
    load = Y.sum(axis=1)
    for label in np.flatnonzero(Y.sum(axis=0) >= 2):
        rows = np.flatnonzero(Y[:, label])
        if len(set(fold[rows])) == 1:
            mover = rows[np.argsort(load[rows], kind="stable")][0]
            others = [f for f in np.argsort(sizes, kind="stable") if f != fold[mover]]
            sizes[fold[mover]] -= 1
            fold[mover] = others[0]
            sizes[others[0]] += 1
    return [np.flatnonzero(fold == number) for number in range(n_folds)]
