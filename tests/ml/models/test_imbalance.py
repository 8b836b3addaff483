"""Rare-label weights and MLSMOTE against hand-computed values."""

import numpy as np
import pytest
from scipy import sparse

from ml.models import minority_labels, mlsmote, rare_label_weights


def test_minority_labels_are_those_above_the_mean_imbalance_ratio():
    Y = np.array([[1, 0, 0]] * 8 + [[0, 1, 0]] * 4 + [[0, 0, 1]] * 1)
    # IRLbl = 8/8, 8/4, 8/1 = 1, 2, 8; mean 11/3: only the last label is a minority label.
    assert minority_labels(Y).tolist() == [2]


def test_rare_label_weights_favour_rare_labels_and_average_one():
    Y = np.array([[1, 0]] * 4 + [[0, 1]] * 1 + [[0, 0]])
    weights = rare_label_weights(Y, power=1.0)
    raw = np.array([1.0] * 4 + [4.0] + [1.0])  # ratio max/count: 1 for the common label, 4 for the rare one
    assert weights == pytest.approx(raw / raw.mean())


def test_mlsmote_makes_rows_for_minority_labels_between_a_seed_and_its_neighbour():
    rng = np.random.default_rng(0)
    common = np.column_stack([rng.random(30), np.zeros(30)])
    rare = np.column_stack([np.zeros(4), 10 + rng.random(4)])
    X = sparse.csr_matrix(np.vstack([common, rare]))
    Y = np.array([[1, 0]] * 30 + [[0, 1]] * 4)
    before = X.copy()
    X_new, Y_new = mlsmote(X, Y, n_neighbors=2, random_state=0)
    assert X_new.shape == (4, 2)  # one synthetic row per case of the minority label
    assert Y_new.tolist() == [[0, 1]] * 4
    dense = X_new.toarray()
    assert np.all(dense[:, 0] == 0) and np.all((dense[:, 1] >= 10) & (dense[:, 1] <= 11))
    assert (before != X).nnz == 0  # inputs untouched


def test_mlsmote_without_minority_labels_adds_nothing():
    X_new, Y_new = mlsmote(sparse.csr_matrix(np.eye(4)), np.array([[1, 0], [1, 0], [0, 1], [0, 1]]))
    assert X_new.shape == (0, 4) and Y_new.shape == (0, 2)
