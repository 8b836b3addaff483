"""Imbalance handling for multi-label data: rare-label sample weights and MLSMOTE (Charte et al. 2015).

MLSMOTE, as in the paper: a label is a minority label when its imbalance ratio IRLbl = (count of the most frequent
label) / (its count) exceeds the mean IRLbl. For each case carrying a minority label, one synthetic case is made
from it (the seed) and one of its ``n_neighbors`` nearest neighbours among the cases carrying that label:
features interpolated at a random point between the two (binary findings stay in [0, 1]); labels by the
paper's *ranking* rule — a label is set when it appears in more than half of the seed and its neighbours.
Run it on training rows only (the training module calls it inside each training fold).
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from sklearn.neighbors import NearestNeighbors


def rare_label_weights(Y: np.ndarray, *, power: float = 0.5) -> np.ndarray:
    """Return one weight per row: the mean over its labels of (max count / label count) ** power (1 if none)."""
    Y = np.asarray(Y, dtype=np.float64)
    counts = Y.sum(axis=0)
    ratio = np.where(counts > 0, counts.max() / np.maximum(counts, 1), 0.0) ** power
    n_labels = Y.sum(axis=1)
    weights = np.where(n_labels > 0, (Y @ ratio) / np.maximum(n_labels, 1), 1.0)
    return weights / weights.mean()


def minority_labels(Y: np.ndarray) -> np.ndarray:
    """Return the columns whose imbalance ratio exceeds the mean imbalance ratio (labels with no rows excluded)."""
    counts = np.asarray(Y, dtype=np.float64).sum(axis=0)
    present = counts > 0
    ratio = np.zeros_like(counts)
    ratio[present] = counts[present].max() / counts[present]
    return np.flatnonzero(present & (ratio > ratio[present].mean()))


def mlsmote(X, Y: np.ndarray, *, n_neighbors: int = 5, random_state: int = 0) -> tuple[sparse.csr_matrix, np.ndarray]:
    """Return only the synthetic rows (X_new, Y_new) that MLSMOTE makes from ``(X, Y)``; the inputs are unchanged."""
    rng = np.random.default_rng(random_state)
    X = sparse.csr_matrix(X, dtype=np.float32)
    Y = np.asarray(Y, dtype=np.uint8)
    new_x, new_y = [], []
    for label in minority_labels(Y):
        rows = np.flatnonzero(Y[:, label])
        if len(rows) < 2:
            continue
        k = min(n_neighbors, len(rows) - 1)
        finder = NearestNeighbors(n_neighbors=k + 1).fit(X[rows])
        _, neighbours = finder.kneighbors(X[rows])
        for position, seed in enumerate(rows):
            group = rows[neighbours[position, 1:]]
            reference = group[rng.integers(len(group))]
            gap = np.float32(rng.random())
            new_x.append(X[seed] + gap * (X[reference] - X[seed]))
            votes = Y[seed].astype(np.int64) + Y[group].sum(axis=0)
            new_y.append((votes > (len(group) + 1) / 2).astype(np.uint8))
            new_y[-1][label] = 1
    if not new_x:
        return sparse.csr_matrix((0, X.shape[1]), dtype=np.float32), np.zeros((0, Y.shape[1]), dtype=np.uint8)
    return sparse.vstack(new_x, format="csr"), np.vstack(new_y)
