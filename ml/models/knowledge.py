"""The knowledge-informed model: every annotated disease ranked from HPO annotations, refined by warehouse cases.

Scoring follows LIRICAL (Robinson et al., Am J Hum Genet 2020;107:403-17). Each disease's score is its log
prior plus, for every finding, the log likelihood ratio ``log P(finding | disease) / P(finding | background)``:

- a present term ``q`` counts with a *reporting* likelihood (``ml.models.likelihood.reported_likelihood``):
  the chance that ``q`` is among the findings a clinician reports. Each annotation ``t`` is reportable with its
  frequency times the reporting correction ``(mean S / S_d) ** length_penalty`` (``S_d`` = 1 + the disease's
  summed frequencies: a long list spreads its reports thin); it is reported as itself with probability
  ``1 - imprecision``, else as a parent, climbing on with ``walk_on`` per level (``report_walk``); the
  likelihood of ``q`` is the *sum* over the annotations it can stand for. A term more specific than the
  annotations gets ``specific_share`` times its best annotated ancestor's value shared out by the information
  it adds (only ancestors with IC >= ``min_shared_ic``). With probability ``noise_rate`` a reported finding is
  unrelated to the diagnosis, uniformly any phenotype term: ``P = (1 - noise_rate) * P_report + noise_rate / n``.
  The ratio is over the mean of ``P`` across diseases; NOT annotations of ``q`` or an ancestor make
  ``P_report = 0``;
- an absent term counts with ``(1 - P) / mean(1 - P)``, ``P`` the propagated frequency
  (``ml.models.likelihood.term_likelihood``), and a NOT annotation of the term or one of its ancestors makes
  ``P = 0``;
- every ratio is at least ``floor``, so one unexpected finding never eliminates a disease;
- age below a disease's earliest annotated onset, or a sex the disease's annotations exclude, multiply by
  ``age_mismatch_lr`` / ``sex_mismatch_lr``.

Probabilities are the softmax of the scores at ``temperature`` (default ``CALIBRATED_TEMPERATURE``, fitted on
simulated patients); the temperature never changes the ranking.

Learning from data: for diseases with cases, each observed term's frequency becomes the Beta posterior mean
``(beta_strength * knowledge + n_present) / (beta_strength + n_present + n_absent)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from ml.models.likelihood import (
    ColumnIndex,
    block_entries,
    propagate_max,
    report_walk,
    reported_likelihood,
    rows_likelihood,
    term_ancestors,
    term_likelihood,
)

PRIORS = ("uniform", "prevalence")
#: The softmax temperature fitted by ``ml.evaluation.fit_temperature`` on 2,000 simulated patients (seed 3: 3 terms,
#: half imprecise, 1 noise term, uniform prior) for the reporting model: 0.9665. On 2,000 other patients (seed 1)
#: the top-1 calibration error is 0.036 at it, 0.035 untempered, 0.080 at the previous default 0.73
#: (docs/BENCHMARKS.md); 1.0 is the untempered softmax.
CALIBRATED_TEMPERATURE = 0.97
#: One finding's row of an evidence table: HPO id, present?, log likelihood ratio per disease (None: redundant).
Evidence = tuple[str, bool, "np.ndarray | None"]
#: Ancestors carried by more than exp(-3) = 5 % of diseases (root, organ systems, "Seizure") lend no partial match:
#: through them every disease "explained" any finding at about the background rate (ratio ~1), so a common
#: disease missing a rare disease's hallmarks lost almost nothing and its prevalence prior won (issue #11).
MIN_SHARED_IC = 3.0
#: The share of reported findings unrelated to the diagnosis (comorbidities, incidental findings, coding slips),
#: each then any current phenotype term with equal probability: a finding a disease does not explain costs it
#: the ratio of that uniform likelihood to the finding's mean, a real penalty but never an elimination.
NOISE_RATE = 0.25
#: The exponent of the reporting correction (mean expected feature count / the disease's): 1 is what drawing a
#: few features by frequency implies (and scores best on the simulation), 0.75 keeps the textbook presentation
#: of influenza first, above malaria (docs/MODEL.md).
LENGTH_PENALTY = 0.75
#: The chance a reported feature is coded one level more general than its annotation (a parent, uniformly) ...
IMPRECISION = 0.5
#: ... and, once more general, the chance it climbs one level further (per level): "Seizure" for "Focal clonic
#: seizure" stays possible, but each level costs.
WALK_ON = 0.2
#: The weight of a finding coded more specifically than (or as a sibling of) the disease's annotations, before
#: the share of the common ancestor's diseases that carry it: such codings are possible, less common than exact
#: or more general ones (docs/MODEL.md).
SPECIFIC_SHARE = 0.1
SEXES = {"female": "FEMALE", "male": "MALE", "f": "FEMALE", "m": "MALE"}

# Earliest age (years) at which each HPO onset class begins; onset terms not listed begin at birth (0).
ONSET_MIN_AGE_YEARS = {
    "HP:0011463": 1.0,  # Childhood onset (1-5 years)
    "HP:0003621": 5.0,  # Juvenile onset (5-15 years)
    "HP:0003581": 16.0,  # Adult onset
    "HP:0011462": 16.0,  # Young adult onset (16-40)
    "HP:0025708": 16.0,  # Early young adult onset (16-19)
    "HP:0025709": 19.0,  # Intermediate young adult onset (19-25)
    "HP:0025710": 25.0,  # Late young adult onset (25-40)
    "HP:0003596": 40.0,  # Middle age onset (40-60)
    "HP:0003584": 60.0,  # Late onset (after 60)
}


class KnowledgeModel(BaseEstimator, ClassifierMixin):
    """Rank every disease of a knowledge base by LIRICAL-style likelihood ratios, updated by case counts.

    ``X`` is a sparse ``n_cases x kb.n_terms`` matrix (+1 present, -1 absent, 0 unknown, columns in
    ``kb.term_ids`` order, unpropagated); ``Y`` is ``n_cases x kb.n_diseases`` 0/1 in ``kb.disease_ids`` order.
    """

    def __init__(
        self,
        kb=None,
        *,
        floor: float = 0.01,
        absent_weight: float = 1.0,
        not_annotations: bool = True,
        prior: str = "prevalence",
        beta_strength: float = 5.0,
        age_mismatch_lr: float = 0.1,
        sex_mismatch_lr: float = 0.01,
        length_penalty: float = LENGTH_PENALTY,
        imprecision: float = IMPRECISION,
        walk_on: float = WALK_ON,
        specific_share: float = SPECIFIC_SHARE,
        noise_rate: float = NOISE_RATE,
        min_shared_ic: float = MIN_SHARED_IC,
        temperature: float = CALIBRATED_TEMPERATURE,
    ):
        self.kb = kb
        self.floor = floor
        self.absent_weight = absent_weight
        self.not_annotations = not_annotations
        self.prior = prior
        self.beta_strength = beta_strength
        self.age_mismatch_lr = age_mismatch_lr
        self.sex_mismatch_lr = sex_mismatch_lr
        self.length_penalty = length_penalty
        self.imprecision = imprecision
        self.walk_on = walk_on
        self.specific_share = specific_share
        self.noise_rate = noise_rate
        self.min_shared_ic = min_shared_ic
        self.temperature = temperature

    # ------------------------------------------------------------------------------------------- fit

    def fit(self, X=None, Y=None):
        """Precompute the sparse likelihood tables, updating the frequencies of diseases that have cases."""
        self._check_params()
        kb = self.kb
        self.classes_ = np.asarray(kb.disease_ids)
        self.n_features_in_ = kb.n_terms
        self.closure_ = kb.ancestor_closure
        self.information_content_ = np.asarray(kb.information_content, dtype=np.float64)
        frequencies = sparse.csr_array(kb.annotations, dtype=np.float64)
        excluded = sparse.csr_array(kb.excluded, dtype=bool)
        self.propagated_ = ColumnIndex(propagate_max(frequencies, self.closure_))
        self.excluded_ = ColumnIndex(excluded) if self.not_annotations else None
        self.n_cases_ = np.zeros(kb.n_diseases, dtype=np.int64)
        self.observed_ = None
        X, Y = _check_training_data(X, Y, n_terms=kb.n_terms, n_diseases=kb.n_diseases)
        if X.shape[0]:
            self.n_cases_ = np.asarray(Y.sum(axis=0)).ravel().astype(np.int64)
            frequencies, excluded, observed = self._update_from_counts(frequencies, excluded, X, Y)
            self.propagated_ = ColumnIndex(propagate_max(frequencies, self.closure_))
            self.excluded_ = ColumnIndex(excluded) if self.not_annotations else None
            self.observed_ = ColumnIndex(observed)
        self.frequencies_ = frequencies
        self._fit_reporting(kb, frequencies)
        self.log_prior_ = _log_prior(kb, self.prior)
        self.onset_min_age_ = np.array([_onset_min_age(kb, onsets) for onsets in kb.disease_onset])
        self.disease_sex_ = np.asarray(kb.disease_sex)
        # Per patient sex, the diseases that occur only in the other one (a string comparison per query is slow).
        self.sex_mismatch_ = {sex: (self.disease_sex_ != "") & (self.disease_sex_ != sex)
                              for sex in set(SEXES.values())}
        return self

    def _check_params(self) -> None:
        """Raise a ValueError naming the first invalid parameter."""
        if self.kb is None:
            raise ValueError("KnowledgeModel needs a knowledge base: KnowledgeModel(kb=load_kb(...))")
        if self.prior not in PRIORS:
            raise ValueError(f"prior must be one of {PRIORS}, not {self.prior!r}")
        if not 0 < self.floor <= 1:
            raise ValueError("floor must be in (0, 1]")
        if self.beta_strength <= 0 or self.temperature <= 0 or self.absent_weight < 0:
            raise ValueError("beta_strength and temperature must be positive, absent_weight non-negative")
        for name in ("imprecision", "walk_on", "specific_share", "noise_rate"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must be in [0, 1]")

    def _fit_reporting(self, kb, frequencies) -> None:
        """Precompute the reporting model: which annotations get reported, and as which terms."""
        self.report_scale_ = _report_scale(frequencies, self.length_penalty)
        reportable = sparse.csr_array(sparse.diags_array(self.report_scale_) @ frequencies)
        walk = report_walk(list(kb.reportable_parents), imprecision=self.imprecision, walk_on=self.walk_on)
        self.reported_ = ColumnIndex(sparse.csr_array(reportable @ walk))
        # The best annotated descendant's reportable frequency: the scale is per disease, so it commutes with the max.
        self.shared_ = ColumnIndex(sparse.csr_array(sparse.diags_array(self.report_scale_) @ self.propagated_.matrix))
        # A noise finding is any current phenotype term, uniformly.
        self.noise_likelihood_ = 1.0 / max(len(kb.phenotype_terms), 1)

    def _update_from_counts(self, frequencies, excluded, X, Y):
        """Return frequencies and exclusions updated by Beta posterior means, and the posteriors themselves.

        The posterior of a (disease, term) pair that cases observed becomes that term's likelihood outright;
        written into the frequencies it also reaches the term's ancestors by propagation.
        """
        present = Y.T @ sparse.csr_array((X > 0).astype(np.float64))
        absent = Y.T @ sparse.csr_array((X < 0).astype(np.float64))
        observed = sparse.csr_array((present + absent) > 0).tocoo()
        diseases, terms = observed.row, observed.col
        knowledge = np.empty(len(diseases))
        for term in np.unique(terms):
            mask = terms == term
            knowledge[mask] = self._likelihood(int(term))[diseases[mask]]
        n_present = np.asarray(present[diseases, terms]).ravel()
        n_absent = np.asarray(absent[diseases, terms]).ravel()
        posterior = (self.beta_strength * knowledge + n_present) / (self.beta_strength + n_present + n_absent)
        kept = frequencies.tolil()
        kept[diseases, terms] = posterior
        lifted = excluded.tolil()
        seen = n_present > 0
        lifted[diseases[seen], terms[seen]] = False
        # A stored zero would vanish from the sparse table; the tiny positive keeps the override in place.
        observed = sparse.csr_array((np.maximum(posterior, 1e-9), (diseases, terms)), shape=frequencies.shape)
        return sparse.csr_array(kept.tocsr()), sparse.csr_array(lifted.tocsr()), observed

    # ------------------------------------------------------------------------------------- scoring

    def _likelihood(self, term: int) -> np.ndarray:
        """Return P(term present | disease) for every disease; case data, where there are some, decide."""
        probability = term_likelihood(
            term,
            propagated=self.propagated_,
            excluded=self.excluded_,
            closure=self.closure_,
            information_content=self.information_content_,
            min_shared_ic=self.min_shared_ic,
        )
        if self.observed_ is not None:
            rows, values = self.observed_.column(term)
            probability[rows] = values
        return probability

    def _reported(self, term: int) -> np.ndarray:
        """Return P(term is among the reported findings | disease) for every disease, before the noise mixture.

        0 for most diseases (a few % carry the term); :meth:`_finding_log_lr` mixes in the noise: with probability
        ``noise_rate`` a reported finding is unrelated to the diagnosis, any phenotype term.
        """
        probability = reported_likelihood(
            term,
            reported=self.reported_,
            shared=self.shared_,
            excluded=self.excluded_,
            closure=self.closure_,
            information_content=self.information_content_,
            min_shared_ic=self.min_shared_ic,
            specific_share=self.specific_share,
        )
        if self.observed_ is not None:  # case data, where there are some, decide the term's frequency
            rows, values = self.observed_.column(term)
            probability[rows] = values * self.report_scale_[rows]
        return probability

    def _finding_log_lr(self, term: int, present: bool) -> np.ndarray:
        """Return the log likelihood ratio of one finding for every disease, over its mean across diseases.

        A present finding's probability is ``(1 - noise_rate) * reported + noise_rate * noise``, an absent one's
        ``1 - likelihood``; ``reported`` and ``likelihood`` are 0 for most diseases, which then share one ratio.
        So the logarithm (~0.1 ms over 12,700 values) is taken only where they are not 0 and at that one value.
        """
        if present:
            scale, offset = 1.0 - self.noise_rate, self.noise_rate * self.noise_likelihood_
            values = self._reported(term)
        else:
            scale, offset, values = -1.0, 1.0, self._likelihood(term)
        background = max(scale * float(values.mean()) + offset, 1e-12)
        touched = np.nonzero(values > 0)[0]  # np.flatnonzero on floats costs 6x more
        log_lr = np.full(len(values), np.log(max(offset / background, self.floor)))
        log_lr[touched] = np.log(np.maximum((scale * values[touched] + offset) / background, self.floor))
        return log_lr

    def _log_scores(self, present: Sequence[int], absent: Sequence[int], age, sex) -> np.ndarray:
        """Return the unnormalised log posterior of every disease for one patient."""
        present, absent = _informative(self.closure_, present, absent)
        score = self.log_prior_.copy()
        for term in present:
            score += self._finding_log_lr(term, True)
        if self.absent_weight:
            for term in absent:
                score += self.absent_weight * self._finding_log_lr(term, False)
        return score + self._demographic_log_lr(age, sex)

    def _demographic_log_lr(self, age, sex) -> np.ndarray | float:
        """Return the log penalty for an age below the earliest onset or a sex the disease does not occur in."""
        penalty = 0.0
        if age is not None and not np.isnan(age):
            penalty = np.where(self.onset_min_age_ > float(age), np.log(self.age_mismatch_lr), 0.0)
        patient_sex = SEXES.get(str(sex).strip().lower()) if sex is not None else None
        if patient_sex is not None:
            penalty = penalty + np.where(self.sex_mismatch_[patient_sex], np.log(self.sex_mismatch_lr), 0.0)
        return penalty

    def _posterior(self, score: np.ndarray) -> np.ndarray:
        """Return the log posterior probability of each disease, one patient, mutually exclusive diseases."""
        return score / self.temperature - self._log_normaliser(score)

    def _log_normaliser(self, score: np.ndarray) -> float:
        """Return the log of the softmax's denominator for one patient's tempered scores.

        numpy directly (scipy's logsumexp costs more than the rest of the normalisation here); the exponentials
        are summed in single precision, four times faster than double over 12,700 diseases, with a relative
        error of ~1e-7 on the probabilities.
        """
        peak = float(score.max()) / self.temperature
        shifted = (score / self.temperature - peak).astype(np.float32)
        return peak + float(np.log(np.exp(shifted).sum(dtype=np.float64)))

    def _rows(self, X, age, sex) -> Iterable[np.ndarray]:
        """Yield the log scores of each row of a findings matrix."""
        check_is_fitted(self)
        X = sparse.csr_array(X)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} columns; the knowledge base has {self.n_features_in_} terms")
        ages = _per_row(age, X.shape[0])
        sexes = _per_row(sex, X.shape[0])
        for row in range(X.shape[0]):
            start, end = X.indptr[row], X.indptr[row + 1]
            columns, values = X.indices[start:end], X.data[start:end]
            yield self._log_scores(columns[values > 0], columns[values < 0], ages[row], sexes[row])

    def decision_function(self, X, *, age=None, sex=None) -> np.ndarray:
        """Return the log posterior odds of every disease for each row of ``X`` (n_cases x n_diseases)."""
        rows = [_log_odds(self._posterior(score)) for score in self._rows(X, age, sex)]
        return np.vstack(rows) if rows else np.empty((0, len(self.classes_)))

    def predict_proba(self, X, *, age=None, sex=None) -> np.ndarray:
        """Return each disease's posterior probability per row, the diseases treated as mutually exclusive."""
        rows = [np.exp(self._posterior(score)) for score in self._rows(X, age, sex)]
        return np.vstack(rows) if rows else np.empty((0, len(self.classes_)))

    def predict(self, X, *, age=None, sex=None) -> np.ndarray:
        """Return the most probable disease id per row."""
        return self.classes_[np.argmax(self.decision_function(X, age=age, sex=sex), axis=1)]

    # ----------------------------------------------------------------------------------- convenience

    def term_indices(self, term_ids: Iterable[str]) -> list[int]:
        """Return the column of each HPO id after resolving obsolete and alt ids; raise on an unknown id."""
        indices = []
        for term_id in term_ids:
            resolved = self.kb.resolve_term_id(term_id)
            if resolved is None:
                raise KeyError(f"{term_id!r} is not a current HPO term")
            indices.append(self.kb.term_index[resolved])
        return indices

    def scores(self, present: Sequence[str], absent: Sequence[str] = (), *, age=None, sex=None) -> np.ndarray:
        """Return the log posterior odds of every disease (``kb.disease_ids`` order) for one patient."""
        check_is_fitted(self)
        score = self._log_scores(self.term_indices(present), self.term_indices(absent), age, sex)
        return _log_odds(self._posterior(score))

    def rank(
        self, present: Sequence[str], absent: Sequence[str] = (), *, age=None, sex=None, top: int = 10
    ) -> list[tuple[str, float]]:
        """Return the ``top`` diseases with their posterior probability, most probable first."""
        check_is_fitted(self)
        score = self._log_scores(self.term_indices(present), self.term_indices(absent), age, sex)
        return self._top(score, top)

    def rank_explained(
        self, present: Sequence[str], absent: Sequence[str] = (), *, age=None, sex=None, top: int = 10
    ) -> tuple[list[tuple[str, float]], list[Evidence]]:
        """Return :meth:`rank` and :meth:`evidence_table` at the cost of one: the ranking sums the table's rows."""
        table = self.evidence_table(present, absent)
        score = self.log_prior_ + self._demographic_log_lr(age, sex)
        for _term_id, _flag, vector in table:
            if vector is not None:
                score = score + vector
        return self._top(score, top), table

    def _top(self, score: np.ndarray, top: int) -> list[tuple[str, float]]:
        """Return the ``top`` diseases of a score vector with their posterior probability, best first."""
        top = min(max(int(top), 0), len(score))
        best = np.argpartition(-score, top - 1)[:top] if top else np.array([], dtype=int)
        best = best[np.lexsort((best, -score[best]))]
        probability = np.exp(score[best] / self.temperature - self._log_normaliser(score))
        return [(str(self.classes_[index]), float(p)) for index, p in zip(best, probability, strict=True)]

    def explain(self, present: Sequence[str], absent: Sequence[str], disease_id: str) -> list[tuple[str, bool, float]]:
        """Return each finding's log likelihood ratio for one disease, strongest support first.

        Findings made redundant by a more specific present term (or contradicted by one) count 0.0, as in
        the score; the ids are the resolved current ids.
        """
        check_is_fitted(self)
        disease = self.kb.disease_index.get(disease_id)
        if disease is None:
            raise KeyError(f"unknown disease {disease_id!r}")
        return explain_disease(self.evidence_table(present, absent), disease)

    def evidence_table(self, present: Sequence[str], absent: Sequence[str]) -> list[Evidence]:
        """Return each finding's log likelihood ratios over all diseases (``None`` for a redundant finding)."""
        check_is_fitted(self)
        present_terms, absent_terms = self.term_indices(present), self.term_indices(absent)
        kept_present, kept_absent = _informative(self.closure_, present_terms, absent_terms)
        table = []
        for terms, kept, flag in ((present_terms, kept_present, True), (absent_terms, kept_absent, False)):
            weight = 1.0 if flag else self.absent_weight
            for term in dict.fromkeys(terms):
                vector = weight * self._finding_log_lr(term, flag) if term in kept else None
                table.append((self.kb.term_ids[term], flag, vector))
        return table

    def evidence(
        self, present: Sequence[str], absent: Sequence[str], disease_ids: Sequence[str]
    ) -> dict[str, list[tuple[str, bool, float]]]:
        """Return :meth:`explain` for several diseases at once, each finding's ratios computed once."""
        check_is_fitted(self)
        rows = [self.kb.disease_index[disease_id] for disease_id in disease_ids]
        present_terms, absent_terms = self.term_indices(present), self.term_indices(absent)
        kept_present, kept_absent = _informative(self.closure_, present_terms, absent_terms)
        found = {disease_id: [] for disease_id in disease_ids}
        for terms, kept, flag in ((present_terms, kept_present, True), (absent_terms, kept_absent, False)):
            weight = 1.0 if flag else self.absent_weight
            for term in dict.fromkeys(terms):
                ratios = weight * self._finding_log_lr(term, flag)[rows] if term in kept else np.zeros(len(rows))
                for disease_id, log_lr in zip(disease_ids, ratios, strict=True):
                    found[disease_id].append((self.kb.term_ids[term], flag, float(log_lr)))
        return {disease_id: sorted(items, key=lambda item: -item[2]) for disease_id, items in found.items()}

    def term_likelihoods(self, hpo_ids: Sequence[str], disease_ids: Sequence[str]) -> np.ndarray:
        """Return ``P(term or a descendant | disease)`` as a ``len(disease_ids) x len(hpo_ids)`` table.

        Only the requested diseases' rows are read: for a pool of 30 diseases this costs a fraction of
        computing each likelihood over every disease.
        """
        check_is_fitted(self)
        rows = np.array([self.kb.disease_index[disease_id] for disease_id in disease_ids], dtype=np.int64)
        terms = self.term_indices(hpo_ids)
        table = rows_likelihood(
            terms,
            rows=rows,
            propagated=self.propagated_.matrix,
            excluded=self.excluded_.matrix if self.excluded_ is not None else None,
            closure=self.closure_,
            information_content=self.information_content_,
            min_shared_ic=self.min_shared_ic,
        )
        if self.observed_ is not None:
            unique, inverse = np.unique(np.asarray(terms, dtype=np.int64), return_inverse=True)
            row, column, values = block_entries(self.observed_.matrix, rows, unique)
            observed = np.full((len(rows), len(unique)), np.nan)
            observed[row, column] = values
            observed = observed[:, inverse]
            table = np.where(np.isnan(observed), table, observed)
        return table

    def term_probability(self, disease_id: str, hpo_id: str) -> float:
        """Return the fitted probability that a patient with the disease shows the term (or a descendant)."""
        check_is_fitted(self)
        (term,) = self.term_indices([hpo_id])
        return float(self._likelihood(term)[self.kb.disease_index[disease_id]])


# ------------------------------------------------------------------------------------------ helpers


def explain_disease(table: Sequence[Evidence], disease: int) -> list[tuple[str, bool, float]]:
    """Return one disease's (HPO id, present?, log LR) from an evidence table, strongest support first."""
    evidence = [(term_id, flag, 0.0 if vector is None else float(vector[disease])) for term_id, flag, vector in table]
    return sorted(evidence, key=lambda item: -item[2])


def _check_training_data(X, Y, *, n_terms: int, n_diseases: int):
    """Return ``X`` and ``Y`` as CSR arrays of the right widths (zero rows when ``X`` is ``None``)."""
    if X is None:
        return sparse.csr_array((0, n_terms)), sparse.csr_array((0, n_diseases))
    X, Y = sparse.csr_array(X, dtype=np.float64), sparse.csr_array(Y, dtype=np.float64)
    if X.shape[1] != n_terms or Y.shape[1] != n_diseases or X.shape[0] != Y.shape[0]:
        raise ValueError(
            f"X must be n_cases x {n_terms} terms and Y n_cases x {n_diseases} diseases; "
            f"got X {X.shape} and Y {Y.shape}"
        )
    return X, Y


def _informative(closure: sparse.csr_array, present: Sequence[int], absent: Sequence[int]):
    """Drop present terms implied by a more specific present term, and absent terms a present one contradicts."""
    present, absent = list(dict.fromkeys(int(t) for t in present)), list(dict.fromkeys(int(t) for t in absent))
    implied = {int(a) for term in present for a in term_ancestors(closure, term) if a != term}
    kept_present = [term for term in present if term not in implied]
    kept_absent = [term for term in absent if term not in implied and term not in present]
    return kept_present, kept_absent


def _log_prior(kb, prior: str) -> np.ndarray:
    """Return the log prior per disease: uniform, or proportional to the prevalence weights."""
    if prior == "uniform":
        return np.full(kb.n_diseases, -np.log(kb.n_diseases))
    weights = np.maximum(np.asarray(kb.disease_prevalence_weight, dtype=np.float64), 1e-6)
    return np.log(weights / weights.sum())


def _report_scale(frequencies: sparse.csr_array, length_penalty: float) -> np.ndarray:
    """Return (mean expected feature count / the disease's) ** length_penalty, the reporting correction.

    A clinician reports a few of the features a patient shows; the chance that a given feature is among them
    shrinks as the disease's expected number of features (the sum of its frequencies) grows. Without this a
    disease with a long annotation list matches any finding somewhere and wins by breadth.
    """
    expected = np.asarray(frequencies.sum(axis=1)).ravel()
    # One pseudo-feature keeps the correction finite and smooth: clamping short lists to one level tied them.
    expected = expected + 1.0
    return (expected.mean() / expected) ** length_penalty


def _onset_min_age(kb, onsets: Sequence[str]) -> float:
    """Return the earliest age (years) at which any of a disease's onset classes begins; 0 when none given."""
    if not onsets:
        return 0.0
    return min(ONSET_MIN_AGE_YEARS.get(onset, 0.0) for onset in onsets)


def _per_row(value, n_rows: int) -> list:
    """Broadcast a scalar (or ``None``) to one value per row, or check a per-row sequence's length."""
    if value is None or np.isscalar(value):
        return [value] * n_rows
    values = list(value)
    if len(values) != n_rows:
        raise ValueError(f"expected {n_rows} values, got {len(values)}")
    return values


def _log_odds(log_probability: np.ndarray) -> np.ndarray:
    """Return log(p / (1 - p)) from log p, stable when p is close to 0 or 1."""
    return log_probability - np.log(np.maximum(-np.expm1(log_probability), 1e-300))


def select_beta_strength(
    model: KnowledgeModel,
    X,
    Y,
    *,
    strengths: Sequence[float] = (1, 3, 10, 30, 100),
    n_splits: int = 3,
    random_state: int = 0,
) -> tuple[float, dict[float, float]]:
    """Return the Beta strength with the best cross-validated mean reciprocal rank, and each one's MRR.

    Each held-out case is ranked by a clone of ``model`` fitted on the other folds; its true disease is the
    first positive of its ``Y`` row, and ties count at their expected rank.
    """
    from sklearn.base import clone
    from sklearn.model_selection import KFold

    from ml.evaluation.ranking import expected_reciprocal_rank

    X, Y = sparse.csr_array(X, dtype=np.float64), sparse.csr_array(Y, dtype=np.float64)
    if X.shape[0] < n_splits:
        raise ValueError(f"{X.shape[0]} cases cannot be split into {n_splits} folds")
    truth = np.asarray(Y.argmax(axis=1)).ravel()
    folds = list(KFold(n_splits=n_splits, shuffle=True, random_state=random_state).split(np.arange(X.shape[0])))
    scores = {}
    for strength in strengths:
        reciprocal = []
        for train, test in folds:
            fitted = clone(model).set_params(beta_strength=strength).fit(X[train], Y[train])
            decisions = fitted.decision_function(X[test])
            reciprocal += [
                expected_reciprocal_rank(row, truth[case]) for row, case in zip(decisions, test, strict=True)
            ]
        scores[float(strength)] = float(np.mean(reciprocal))
    best = max(scores, key=lambda strength: (scores[strength], -strength))
    return best, scores
