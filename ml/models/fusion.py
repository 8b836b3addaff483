"""One ranking over every disease: the supervised bundle where the warehouse has data, the knowledge model elsewhere.

For a disease the supervised bundle knows, with ``n`` training cases, the fused probability is
``w * p_model + (1 - w) * p_knowledge`` with ``w = n / (n + blend_support)``; every other disease (orphan,
below the bundle's minimum support, or no bundle at all) takes the knowledge model's probability. Both are
calibrated probabilities that the patient has the disease (the bundle's per-label calibration, the knowledge
model's temperature), so they share one scale; the fused values are per-disease probabilities and need not
sum to one.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from ml.models.knowledge import KnowledgeModel, explain_disease, select_beta_strength

SOURCES = ("model", "blend", "knowledge")
#: A blend weight at or above this reports the probability as the supervised model's, at or below 1 - it as the
#: knowledge model's: the other side then moves it by less than a tenth.
SOURCE_SHARE = 0.9


@dataclass(frozen=True, slots=True)
class RankedDisease:
    """One entry of a fused differential: the probability, where it came from, and why."""

    disease_id: str
    name: str
    probability: float
    source: str  # "model", "blend" or "knowledge"
    model_weight: float  # w, the supervised model's share of the probability
    model_probability: float | None  # the bundle's calibrated probability (None: not one of its labels)
    knowledge_probability: float | None  # the knowledge model's (None: a bundle label the KB lacks)
    evidence: tuple[tuple[str, bool, float], ...]  # (HPO id, present?, log LR), strongest first; () if not computed
    genes: tuple[str, ...] = ()
    same_disease: tuple[str, ...] = ()  # other entries (OMIM, ORPHA, ...) naming the same disease


@dataclass(frozen=True, slots=True)
class Ranking:
    """A differential: entries best first, the query's HPO ids the knowledge base did not know, the model version."""

    entries: tuple[RankedDisease, ...]
    ignored_terms: tuple[str, ...] = field(default=())
    model_version: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)  # what a ranker computed on the way (evidence tables)

    @property
    def disease_ids(self) -> tuple[str, ...]:
        """Return the ranked disease ids, best first."""
        return tuple(entry.disease_id for entry in self.entries)

    @property
    def probabilities(self) -> tuple[float, ...]:
        """Return the ranked probabilities, best first."""
        return tuple(entry.probability for entry in self.entries)

    def top(self, n: int) -> list[tuple[str, float]]:
        """Return the first ``n`` (disease id, probability) pairs."""
        return [(entry.disease_id, entry.probability) for entry in self.entries[:n]]

    def __iter__(self) -> Iterator[RankedDisease]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def __getitem__(self, index: int) -> RankedDisease:
        return self.entries[index]


class FusedRanker(BaseEstimator):
    """Rank every disease for a query, blending the supervised bundle and the knowledge model by training support.

    ``knowledge_model`` is a fitted :class:`KnowledgeModel`; ``bundle`` a ``PredictorBundle`` (or ``None`` for the
    knowledge model alone). ``fit()`` only aligns the two label sets; call it once, then ``rank`` per query.

    A label's weight is ``support / (support + blend_support)``, times the share of the query's present findings
    the bundle was trained on: the supervised model cannot weigh a finding it never saw (ectopia lentis in a
    warehouse without Marfan cases), so for a query of fever, ectopia lentis and arachnodactyly the model speaks
    for a third and the knowledge model, which knows all three, for the rest.
    """

    def __init__(self, knowledge_model: KnowledgeModel, bundle=None, *, blend_support: float = 20.0):
        self.knowledge_model = knowledge_model
        self.bundle = bundle
        self.blend_support = blend_support

    def fit(self, X=None, y=None):
        """Map the bundle's labels onto the knowledge base's diseases and compute each label's blend weight."""
        if self.blend_support <= 0:
            raise ValueError("blend_support must be positive")
        check_is_fitted(self.knowledge_model)
        kb = self.knowledge_model.kb
        labels = tuple(self.bundle.labels) if self.bundle is not None else ()
        extra = tuple(label for label in labels if label not in kb.disease_index)
        self.classes_ = np.asarray((*kb.disease_ids, *extra))
        index = {disease_id: position for position, disease_id in enumerate(self.classes_)}
        self.label_columns_ = np.array([index[label] for label in labels], dtype=np.int64)
        support = self._support(len(labels))
        self.weights_ = np.zeros(len(self.classes_))
        with np.errstate(invalid="ignore"):
            self.weights_[self.label_columns_] = np.where(
                np.isinf(support), 1.0, support / (support + self.blend_support)
            )
        self.weights_[kb.n_diseases :] = 1.0  # a label the knowledge base lacks has only the model's probability
        self.known_terms_ = frozenset(self.bundle.encoder.term_column_) if self.bundle is not None else frozenset()
        return self

    def coverage(self, query) -> float:
        """Return the share of the query's present findings the bundle was trained on (1 when there are none)."""
        check_is_fitted(self)
        if not query.present:
            return 1.0
        return sum(term in self.known_terms_ for term in query.present) / len(query.present)

    def _query_weights(self, query) -> np.ndarray:
        """Return each class's model weight for this query: its support weight scaled by the query's coverage."""
        weights = self.weights_.copy()
        n_diseases = self.knowledge_model.kb.n_diseases
        weights[:n_diseases] *= self.coverage(query)  # labels the knowledge base lacks keep the model alone
        return weights

    def _support(self, n_labels: int) -> np.ndarray:
        """Return each bundle label's training cases; a bundle without them is trusted fully (infinite support)."""
        support = getattr(self.bundle, "train_support", None)
        if support is None:
            return np.full(n_labels, np.inf)
        return np.asarray(support, dtype=np.float64)

    def predict_proba(self, query) -> np.ndarray:
        """Return the fused probability of every disease (``classes_`` order) for one ``ml.features.Query``."""
        return self._fuse(query)[0]

    def _fuse(self, query):
        """Return fused, knowledge and model (NaN off its labels) probabilities, the query's weights, the evidence
        table and the ignored ids."""
        check_is_fitted(self)
        model, kb = self.knowledge_model, self.knowledge_model.kb
        present, ignored_present = _known(kb, query.present)
        absent, ignored_absent = _known(kb, query.absent)
        knowledge = np.zeros(len(self.classes_))
        # One pass over the findings gives both the scores and the per-disease evidence.
        table = model.evidence_table(present, absent)
        score = model.log_prior_ + model._demographic_log_lr(query.age, query.sex)
        score = score + sum((vector for _, _, vector in table if vector is not None), np.zeros(kb.n_diseases))
        knowledge[: kb.n_diseases] = np.exp(model._posterior(score))
        supervised = np.full(len(self.classes_), np.nan)
        if self.bundle is not None and len(self.label_columns_):
            supervised[self.label_columns_] = np.asarray(self.bundle.predict_proba(query))[0]
        fused, columns, query_weights = knowledge.copy(), self.label_columns_, self._query_weights(query)
        weights = query_weights[columns]
        fused[columns] = weights * supervised[columns] + (1 - weights) * knowledge[columns]
        return fused, knowledge, supervised, query_weights, table, (*ignored_present, *ignored_absent)

    def rank(self, query, top: int = 10, *, explain: int | None = None) -> Ranking:
        """Return the ``top`` diseases for one query, most probable first, with source, evidence and genes.

        The first ``explain`` entries (all by default) carry their evidence; the others have ``evidence=()``.
        ``extra["evidence_table"]`` holds every finding's ratios, so a caller can explain any entry later.
        """
        fused, knowledge, supervised, weights, table, ignored = self._fuse(query)
        top = min(max(int(top), 0), len(fused))
        best = np.argpartition(-fused, top - 1)[:top] if top else np.array([], dtype=np.int64)
        best = best[np.lexsort((best, -fused[best]))]
        explain = top if explain is None else explain
        kb = self.knowledge_model.kb
        # Python values for the few ranked columns at once (per-entry NumPy scalar access costs more than the rest).
        columns = zip(best.tolist(), self.classes_[best].tolist(), fused[best].tolist(), knowledge[best].tolist(),
                      supervised[best].tolist(), weights[best].tolist(), strict=True)
        entries = tuple(
            RankedDisease(
                disease_id=disease_id,
                name=kb.disease_names[j] if j < kb.n_diseases else disease_id,
                probability=probability,
                source=_source(weight),
                model_weight=weight,
                model_probability=None if math.isnan(model_probability) else model_probability,
                knowledge_probability=knowledge_probability if j < kb.n_diseases else None,
                evidence=tuple(explain_disease(table, j)) if j < kb.n_diseases and rank < explain else (),
                genes=kb.disease_genes[j] if j < kb.n_diseases else (),
                same_disease=kb.same_disease(disease_id)[1:] if j < kb.n_diseases else (),
            )
            for rank, (j, disease_id, probability, knowledge_probability, model_probability, weight)
            in enumerate(columns)
        )
        return Ranking(entries=entries, ignored_terms=tuple(ignored), extra={"evidence_table": table})


def _source(weight: float) -> str:
    """Name where a probability comes from, given the supervised model's weight in it."""
    if weight >= SOURCE_SHARE:
        return "model"
    return "knowledge" if weight <= 1 - SOURCE_SHARE else "blend"


def _known(kb, term_ids: Sequence[str]) -> tuple[list[str], list[str]]:
    """Split HPO ids into the ones the knowledge base resolves (as current ids) and the unknown ones."""
    known, unknown = [], []
    for term_id in term_ids:
        current = kb.resolve_term_id(term_id)
        if current is None:
            unknown.append(str(term_id))
        else:
            known.append(current)
    return known, unknown


# ------------------------------------------------------------------------------------- training data


def knowledge_training_data(kb, dataset) -> tuple[sparse.csr_array, sparse.csr_array]:
    """Return the ``X`` (+1 present, -1 absent) and ``Y`` (diagnoses) that ``KnowledgeModel.fit`` takes.

    Rows follow ``dataset.cases``; findings with ids the knowledge base cannot resolve and diagnoses it does
    not list are left out (a case can end with no finding or no disease).
    """
    row_of = {case_id: row for row, case_id in enumerate(dataset.cases["case_id"].tolist())}
    n_cases = len(row_of)
    resolved = {term_id: kb.resolve_term_id(term_id) for term_id in dataset.symptoms["hpo_id"].unique()}
    findings: dict[tuple[int, int], float] = {}
    for case_id, hpo_id, present in dataset.symptoms[["case_id", "hpo_id", "present"]].itertuples(index=False):
        current = resolved.get(hpo_id)
        if current is not None and case_id in row_of:
            key = (row_of[case_id], kb.term_index[current])
            # A term recorded twice for a case counts once; present wins over absent.
            findings[key] = max(findings.get(key, -1.0), 1.0 if present else -1.0)
    rows, columns = zip(*findings, strict=True) if findings else ((), ())
    X = sparse.coo_array((list(findings.values()), (rows, columns)), shape=(n_cases, kb.n_terms)).tocsr()
    pairs = [
        (row_of[case_id], kb.disease_index[disease_id])
        for case_id, disease_id in dataset.diagnoses[["case_id", "disease_id"]].itertuples(index=False)
        if case_id in row_of and disease_id in kb.disease_index
    ]
    diagnosis_rows, diagnosis_columns = zip(*pairs, strict=True) if pairs else ((), ())
    Y = sparse.coo_array(
        (np.ones(len(pairs)), (diagnosis_rows, diagnosis_columns)), shape=(n_cases, kb.n_diseases)
    ).tocsr()
    Y.data = np.minimum(Y.data, 1.0)
    return sparse.csr_array(X), sparse.csr_array(Y)


def fit_knowledge_model(
    kb,
    dataset=None,
    *,
    strengths: Sequence[float] = (1, 3, 10, 30, 100),
    n_splits: int = 3,
    random_state: int = 0,
    **params,
) -> KnowledgeModel:
    """Return a KnowledgeModel fitted on a training Dataset, its Beta strength chosen by cross-validation.

    Without cases (``dataset`` None or empty, or fewer diagnosed cases than ``n_splits``) the knowledge stands
    and ``beta_strength`` keeps its value in ``params``; the selected strength and its CV scores are on
    ``model.beta_selection_``.
    """
    model = KnowledgeModel(kb, **params)
    if dataset is None or dataset.n_cases == 0:
        return model.fit()
    X, Y = knowledge_training_data(kb, dataset)
    diagnosed = np.asarray(Y.sum(axis=1)).ravel() > 0
    X, Y = X[diagnosed], Y[diagnosed]
    if X.shape[0] < n_splits:
        return model.fit(X, Y)
    strength, scores = select_beta_strength(
        model, X, Y, strengths=strengths, n_splits=n_splits, random_state=random_state
    )
    fitted = model.set_params(beta_strength=strength).fit(X, Y)
    fitted.beta_selection_ = {"beta_strength": strength, "mrr": scores}
    return fitted
