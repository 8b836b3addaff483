"""The supervised candidates and the multi-label model that chains encoder, reducer, oversampling and classifier.

:class:`MultiLabelModel` is fitted on a :class:`~ml.dataset.Dataset` and its label matrix: it fits the case encoder,
the optional reducer and oversampling on those rows only, so whatever it learns comes from the training fold it is
given. Candidates: ``decision_tree`` and ``random_forest`` (native multi-output), ``hist_gradient_boosting`` and
``logistic_regression`` (one binary model per label).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from scipy import sparse
from scipy.special import expit
from sklearn.base import BaseEstimator, clone
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from ml.dataset import Dataset
from ml.features.encoder import CaseEncoder, Query
from ml.features.selection import make_reducer
from ml.models.imbalance import mlsmote, rare_label_weights

CANDIDATES = ("logistic_regression", "decision_tree", "random_forest", "hist_gradient_boosting")

#: The search space of each candidate (lists are sampled uniformly by a seeded ParameterSampler). ``weighting``:
#: "balanced" = class weights per label, "rare" = sample weights favouring rare labels, "none".
PARAM_SPACES: dict[str, dict[str, list]] = {
    "logistic_regression": {
        "C": [0.1, 0.3, 1.0, 3.0, 10.0],
        "weighting": ["balanced", "none"],
        "oversample": ["none", "mlsmote"],
    },
    "decision_tree": {
        "max_depth": [None, 20, 40],
        "min_samples_leaf": [1, 2, 5],
        "weighting": ["rare", "none"],
        "oversample": ["none", "mlsmote"],
    },
    "random_forest": {
        "n_estimators": [40, 80],
        "max_depth": [None, 30],
        "min_samples_leaf": [1, 2],
        "weighting": ["rare", "none"],
        "oversample": ["none", "mlsmote"],
        "reducer": ["chi2"],
        "k": [512],
    },
    "hist_gradient_boosting": {
        "max_iter": [30, 60],
        "learning_rate": [0.1, 0.2],
        "max_leaf_nodes": [15, 31],
        "min_samples_leaf": [5, 20],
        "weighting": ["balanced", "none"],
        "oversample": ["none"],
        "reducer": ["chi2"],
        "k": [128, 256],
    },
}

_PIPELINE_KEYS = ("weighting", "oversample", "reducer", "k")
#: Up to this many rows (a clinician's query) ``predict_proba`` does not cap the thread pools: threadpoolctl
#: re-reads the process's loaded libraries on every call, which costs more than scoring one row.
SMALL_BATCH = 16


class OneVsRest(BaseEstimator):
    """One binary classifier per label; a label constant in the training rows predicts its constant.

    ``max_negatives`` bounds the rows of each label's fit: when a label has more negative rows, a seeded uniform
    sample of that many stands for them, each weighted by the inverse of the sampling rate, so the fitted loss
    is an unbiased estimate of the full one (the same expected objective and probability scale; Fithian & Hastie
    2014 call this case-control sampling with weights). "balanced" class weights are those of the full label.
    Without it, one label's liblinear fit grows faster than its rows (4x the cases cost ~10x, docs/BENCHMARKS.md);
    with it, a label costs at most ``max_negatives`` + its positives, whatever the number of cases.
    """

    def __init__(self, estimator, *, class_weight: str | None = None, max_negatives: int | None = None,
                 random_state: int = 0):
        self.estimator = estimator
        self.class_weight = class_weight
        self.max_negatives = max_negatives
        self.random_state = random_state

    def fit(self, X, Y: np.ndarray, sample_weight: np.ndarray | None = None) -> OneVsRest:
        """Fit one clone of ``estimator`` per label column."""
        if self.max_negatives is not None and self.max_negatives < 1:
            raise ValueError("max_negatives must be a positive number of rows or None")
        self.estimators_: list = []
        self.n_sampled_ = 0  # labels whose negatives were sampled
        for label in range(Y.shape[1]):
            y = np.asarray(Y[:, label], dtype=np.int64)
            if y.min() == y.max():
                self.estimators_.append(float(y[0]))
                continue
            model = clone(self.estimator)
            rows, weights = self._sample(y, sample_weight, label)
            if rows is None:
                if self.class_weight is not None:
                    model.set_params(class_weight=self.class_weight)
                self.estimators_.append(model.fit(X, y, sample_weight=sample_weight))
            else:
                self.n_sampled_ += 1
                self.estimators_.append(model.fit(X[rows], y[rows], sample_weight=weights))
        self.linear_ = _stack_linear(self.estimators_)
        return self

    def _sample(self, y: np.ndarray, sample_weight: np.ndarray | None, label: int):
        """Return (rows, weights) of one label's fit when its negatives are sampled, else (None, None)."""
        negatives = np.flatnonzero(y == 0)
        if self.max_negatives is None or len(negatives) <= self.max_negatives:
            return None, None
        rng = np.random.default_rng([self.random_state, label])
        kept = rng.choice(negatives, size=self.max_negatives, replace=False)
        rows = np.sort(np.concatenate([np.flatnonzero(y == 1), kept]))
        # The class weights of the whole label (what liblinear would apply to every row), then the sampling's.
        negative_weight, positive_weight = (1.0, 1.0) if self.class_weight is None else compute_class_weight(
            self.class_weight, classes=np.array([0, 1]), y=y)
        weights = np.where(y[rows] == 1, positive_weight, negative_weight * len(negatives) / self.max_negatives)
        if sample_weight is not None:
            weights = weights * np.asarray(sample_weight, dtype=np.float64)[rows]
        return rows, weights

    def predict_proba(self, X) -> np.ndarray:
        """Return the (n_rows, n_labels) probability of each label.

        When every label's model is a binary logistic regression (or a constant), the labels are scored in one
        product with their stacked coefficients instead of one scikit-learn call each (the same arithmetic:
        ``expit(X @ coef.T + intercept)``); a single query then costs one sparse-dense product, not one input
        validation per label.
        """
        check_is_fitted(self, "estimators_")
        if not hasattr(self, "linear_"):  # a model fitted before the stacked path existed
            self.linear_ = _stack_linear(self.estimators_)
        if self.linear_ is not None:
            coef_t, intercept, constant, value = self.linear_
            scores = np.asarray(X @ coef_t, dtype=np.float64).reshape(X.shape[0], -1) + intercept
            proba = expit(scores)
            proba[:, constant] = value[constant]
            return proba
        columns = [
            np.full(X.shape[0], model) if isinstance(model, float) else model.predict_proba(X)[:, 1]
            for model in self.estimators_
        ]
        return np.column_stack(columns)


def _stack_linear(estimators: Sequence) -> tuple | None:
    """Return (coef.T, intercept, constant mask, constant values) when every model is a binary logistic regression.

    ``coef.T`` is ``n_features x n_labels``, C-contiguous (scipy copies a strided operand on every product); a
    constant label's column is zero and its probability its constant value. ``None`` when any model is of another
    kind.
    """
    models = [model for model in estimators if not isinstance(model, float)]
    if not models or not all(isinstance(model, LogisticRegression) and model.coef_.shape[0] == 1
                             and list(model.classes_) == [0, 1] for model in models):
        return None
    n_features = models[0].coef_.shape[1]
    coef = np.zeros((len(estimators), n_features))
    intercept = np.zeros(len(estimators))
    constant = np.zeros(len(estimators), dtype=bool)
    value = np.zeros(len(estimators))
    for label, model in enumerate(estimators):
        if isinstance(model, float):
            constant[label], value[label] = True, model
        else:
            coef[label], intercept[label] = model.coef_[0], model.intercept_[0]
    return np.ascontiguousarray(coef.T), intercept, constant, value


def _multi_output_proba(model, X) -> np.ndarray:
    """Return the positive-class probability of each output of a native multi-output tree model."""
    columns = []
    for classes, proba in zip(model.classes_, model.predict_proba(X), strict=True):
        positive = np.flatnonzero(np.asarray(classes) == 1)
        columns.append(proba[:, positive[0]] if len(positive) else np.zeros(X.shape[0]))
    return np.column_stack(columns)


def make_classifier(candidate: str, params: Mapping, *, random_state: int = 0, max_negatives: int | None = None):
    """Return the unfitted classifier of a candidate with its own (non-pipeline) parameters.

    ``max_negatives`` bounds each label's rows in the one-vs-rest candidates (:class:`OneVsRest`).
    """
    own = {key: value for key, value in params.items() if key not in _PIPELINE_KEYS}
    weighting = params.get("weighting", "none")
    one_vs_rest = {"class_weight": "balanced" if weighting == "balanced" else None, "max_negatives": max_negatives,
                   "random_state": random_state}
    if candidate == "logistic_regression":
        base = LogisticRegression(solver="liblinear", max_iter=200, random_state=random_state, **own)
        return OneVsRest(base, **one_vs_rest)
    if candidate == "hist_gradient_boosting":
        base = HistGradientBoostingClassifier(early_stopping=False, random_state=random_state, **own)
        return OneVsRest(base, **one_vs_rest)
    if candidate == "decision_tree":
        return DecisionTreeClassifier(random_state=random_state, **own)
    if candidate == "random_forest":
        return RandomForestClassifier(max_features="sqrt", n_jobs=1, random_state=random_state, **own)
    raise ValueError(f"unknown candidate {candidate!r}; choose one of {', '.join(CANDIDATES)}")


class MultiLabelModel(BaseEstimator):
    """Encoder → optional reducer → optional MLSMOTE (training rows only) → one candidate classifier.

    ``n_threads`` caps the BLAS/OpenMP threads while fitting and predicting: the search runs many units side by
    side (one per worker), and on a busy machine OpenMP's spinning threads made a small gradient-boosting fit 20
    times slower than with one thread. ``max_negatives`` bounds each label's rows in a one-vs-rest candidate.
    """

    def __init__(
        self,
        *,
        candidate: str = "logistic_regression",
        params: Mapping | None = None,
        encoder: CaseEncoder | None = None,
        n_threads: int = 1,
        max_negatives: int | None = None,
        random_state: int = 0,
    ):
        self.candidate = candidate
        self.params = params
        self.encoder = encoder
        self.n_threads = n_threads
        self.max_negatives = max_negatives
        self.random_state = random_state

    def fit(self, dataset: Dataset, Y: np.ndarray) -> MultiLabelModel:
        """Fit every stage on ``dataset`` and its label matrix ``Y`` (rows in ``dataset.cases`` order)."""
        with threadpool_limits(limits=self.n_threads):
            return self._fit(dataset, Y)

    def _fit(self, dataset: Dataset, Y: np.ndarray) -> MultiLabelModel:
        """Fit the stages (the body of :meth:`fit`)."""
        params = dict(self.params or {})
        Y = np.asarray(Y, dtype=np.uint8)
        # A shallow copy, not clone(): clone deep-copies the ontology map (19,000 terms) on every fit.
        self.encoder_ = type(self.encoder)(**self.encoder.get_params(deep=False)) if self.encoder else CaseEncoder()
        X = self.encoder_.fit(dataset, Y).transform(dataset)
        self.reducer_ = make_reducer(params.get("reducer"), k=min(params.get("k", 256), X.shape[1] - 1),
                                     random_state=self.random_state)
        if self.reducer_ is not None:
            X = self.reducer_.fit(X, Y).transform(X)
        self.n_synthetic_ = 0
        if params.get("oversample", "none") == "mlsmote":
            X_new, Y_new = mlsmote(X, Y, random_state=self.random_state)
            self.n_synthetic_ = X_new.shape[0]
            X, Y = sparse.vstack([sparse.csr_matrix(X), X_new], format="csr"), np.vstack([Y, Y_new])
        self.classifier_ = make_classifier(self.candidate, params, random_state=self.random_state,
                                           max_negatives=self.max_negatives)
        weights = rare_label_weights(Y) if params.get("weighting") == "rare" else None
        self.classifier_.fit(self._ready(X), Y, sample_weight=weights)
        self.n_labels_ = Y.shape[1]
        return self

    def _ready(self, X):
        """Return ``X`` as the classifier wants it: dense for gradient boosting, CSR otherwise."""
        if self.candidate == "hist_gradient_boosting":
            return X.toarray() if sparse.issparse(X) else np.asarray(X)
        return sparse.csr_matrix(X) if not isinstance(X, np.ndarray) else X

    def transform_inputs(self, data: Dataset | Query | Mapping | Sequence) -> object:
        """Return the classifier-ready matrix for a dataset, a query, or a list of queries."""
        check_is_fitted(self, "classifier_")
        if isinstance(data, Dataset):
            X = self.encoder_.transform(data)
        elif isinstance(data, Query | Mapping):
            X = self.encoder_.encode_query(data)
        else:
            X = sparse.vstack([self.encoder_.encode_query(query) for query in data], format="csr")
        if self.reducer_ is not None:
            X = self.reducer_.transform(X)
        return self._ready(X)

    def predict_proba(self, data) -> np.ndarray:
        """Return the (n_cases, n_labels) uncalibrated probabilities for a dataset, a query or queries."""
        X = self.transform_inputs(data)
        if X.shape[0] <= SMALL_BATCH:  # a query or a few: no thread pool to cap, and capping costs ~1-15 ms
            return self._predict_proba(X)
        with threadpool_limits(limits=self.n_threads):
            return self._predict_proba(X)

    def _predict_proba(self, X) -> np.ndarray:
        """Return the classifier's probabilities for a ready matrix."""
        if isinstance(self.classifier_, OneVsRest):
            return self.classifier_.predict_proba(X)
        return _multi_output_proba(self.classifier_, X)
