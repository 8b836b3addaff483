"""Simulated patients drawn from the HPO annotations, a Phenomizer-style baseline, and their evaluation.

A patient of disease ``d`` has ``n_terms`` annotated terms drawn without replacement with probability
proportional to their frequency; each is replaced, with probability ``imprecision``, by one of its parents
(one step of generalisation, as in Köhler et al. 2009's Phenomizer simulations; never by "All" or
"Phenotypic abnormality"); ``noise`` terms unrelated to ``d`` (neither ancestor nor descendant of any of
its annotations, drawn uniformly from the current terms under "Phenotypic abnormality") are added;
``excluded`` absent terms come first from ``d``'s NOT annotations, then from unrelated terms.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from ml.evaluation.ranking import group_logsumexp, group_max, rank_summary
from ml.models.likelihood import ColumnIndex, propagate_max, term_ancestors


@dataclass(frozen=True, slots=True)
class SimulatedPatient:
    """One simulated patient: the true disease's row and the term columns found present and absent."""

    disease_index: int
    present: tuple[int, ...]
    absent: tuple[int, ...]


def annotated_diseases(kb) -> np.ndarray:
    """Return the rows of the diseases that have at least one positive annotation."""
    return np.flatnonzero(np.diff(kb.annotations.indptr) > 0)


def _related_terms(kb, annotated: np.ndarray) -> set[int]:
    """Return the annotated terms and all their ancestors."""
    return {int(a) for term in annotated for a in term_ancestors(kb.ancestor_closure, int(term))}


def _unrelated_sampler(kb, rng: np.random.Generator) -> Callable[[np.ndarray, set[int], set[int], int], list[int]]:
    """Return a function drawing current phenotype terms that are unrelated to given annotations."""
    pool = kb.phenotype_terms

    def draw(annotated: np.ndarray, related: set[int], taken: set[int], count: int) -> list[int]:
        annotated_set, drawn = {int(t) for t in annotated}, []
        for _ in range(100 * count):
            if len(drawn) == count:
                break
            term = int(rng.choice(pool))
            lineage = term_ancestors(kb.ancestor_closure, term)
            if term in related or term in taken or annotated_set.intersection(lineage.tolist()):
                continue
            drawn.append(term)
            taken.add(term)
        return drawn

    return draw


def _imprecise(kb, term: int, rng: np.random.Generator) -> int:
    """Return a random parent of a term that is not a general term, or the term when it has none."""
    parents = kb.reportable_parents[term]
    return int(rng.choice(parents)) if parents else term


def simulate_patients(
    kb,
    *,
    n_patients: int | None = None,
    n_terms: int = 3,
    imprecision: float = 0.5,
    noise: int = 1,
    excluded: int = 0,
    random_state: int = 0,
) -> list[SimulatedPatient]:
    """Return simulated patients, cycling over the annotated diseases in a seeded random order.

    ``n_patients=None`` gives one patient per annotated disease.
    """
    rng = np.random.default_rng(random_state)
    diseases = rng.permutation(annotated_diseases(kb))
    n_patients = len(diseases) if n_patients is None else int(n_patients)
    draw_unrelated = _unrelated_sampler(kb, rng)
    patients = []
    for number in range(n_patients):
        disease = int(diseases[number % len(diseases)])
        start, end = kb.annotations.indptr[disease], kb.annotations.indptr[disease + 1]
        terms, frequencies = kb.annotations.indices[start:end], kb.annotations.data[start:end].astype(float)
        weights = np.maximum(frequencies, 1e-3)
        chosen = rng.choice(terms, size=min(n_terms, len(terms)), replace=False, p=weights / weights.sum())
        present = [_imprecise(kb, int(t), rng) if rng.random() < imprecision else int(t) for t in chosen]
        related = _related_terms(kb, terms)
        taken = set(present)
        present += draw_unrelated(terms, related, taken, noise)
        not_start, not_end = kb.excluded.indptr[disease], kb.excluded.indptr[disease + 1]
        negations = rng.permutation(np.array(kb.excluded.indices[not_start:not_end]))
        negated = [int(t) for t in negations if int(t) not in taken]
        absent = negated[:excluded]
        taken.update(absent)
        absent += draw_unrelated(terms, related, taken, excluded - len(absent))
        patients.append(SimulatedPatient(disease, tuple(dict.fromkeys(present)), tuple(absent)))
    return patients


class ResnikBaseline:
    """Phenomizer-style ranking: the mean over query terms of the best Resnik similarity to each disease."""

    def __init__(self, kb) -> None:
        self.kb = kb
        binary = sparse.csr_array((kb.annotations > 0).astype(np.float64))
        self.propagated = ColumnIndex(propagate_max(binary, kb.ancestor_closure))
        self.information_content = np.asarray(kb.information_content, dtype=np.float64)

    def scores(self, present: Sequence[int]) -> np.ndarray:
        """Return each disease's query-to-disease best-match-average Resnik similarity."""
        total = np.zeros(self.kb.n_diseases)
        for term in present:
            best = np.zeros(self.kb.n_diseases)
            for ancestor in term_ancestors(self.kb.ancestor_closure, int(term)):
                rows, _ = self.propagated.column(ancestor)
                best[rows] = np.maximum(best[rows], self.information_content[ancestor])
            total += best
        return total / max(len(present), 1)


def evaluate_simulated(
    patients: Sequence[SimulatedPatient], rankers: dict[str, Callable[[SimulatedPatient], np.ndarray]]
) -> dict[str, dict]:
    """Return, per ranker name, expected top-1/3/10, MRR and tie-group sizes over the same patients."""
    if not patients:
        raise ValueError("no simulated patients")
    truth = [patient.disease_index for patient in patients]
    return {name: rank_summary((score(p) for p in patients), truth) for name, score in rankers.items()}


def fit_temperature(model, patients: Sequence[SimulatedPatient], *, bounds=(0.05, 20.0)) -> float:
    """Return the softmax temperature minimising the negative log likelihood of the patients' true diseases.

    Fit it on patients other than the ones it is evaluated on; ``model.set_params(temperature=...)`` applies it
    (the ranking does not change, only the probabilities).
    """
    from scipy.optimize import minimize_scalar

    if not patients:
        raise ValueError("no simulated patients")
    scores = np.vstack([model._log_scores(p.present, p.absent, None, None) for p in patients])
    scores -= scores.max(axis=1, keepdims=True)
    true_scores = scores[np.arange(len(patients)), [p.disease_index for p in patients]]

    def negative_log_likelihood(temperature: float) -> float:
        tempered = scores / temperature
        return float(np.mean(np.log(np.exp(tempered).sum(axis=1)) - true_scores / temperature))

    return float(minimize_scalar(negative_log_likelihood, bounds=bounds, method="bounded").x)


def top1_calibration(model, patients: Sequence[SimulatedPatient], *, n_bins: int = 10) -> dict:
    """Return the mean top-1 probability, top-1 accuracy and their expected calibration error (equal-width bins)."""
    confidence, correct = [], []
    for patient in patients:
        log_posterior = model._posterior(model._log_scores(patient.present, patient.absent, None, None))
        best = int(np.argmax(log_posterior))
        confidence.append(float(np.exp(log_posterior[best])))
        correct.append(best == patient.disease_index)
    confidence, correct = np.array(confidence), np.array(correct, dtype=float)
    bins = np.minimum((confidence * n_bins).astype(int), n_bins - 1)
    ece = sum(
        abs(confidence[bins == b].mean() - correct[bins == b].mean()) * np.mean(bins == b)
        for b in range(n_bins)
        if np.any(bins == b)
    )
    return {
        "patients": len(patients),
        "mean_top1_probability": float(confidence.mean()),
        "top1_accuracy": float(correct.mean()),
        "ece_top1": float(ece),
    }


def knowledge_ranker(model) -> Callable[[SimulatedPatient], np.ndarray]:
    """Return a ranker scoring a simulated patient with a fitted ``KnowledgeModel``."""
    return lambda patient: model._log_scores(patient.present, patient.absent, None, None)


def resnik_ranker(baseline: ResnikBaseline) -> Callable[[SimulatedPatient], np.ndarray]:
    """Return a ranker scoring a simulated patient's present terms with the Resnik baseline."""
    return lambda patient: baseline.scores(patient.present)


def grouped_evaluation(
    patients: Sequence[SimulatedPatient],
    rankers: dict[str, Callable[[SimulatedPatient], np.ndarray]],
    groups: np.ndarray,
    *,
    combine: str = "max",
) -> dict[str, dict]:
    """Return ``evaluate_simulated``'s figures with same-disease entries ranked as one (``kb.disease_group``).

    A group's score is its best member's (``combine="max"``) or the log of its summed probability
    (``"logsumexp"``, for log-probability scores); a patient counts a hit when the true disease's group is in
    the top k, tied groups still ordered at random.
    """
    if not patients:
        raise ValueError("no simulated patients")
    truth = [int(groups[patient.disease_index]) for patient in patients]
    combiner = group_max if combine == "max" else group_logsumexp
    return {
        name: rank_summary((combiner(score(p), groups) for p in patients), truth) for name, score in rankers.items()
    }
