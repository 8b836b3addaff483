"""One-vs-rest logistic regressions score every label in one product, with each label's own model's numbers."""

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier

from ml.models.supervised import OneVsRest


def _data(seed: int = 0):
    rng = np.random.default_rng(seed)
    X = sparse.random(120, 30, density=0.2, format="csr", random_state=seed, dtype=np.float32)
    Y = np.column_stack([(X[:, j].toarray().ravel() > 0).astype(int) ^ (rng.random(120) < 0.1) for j in range(4)])
    Y = np.column_stack([Y, np.zeros(120, dtype=int)])  # a label no training row has: a constant 0
    return X, Y


def _one_call_per_label(model: OneVsRest, X) -> np.ndarray:
    return np.column_stack([np.full(X.shape[0], m) if isinstance(m, float) else m.predict_proba(X)[:, 1]
                            for m in model.estimators_])


def test_stacked_logistic_scores_equal_each_labels_own_model():
    X, Y = _data()
    model = OneVsRest(LogisticRegression(solver="liblinear"), class_weight="balanced").fit(X, Y)
    assert model.linear_ is not None
    new = sparse.random(9, 30, density=0.3, format="csr", random_state=5, dtype=np.float32)
    proba = model.predict_proba(new)
    np.testing.assert_allclose(proba, _one_call_per_label(model, new), rtol=1e-12, atol=1e-15)
    assert (proba[:, -1] == 0).all() and len(np.unique(np.round(proba[:, 0], 8))) > 1


def test_a_model_pickled_before_the_stacked_path_scores_the_same():
    X, Y = _data(1)
    model = OneVsRest(LogisticRegression(solver="liblinear")).fit(X, Y)
    expected = model.predict_proba(X[:5])
    del model.linear_
    np.testing.assert_allclose(model.predict_proba(X[:5]), expected, rtol=1e-12, atol=1e-15)


def test_other_classifiers_keep_one_call_per_label():
    X, Y = _data(2)
    model = OneVsRest(DecisionTreeClassifier(random_state=0)).fit(X, Y)
    assert model.linear_ is None
    np.testing.assert_array_equal(model.predict_proba(X[:7]), _one_call_per_label(model, X[:7]))
