"""One-vs-rest logistic regressions score every label in one product, with each label's own model's numbers."""

import numpy as np
import pytest
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


# ----------------------------------------------------------------------------- at most max_negatives rows a label


class CountingLogisticRegression(LogisticRegression):
    """A logistic regression that remembers how many rows (and what weights) its fit was given."""

    def fit(self, X, y, sample_weight=None):
        self.rows_seen_, self.weights_seen_ = X.shape[0], sample_weight
        return super().fit(X, y, sample_weight=sample_weight)


def _rare_labels(n: int = 3000, seed: int = 0):
    """Rows with 40 binary features; each of 3 labels is driven by its own features and has ~2-5 % positives."""
    rng = np.random.default_rng(seed)
    X = (rng.random((n, 40)) < 0.1).astype(np.float64)
    logits = np.column_stack([3.0 * X[:, 3 * j] + 2.5 * X[:, 3 * j + 1] - 5.0 for j in range(3)])
    Y = (rng.random((n, 3)) < 1 / (1 + np.exp(-logits))).astype(int)
    return sparse.csr_matrix(X), Y


def test_a_cap_above_every_labels_negatives_changes_nothing():
    X, Y = _rare_labels()
    full = OneVsRest(LogisticRegression(solver="liblinear"), class_weight="balanced").fit(X, Y)
    capped = OneVsRest(LogisticRegression(solver="liblinear"), class_weight="balanced", max_negatives=3000).fit(X, Y)
    assert capped.n_sampled_ == 0
    np.testing.assert_array_equal(capped.predict_proba(X), full.predict_proba(X))


def test_each_label_is_fitted_on_its_positives_and_at_most_max_negatives_rows():
    X, Y = _rare_labels()
    model = OneVsRest(CountingLogisticRegression(solver="liblinear"), class_weight="balanced",
                      max_negatives=500).fit(X, Y)
    assert model.n_sampled_ == 3
    for label, fitted in enumerate(model.estimators_):
        positives = int(Y[:, label].sum())
        assert fitted.rows_seen_ == positives + 500
        # balanced weights of the whole label: each class weighs n / 2 in total, the sample stands for all negatives
        weights = np.sort(fitted.weights_seen_)
        assert weights[:500].sum() == pytest.approx(len(Y) / 2) and weights[500:].sum() == pytest.approx(len(Y) / 2)


@pytest.mark.parametrize("class_weight", ["balanced", None])
def test_weighted_negative_sampling_keeps_the_models_scale_and_ranking(class_weight):
    X, Y = _rare_labels(n=6000)
    full = OneVsRest(LogisticRegression(solver="liblinear"), class_weight=class_weight).fit(X, Y)
    capped = OneVsRest(LogisticRegression(solver="liblinear"), class_weight=class_weight, max_negatives=1500,
                       random_state=3).fit(X, Y)
    new_X, _ = _rare_labels(n=2000, seed=9)
    p_full, p_capped = full.predict_proba(new_X), capped.predict_proba(new_X)
    for label in range(3):  # the same model up to sampling noise: mean probability and ordering
        assert p_capped[:, label].mean() == pytest.approx(p_full[:, label].mean(), rel=0.15)
        assert np.corrcoef(p_capped[:, label], p_full[:, label])[0, 1] > 0.97
    unweighted = OneVsRest(LogisticRegression(solver="liblinear"), class_weight=class_weight)
    shrunk = unweighted.fit(X[np.r_[np.flatnonzero(Y[:, 0]), np.flatnonzero(Y[:, 0] == 0)[:1500]]],
                            Y[np.r_[np.flatnonzero(Y[:, 0]), np.flatnonzero(Y[:, 0] == 0)[:1500]]][:, :1])
    if class_weight is None:  # without the weights, a sample of the negatives would inflate the probabilities
        assert shrunk.predict_proba(new_X)[:, 0].mean() > 1.5 * p_full[:, 0].mean()


def test_sampling_is_seeded_and_a_bad_cap_is_refused():
    X, Y = _rare_labels()
    first = OneVsRest(LogisticRegression(solver="liblinear"), max_negatives=400, random_state=1).fit(X, Y)
    again = OneVsRest(LogisticRegression(solver="liblinear"), max_negatives=400, random_state=1).fit(X, Y)
    np.testing.assert_array_equal(first.predict_proba(X), again.predict_proba(X))
    with pytest.raises(ValueError, match="max_negatives"):
        OneVsRest(LogisticRegression(solver="liblinear"), max_negatives=0).fit(X, Y)
