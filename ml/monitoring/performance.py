"""Live performance: confirmed diagnoses joined to their predictions, per window, overall and per slice.

An outcome is one prediction with feedback: ``ranked`` (the disease ids in the model's order), ``predicted``
(the ids the model asserted, e.g. above their thresholds; the top-1 when not given) and ``confirmed`` (the
ids the clinician confirmed). Multi-label precision, recall and F1 compare ``predicted`` with ``confirmed``;
micro averages pool every (case, disease) decision, macro averages follow scikit-learn (labels seen in either
side, a label never predicted scores precision 0). Top-k is the share of cases with a confirmed disease among
the first k ranked.

Intervals: Wilson for the proportions (top-k over cases; micro precision and recall over label decisions,
treated as independent trials), a seeded percentile bootstrap over cases for F1 and the macro averages. The
orphan slice holds the cases with at least one confirmed orphan disease; the common slice the others.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from ml.monitoring.intervals import Estimate, bootstrap_interval, wilson_interval

DEFAULT_K = (1, 3, 10)


@dataclass(frozen=True)
class Outcome:
    """One prediction joined to its confirmed diagnoses."""

    ranked: Sequence[str]
    confirmed: Sequence[str]
    predicted: Sequence[str] | None = None

    @property
    def asserted(self) -> tuple[str, ...]:
        """Return the diseases the model asserted: ``predicted``, or the top-1 when not given."""
        return tuple(self.predicted) if self.predicted is not None else tuple(self.ranked[:1])


@dataclass(frozen=True)
class SliceMetrics:
    """The metrics of one slice of a window, each with its sample size and interval."""

    n_cases: int
    precision_micro: Estimate
    recall_micro: Estimate
    f1_micro: Estimate
    precision_macro: Estimate
    recall_macro: Estimate
    f1_macro: Estimate
    top_k: Mapping[int, Estimate]

    def as_dict(self) -> dict:
        """Return the metrics as plain JSON-ready data."""
        names = ("precision_micro", "recall_micro", "f1_micro", "precision_macro", "recall_macro", "f1_macro")
        result: dict = {"n_cases": self.n_cases} | {name: getattr(self, name).as_dict() for name in names}
        return result | {"top_k": {str(k): estimate.as_dict() for k, estimate in self.top_k.items()}}


@dataclass(frozen=True)
class PerformanceResult:
    """The performance of one window: all cases, the orphan slice and the common slice."""

    overall: SliceMetrics
    orphan: SliceMetrics
    common: SliceMetrics

    def as_dict(self) -> dict:
        """Return the result as plain JSON-ready data."""
        return {"overall": self.overall.as_dict(), "orphan": self.orphan.as_dict(), "common": self.common.as_dict()}


def as_outcome(record: Outcome | Mapping) -> Outcome:
    """Return an outcome from an ``Outcome`` or a mapping with ``ranked``, ``confirmed`` and maybe ``predicted``."""
    if isinstance(record, Outcome):
        return record
    return Outcome(ranked=record["ranked"], confirmed=record["confirmed"], predicted=record.get("predicted"))


def _label_matrices(outcomes: Sequence[Outcome]) -> tuple[sparse.csr_array, sparse.csr_array]:
    """Return the (cases x labels) 0/1 matrices of asserted and confirmed diseases."""
    labels: dict[str, int] = {}
    for outcome in outcomes:
        for disease_id in (*outcome.asserted, *outcome.confirmed):
            labels.setdefault(disease_id, len(labels))

    def matrix(lists: Iterable[Iterable[str]]) -> sparse.csr_array:
        rows, columns = [], []
        for row, ids in enumerate(lists):
            for column in {labels[disease_id] for disease_id in ids}:
                rows.append(row)
                columns.append(column)
        data = np.ones(len(rows))
        return sparse.csr_array((data, (rows, columns)), shape=(len(outcomes), max(len(labels), 1)))

    return matrix(o.asserted for o in outcomes), matrix(o.confirmed for o in outcomes)


def _per_label(weights: np.ndarray, matrix: sparse.csr_array) -> np.ndarray:
    """Return the weighted column sums of ``matrix`` for each row of case weights (resamples x labels)."""
    return np.asarray((matrix.T @ weights.T).T)


def _safe_ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """Return numerator / denominator, 0 where the denominator is 0."""
    return np.divide(numerator, denominator, out=np.zeros_like(numerator, dtype=float), where=denominator > 0)


def _macro(kind: str, asserted: sparse.csr_array, confirmed: sparse.csr_array):
    """Return the bootstrap statistic of a macro average (``precision``, ``recall`` or ``f1``)."""
    hits = asserted.multiply(confirmed).tocsr()

    def statistic(weights: np.ndarray) -> np.ndarray:
        tp, pred, true = (_per_label(weights, matrix) for matrix in (hits, asserted, confirmed))
        per_label = {
            "precision": _safe_ratio(tp, pred),
            "recall": _safe_ratio(tp, true),
            "f1": _safe_ratio(2 * tp, pred + true),
        }[kind]
        seen = (pred + true) > 0
        return _safe_ratio((per_label * seen).sum(axis=1), seen.sum(axis=1).astype(float))

    return statistic


def _micro_f1(asserted: sparse.csr_array, confirmed: sparse.csr_array):
    """Return the bootstrap statistic of micro F1."""
    hits = np.asarray(asserted.multiply(confirmed).sum(axis=1)).ravel()
    pred, true = np.asarray(asserted.sum(axis=1)).ravel(), np.asarray(confirmed.sum(axis=1)).ravel()
    return lambda weights: _safe_ratio(2 * (weights @ hits), weights @ (pred + true))


def slice_metrics(
    outcomes: Sequence[Outcome],
    *,
    k: Sequence[int] = DEFAULT_K,
    n_resamples: int = 1_000,
    confidence: float = 0.95,
    random_state: int | None = 0,
) -> SliceMetrics:
    """Return precision, recall, F1 (micro and macro) and top-k of a set of outcomes, with intervals."""
    n = len(outcomes)
    asserted, confirmed = _label_matrices(outcomes)
    hits = int(asserted.multiply(confirmed).sum())
    boot = {"n_resamples": n_resamples, "confidence": confidence, "random_state": random_state}
    top_k = {
        depth: wilson_interval(
            sum(bool(set(o.ranked[:depth]) & set(o.confirmed)) for o in outcomes), n, confidence=confidence
        )
        for depth in k
    }
    return SliceMetrics(
        n_cases=n,
        precision_micro=wilson_interval(hits, int(asserted.sum()), confidence=confidence),
        recall_micro=wilson_interval(hits, int(confirmed.sum()), confidence=confidence),
        f1_micro=bootstrap_interval(_micro_f1(asserted, confirmed), n, **boot),
        precision_macro=bootstrap_interval(_macro("precision", asserted, confirmed), n, **boot),
        recall_macro=bootstrap_interval(_macro("recall", asserted, confirmed), n, **boot),
        f1_macro=bootstrap_interval(_macro("f1", asserted, confirmed), n, **boot),
        top_k=top_k,
    )


def window_performance(
    outcomes: Iterable[Outcome | Mapping],
    *,
    orphan_diseases: Container[str],
    k: Sequence[int] = DEFAULT_K,
    n_resamples: int = 1_000,
    confidence: float = 0.95,
    random_state: int | None = 0,
) -> PerformanceResult:
    """Return the performance of one window of outcomes: overall, orphan slice and common slice."""
    cases = [as_outcome(record) for record in outcomes]
    is_orphan = [any(disease_id in orphan_diseases for disease_id in case.confirmed) for case in cases]
    options = {"k": k, "n_resamples": n_resamples, "confidence": confidence, "random_state": random_state}
    return PerformanceResult(
        overall=slice_metrics(cases, **options),
        orphan=slice_metrics([c for c, orphan in zip(cases, is_orphan, strict=True) if orphan], **options),
        common=slice_metrics([c for c, orphan in zip(cases, is_orphan, strict=True) if not orphan], **options),
    )
