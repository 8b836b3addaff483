"""Optional dimension reduction for the design matrix: TruncatedSVD, or chi² / mutual-information selection.

scikit-learn's ``SelectKBest`` scores one target; here a feature's score is its best score over the labels, so a
finding that marks one rare disease is kept even when it says nothing about the others.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.decomposition import TruncatedSVD
from sklearn.utils.validation import check_is_fitted


def chi2_multilabel(X, Y: np.ndarray) -> np.ndarray:
    """Return each feature's largest chi² statistic over the labels (scikit-learn's chi2, one label at a time)."""
    X = sparse.csr_matrix(X, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    observed = np.asarray((sparse.csr_matrix(Y.T) @ X).todense())
    expected = np.outer(Y.mean(axis=0), np.asarray(X.sum(axis=0)).ravel())
    with np.errstate(divide="ignore", invalid="ignore"):
        score = np.where(expected > 0, (observed - expected) ** 2 / expected, 0.0)
    return score.max(axis=0)


def mutual_info_multilabel(X, Y: np.ndarray) -> np.ndarray:
    """Return each feature's largest mutual information (nats) with a label, the feature read as nonzero or not."""
    B = (sparse.csr_matrix(X) != 0).astype(np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    n = B.shape[0]
    n11 = np.asarray((sparse.csr_matrix(Y.T) @ B).todense())
    feature = np.asarray(B.sum(axis=0)).ravel()[None, :]
    label = Y.sum(axis=0)[:, None]
    cells = [(n11, label, feature), (label - n11, label, n - feature),
             (feature - n11, n - label, feature), (n - label - feature + n11, n - label, n - feature)]
    total = np.zeros_like(n11)
    with np.errstate(divide="ignore", invalid="ignore"):
        for joint, marginal_y, marginal_x in cells:
            term = joint / n * np.log(joint * n / (marginal_y * marginal_x))
            total += np.where(joint > 0, term, 0.0)
    return total.max(axis=0)


SCORES = {"chi2": chi2_multilabel, "mutual_info": mutual_info_multilabel}


class MultiLabelSelectKBest(BaseEstimator, TransformerMixin):
    """Keep the ``k`` features with the best multi-label score (``"chi2"`` or ``"mutual_info"``)."""

    def __init__(self, *, score: str = "chi2", k: int = 256):
        self.score = score
        self.k = k

    def fit(self, X, Y) -> MultiLabelSelectKBest:
        """Score every feature against the labels and remember the best ``k`` columns."""
        scores = SCORES[self.score](X, Y)
        k = min(self.k, X.shape[1])
        self.scores_ = scores
        self.support_ = np.sort(np.argsort(-scores, kind="stable")[:k])
        return self

    def transform(self, X):
        """Return the kept columns."""
        check_is_fitted(self, "support_")
        return X[:, self.support_]


def make_reducer(kind: str | None, *, k: int = 256, random_state: int = 0):
    """Return a reducer by name: None, ``"svd"``, ``"chi2"`` or ``"mutual_info"``."""
    if kind is None or kind == "none":
        return None
    if kind == "svd":
        return TruncatedSVD(n_components=k, random_state=random_state)
    if kind in SCORES:
        return MultiLabelSelectKBest(score=kind, k=k)
    raise ValueError(f"unknown reducer {kind!r}; choose none, svd, chi2 or mutual_info")
