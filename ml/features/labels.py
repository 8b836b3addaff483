"""The multi-label disease matrix, with the diseases below a minimum support listed rather than dropped."""

from __future__ import annotations

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ml.dataset import Dataset


class TrainingDataError(ValueError):
    """The data cannot train a model (no cases, or fewer than two diseases with enough support); says why."""


class DiseaseLabels(BaseEstimator, TransformerMixin):
    """Binarise each case's confirmed diseases over the diseases with at least ``min_support`` cases.

    ``classes_`` are the kept diseases (sorted), ``support_`` their case counts, and ``below_support_`` maps each
    disease under the threshold to its count: these are left to the knowledge-informed model, and a training run
    lists them.
    """

    def __init__(self, *, min_support: int = 10):
        self.min_support = min_support

    def fit(self, dataset: Dataset, y=None) -> DiseaseLabels:
        """Count the cases of each disease and keep those with at least ``min_support``."""
        if dataset.n_cases == 0:
            raise TrainingDataError("The warehouse holds no cases: there is nothing to train on.")
        counts = dataset.diagnoses.groupby("disease_id")["case_id"].nunique().sort_index()
        kept = counts[counts >= self.min_support]
        if len(kept) < 2:
            raise TrainingDataError(
                f"Training needs at least two diseases with {self.min_support} or more cases; the warehouse has "
                f"{len(kept)} (of {len(counts)} diagnosed diseases). Add confirmed cases or lower min_support."
            )
        self.classes_ = np.asarray(kept.index, dtype=object)
        self.support_ = kept.to_numpy(dtype=np.int64)
        self.below_support_ = {str(k): int(v) for k, v in counts[counts < self.min_support].items()}
        self.class_index_ = {disease: column for column, disease in enumerate(self.classes_)}
        return self

    def transform(self, dataset: Dataset) -> np.ndarray:
        """Return the uint8 case × disease indicator matrix, rows in ``dataset.cases`` order."""
        check_is_fitted(self, "classes_")
        position = {case_id: row for row, case_id in enumerate(dataset.cases["case_id"])}
        rows, columns = [], []
        for case_id, disease in zip(dataset.diagnoses["case_id"], dataset.diagnoses["disease_id"], strict=True):
            column = self.class_index_.get(disease)
            row = position.get(case_id)
            if column is not None and row is not None:
                rows.append(row)
                columns.append(column)
        matrix = sparse.csr_matrix(
            (np.ones(len(rows), np.uint8), (rows, columns)), shape=(dataset.n_cases, len(self.classes_))
        )
        matrix.data[:] = 1
        return matrix.toarray()
