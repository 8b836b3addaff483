"""The case encoder: a Dataset (or one clinician query) as a sparse design matrix.

Columns, in order:

* ``present:<HPO>`` — 1 when the finding is recorded present;
* ``absent:<HPO>`` — 1 when it is recorded absent; a term with neither is **unknown** (both 0), so a clinician
  who does not know something is never read as having excluded it;
* ``sex:<value>`` and ``age_group:<label>`` one-hot (an unknown value is all zeros);
* ``temperature_band:<band>`` one-hot, ``temperature_scaled`` (z-score over the training cases, 0 when missing)
  and ``temperature_missing``;
* for each column of ``categorical_columns``: one-hot (``<column>:<value>``) when the training data hold at most
  ``max_onehot`` values, otherwise a smoothed per-label target encoding (``<column>:te:<label>``), fitted on the
  data given to ``fit`` — i.e. inside the training fold when the encoder is part of a fold's pipeline.

Ontology propagation (``ancestors`` given): a present term also switches on each of its ancestors that is in the
vocabulary (a patient with a focal seizure has a seizure). An absent term, with ``absent_propagation="down"``,
switches on the absent column of each vocabulary term below it (no seizure means no focal seizure); it never
propagates up (no focal seizure says nothing about seizures). With ``"none"`` absences stay where recorded. When
propagation makes a term both present and absent, present wins: the contradiction comes from a more general
exclusion the clinician recorded loosely, and the specific positive finding is the stronger evidence.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ml.dataset import CASE_COLUMNS, Dataset
from ml.harmonization import AGE_GROUP_LABELS, TEMPERATURE_BANDS, age_group, temperature_band

SEXES = ("female", "male")
BANDS = tuple(label for _, label in TEMPERATURE_BANDS)


@dataclass(frozen=True)
class Query:
    """One clinician query: findings present and absent (HPO ids), age in years, sex, temperature in °C."""

    present: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()
    age: float | None = None
    sex: str | None = None
    temperature_c: float | None = None
    extra: Mapping[str, object] = field(default_factory=dict)

    def to_dataset(self) -> Dataset:
        """Return the query as a one-case dataset (case id 0)."""
        from ml.dataset import dataset_from_records

        record = {
            "case_id": 0,
            "sex": self.sex,
            "age_group": age_group(None if self.age is None else float(self.age)),
            "temperature_c": self.temperature_c,
            "temperature_band": temperature_band(None if self.temperature_c is None else float(self.temperature_c)),
            "present": list(self.present),
            "absent": list(self.absent),
        }
        return dataset_from_records([{**dict(self.extra), **record}])


def _number(value) -> float:
    """Return ``value`` as a float, NaN when missing or not a number (as ``pd.to_numeric(errors="coerce")``)."""
    try:
        return float(value) if value is not None else float("nan")
    except (TypeError, ValueError):
        return float("nan")


def term_ancestors(kb, term_ids: Iterable[str] | None = None) -> dict[str, tuple[str, ...]]:
    """Return each current term's proper ancestors from ``kb.ancestor_closure`` (all current terms by default)."""
    closure = kb.ancestor_closure
    wanted = kb.term_ids if term_ids is None else term_ids
    out: dict[str, tuple[str, ...]] = {}
    for term_id in wanted:
        index = kb.term_index.get(term_id)
        if index is None or kb.term_obsolete[index]:
            continue
        columns = closure.indices[closure.indptr[index] : closure.indptr[index + 1]]
        out[term_id] = tuple(kb.term_ids[column] for column in columns if column != index)
    return out


def _findings(dataset: Dataset) -> pd.DataFrame:
    """Return the symptom rows with a positional case index column ``row``."""
    position = pd.Series(np.arange(dataset.n_cases), index=dataset.cases["case_id"].to_numpy())
    symptoms = dataset.symptoms
    rows = position.reindex(symptoms["case_id"].to_numpy()).to_numpy()
    keep = ~np.isnan(rows)
    return pd.DataFrame(
        {"row": rows[keep].astype(np.int64), "hpo_id": symptoms["hpo_id"].to_numpy()[keep],
         "present": symptoms["present"].to_numpy(dtype=bool)[keep]}
    )


def _one_hot(values: pd.Series, categories: Sequence[str]) -> sparse.csr_matrix:
    """Return a one-hot block for ``values`` over ``categories``; unknown and missing values give a zero row."""
    codes = pd.Categorical(values.astype(object).where(values.notna(), None), categories=list(categories)).codes
    rows = np.flatnonzero(codes >= 0)
    data = np.ones(len(rows), dtype=np.float32)
    return sparse.csr_matrix((data, (rows, codes[rows])), shape=(len(values), len(categories)))


class CaseEncoder(BaseEstimator, TransformerMixin):
    """Encode cases as present/absent symptom blocks plus demographics and temperature (see the module doc)."""

    def __init__(
        self,
        *,
        ancestors: Mapping[str, Sequence[str]] | None = None,
        absent_propagation: str = "down",
        min_term_count: int = 1,
        categorical_columns: Sequence[str] = (),
        max_onehot: int = 10,
        target_smoothing: float = 10.0,
    ):
        self.ancestors = ancestors
        self.absent_propagation = absent_propagation
        self.min_term_count = min_term_count
        self.categorical_columns = categorical_columns
        self.max_onehot = max_onehot
        self.target_smoothing = target_smoothing

    def fit(self, dataset: Dataset, y=None, *, labels: Sequence[str] | None = None) -> CaseEncoder:
        """Learn the term vocabulary, the temperature scale and the categorical plans from ``dataset``."""
        if self.absent_propagation not in ("down", "none"):
            raise ValueError("absent_propagation must be 'down' or 'none'")
        counts = dataset.symptoms.groupby("hpo_id")["case_id"].nunique()
        self.vocabulary_ = tuple(sorted(counts[counts >= self.min_term_count].index))
        self.term_column_ = {term: index for index, term in enumerate(self.vocabulary_)}
        self._fit_propagation()
        temperature = pd.to_numeric(dataset.cases["temperature_c"], errors="coerce")
        self.temperature_mean_ = float(temperature.mean()) if temperature.notna().any() else 37.0
        std = float(temperature.std()) if temperature.notna().sum() > 1 else 0.0
        self.temperature_std_ = std if std > 0 else 1.0
        self.categorical_plans_ = {
            column: self._plan_column(dataset.cases[column], y, labels) for column in self.categorical_columns
        }
        self.feature_names_ = np.asarray(self._feature_names(), dtype=object)
        self.n_features_ = len(self.feature_names_)
        return self

    def _fit_propagation(self) -> None:
        """Map each known term to the vocabulary columns its presence and its absence switch on."""
        self.up_: dict[str, tuple[int, ...]] = {}
        self.down_: dict[str, tuple[int, ...]] = {}
        if not self.ancestors:
            return
        vocabulary = self.term_column_
        for term, ancestors in self.ancestors.items():
            up = tuple(vocabulary[a] for a in ancestors if a in vocabulary)
            if up:
                self.up_[term] = up
        if self.absent_propagation == "down":
            below: dict[str, list[int]] = {}
            for term in self.vocabulary_:
                for ancestor in self.ancestors.get(term, ()):
                    below.setdefault(ancestor, []).append(vocabulary[term])
            self.down_ = {term: tuple(columns) for term, columns in below.items()}

    def _plan_column(self, values: pd.Series, y, labels: Sequence[str] | None) -> dict:
        """Return one categorical column's plan: one-hot categories, or per-label smoothed target means."""
        categories = sorted(str(value) for value in values.dropna().unique())
        if len(categories) <= self.max_onehot or y is None:
            return {"kind": "onehot", "categories": categories}
        Y = np.asarray(y.toarray() if sparse.issparse(y) else y, dtype=np.float64)
        prior = Y.mean(axis=0)
        frame = pd.DataFrame(Y, index=values.astype(str).to_numpy())
        sums, sizes = frame.groupby(level=0).sum(), frame.groupby(level=0).size()
        weight = self.target_smoothing
        smoothed = (sums.to_numpy() + weight * prior) / (sizes.to_numpy()[:, None] + weight)
        names = list(labels) if labels is not None else [str(index) for index in range(Y.shape[1])]
        return {"kind": "target", "categories": list(sums.index), "table": smoothed, "prior": prior, "labels": names}

    def _feature_names(self) -> list[str]:
        """Return the column names in matrix order."""
        names = [f"present:{term}" for term in self.vocabulary_] + [f"absent:{term}" for term in self.vocabulary_]
        names += [f"sex:{sex}" for sex in SEXES] + [f"age_group:{label}" for label in AGE_GROUP_LABELS]
        names += [f"temperature_band:{band}" for band in BANDS] + ["temperature_scaled", "temperature_missing"]
        for column, plan in self.categorical_plans_.items():
            if plan["kind"] == "onehot":
                names += [f"{column}:{value}" for value in plan["categories"]]
            else:
                names += [f"{column}:te:{label}" for label in plan["labels"]]
        return names

    def transform(self, dataset: Dataset) -> sparse.csr_matrix:
        """Return the float32 CSR design matrix, one row per case in ``dataset.cases`` order."""
        check_is_fitted(self, "vocabulary_")
        cases = dataset.cases
        blocks = [self._symptom_block(dataset)]
        blocks.append(_one_hot(cases["sex"].astype(object).str.lower() if len(cases) else cases["sex"], SEXES))
        blocks.append(_one_hot(cases["age_group"], AGE_GROUP_LABELS))
        blocks.append(_one_hot(cases["temperature_band"], BANDS))
        blocks.append(self._temperature_block(cases["temperature_c"]))
        blocks += [self._categorical_block(cases[column], plan) for column, plan in self.categorical_plans_.items()]
        return sparse.hstack(blocks, format="csr", dtype=np.float32)

    def encode_query(self, query: Query | Mapping) -> sparse.csr_matrix:
        """Return one clinician query as a one-row matrix, encoded exactly as training cases are.

        The row is built straight from the query (no data frames: a prediction is latency-bound); it equals
        ``transform(query.to_dataset())``, the path training cases take, column for column.
        """
        check_is_fitted(self, "vocabulary_")
        if isinstance(query, Mapping):
            query = Query(**{key: tuple(value) if key in ("present", "absent") else value
                             for key, value in query.items()})
        n_terms = len(self.vocabulary_)
        present = self._query_columns(query.present, self.up_)
        absent = self._query_columns(query.absent, self.down_) - present
        columns = sorted(present) + sorted(n_terms + column for column in absent)
        values = [1.0] * len(columns)
        offset = 2 * n_terms
        sex = query.sex.lower() if isinstance(query.sex, str) else None
        age = age_group(None if query.age is None else float(query.age))
        temperature = _number(query.temperature_c)
        band = temperature_band(None if np.isnan(temperature) else temperature)
        for value, categories in ((sex, SEXES), (age, AGE_GROUP_LABELS), (band, BANDS)):
            if value in categories:
                columns.append(offset + categories.index(value))
                values.append(1.0)
            offset += len(categories)
        if np.isnan(temperature):
            columns.append(offset + 1)
            values.append(1.0)
        else:
            columns.append(offset)
            values.append((temperature - self.temperature_mean_) / self.temperature_std_)
        offset += 2
        record = {column: query.extra.get(column) for column in CASE_COLUMNS} | {
            "case_id": 0, "sex": query.sex, "age_group": age, "temperature_c": query.temperature_c,
            "temperature_band": band}
        for column, plan in self.categorical_plans_.items():
            value = record.get(column)
            value = None if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
            categories = plan["categories"]
            if plan["kind"] == "onehot":
                if value in categories:
                    columns.append(offset + categories.index(value))
                    values.append(1.0)
                offset += len(categories)
                continue
            row = plan["table"][categories.index(value)] if value in categories else plan["prior"]
            columns += (offset + np.arange(len(row))).tolist()
            values += np.asarray(row, dtype=np.float64).tolist()
            offset += len(row)
        data = np.asarray(values, dtype=np.float32)
        keep = data != 0  # as the frame path, which stores no zero
        indices = np.asarray(columns, dtype=np.int32)[keep]
        return sparse.csr_matrix((data[keep], indices, np.array([0, len(indices)], dtype=np.int32)),
                                 shape=(1, self.n_features_))

    def _query_columns(self, terms: Iterable[str], propagation: Mapping[str, tuple[int, ...]]) -> set[int]:
        """Return the vocabulary columns a query's terms switch on, with the ontology propagation given."""
        columns: set[int] = set()
        for term in terms:
            column = self.term_column_.get(term)
            if column is not None:
                columns.add(column)
            columns.update(propagation.get(term, ()))
        return columns

    def _symptom_block(self, dataset: Dataset) -> sparse.csr_matrix:
        """Return the present and absent blocks, propagated along the ontology when asked."""
        n_terms = len(self.vocabulary_)
        findings = _findings(dataset)
        rows_present, cols_present, rows_absent, cols_absent = [], [], [], []
        for row, term, present in zip(findings["row"], findings["hpo_id"], findings["present"], strict=True):
            column = self.term_column_.get(term)
            if present:
                if column is not None:
                    rows_present.append(row)
                    cols_present.append(column)
                extra = self.up_.get(term, ())
                rows_present += [row] * len(extra)
                cols_present += extra
            else:
                if column is not None:
                    rows_absent.append(row)
                    cols_absent.append(column)
                extra = self.down_.get(term, ())
                rows_absent += [row] * len(extra)
                cols_absent += extra
        shape = (dataset.n_cases, n_terms)
        present = sparse.csr_matrix((np.ones(len(rows_present), np.float32), (rows_present, cols_present)), shape)
        absent = sparse.csr_matrix((np.ones(len(rows_absent), np.float32), (rows_absent, cols_absent)), shape)
        present.data[:] = 1.0  # duplicates summed by the constructor
        absent.data[:] = 1.0
        absent = absent - absent.multiply(present)
        absent.eliminate_zeros()
        return sparse.hstack([present, absent], format="csr")

    def _temperature_block(self, values: pd.Series) -> sparse.csr_matrix:
        """Return the scaled temperature and its missing indicator as two columns."""
        temperature = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64)
        missing = np.isnan(temperature)
        scaled = np.where(missing, 0.0, (temperature - self.temperature_mean_) / self.temperature_std_)
        return sparse.csr_matrix(np.column_stack([scaled, missing.astype(np.float64)]).astype(np.float32))

    def _categorical_block(self, values: pd.Series, plan: Mapping) -> sparse.csr_matrix:
        """Return one categorical column encoded by its plan."""
        strings = values.astype(object).where(values.notna(), None).map(lambda v: None if v is None else str(v))
        if plan["kind"] == "onehot":
            return _one_hot(strings, plan["categories"])
        index = {category: row for row, category in enumerate(plan["categories"])}
        rows = strings.map(index).to_numpy(dtype=np.float64)
        out = np.tile(plan["prior"], (len(strings), 1))
        known = ~np.isnan(rows)
        out[known] = plan["table"][rows[known].astype(np.int64)]
        return sparse.csr_matrix(out.astype(np.float32))
