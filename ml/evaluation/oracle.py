"""The simulator's own likelihood: the best any ranker can do on ``simulate_patients``' patients.

``SimulationOracle`` knows exactly how ``ml.evaluation.simulate.simulate_patients`` made a patient of disease
``d`` (``n_terms`` annotations drawn without replacement with probability proportional to ``max(frequency,
1e-3)``, each replaced with probability ``imprecision`` by a uniformly chosen parent that is not a general term,
then one noise term drawn by rejection, up to 100 tries, from the current phenotype terms unrelated to ``d``)
and scores every disease by ``log P(observed set of present terms | d)``. With the uniform disease mix of the
simulation that is the Bayes posterior, so its expected top-k is the ceiling for any model that sees the
patient's terms (their order is not used). Excluded (absent) terms are not modelled: use ``excluded=0``.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations, permutations, product

import numpy as np
from scipy import sparse

#: The unrelated-term sampler's tries per noise term (``simulate._unrelated_sampler``: ``100 * count``).
NOISE_TRIES = 100


class SimulationOracle:
    """Score diseases by the exact probability that the simulator produced a patient's set of present terms."""

    def __init__(self, kb, *, n_terms: int = 3, imprecision: float = 0.5, noise: int = 1) -> None:
        if noise not in (0, 1):
            raise ValueError("the oracle models 0 or 1 noise term")
        self.kb, self.n_terms, self.imprecision, self.noise = kb, int(n_terms), float(imprecision), int(noise)
        self.parents = kb.reportable_parents
        children: dict[int, list[int]] = {}
        for child, parents in enumerate(self.parents):
            for parent in parents:
                children.setdefault(parent, []).append(child)
        self.children = children
        annotations = sparse.csr_array(kb.annotations)
        self.annotations = annotations
        self.by_term = sparse.csc_array(annotations > 0)
        closure = sparse.csr_array(kb.ancestor_closure, dtype=np.float32)
        binary = sparse.csr_array(annotations > 0, dtype=np.float32)
        related = sparse.csc_array((binary @ closure) > 0)  # annotations and their ancestors
        descendants = sparse.csc_array((binary @ closure.T) > 0)  # terms below an annotation
        pool = kb.phenotype_terms
        blocked = sparse.csr_array(related[:, pool] + descendants[:, pool])
        unrelated = len(pool) - np.diff(blocked.indptr)
        self.related, self.descendants = related, descendants
        self.unrelated_counts_ = unrelated  # per disease: the terms its noise term is drawn from
        self.in_pool = np.zeros(kb.n_terms, dtype=bool)
        self.in_pool[pool] = True
        accept = unrelated / len(pool)
        self.no_noise_ = (1.0 - accept) ** NOISE_TRIES  # every try rejected: the patient has no noise term
        with np.errstate(divide="ignore", invalid="ignore"):
            self.noise_probability_ = np.where(unrelated > 0, (1.0 - self.no_noise_) / unrelated, 0.0)

    # ------------------------------------------------------------------------------------------------

    def _explaining(self, term: int) -> set[int]:
        """Return the diseases with an annotation that can be reported as ``term`` (itself or a child)."""
        rows = [
            self.by_term.indices[self.by_term.indptr[t] : self.by_term.indptr[t + 1]]
            for t in [term, *self.children.get(term, ())]
        ]
        return set(np.concatenate(rows).tolist()) if rows else set()

    def _unrelated(self, term: int) -> np.ndarray:
        """Return a mask of the diseases for which ``term`` is an admissible noise term."""
        mask = np.full(self.kb.n_diseases, self.in_pool[term])
        for matrix in (self.related, self.descendants):
            mask[matrix.indices[matrix.indptr[term] : matrix.indptr[term + 1]]] = False
        return mask

    def _outputs(self, term: int) -> dict[int, float]:
        """Return the distribution of the term a drawn annotation is reported as."""
        parents = self.parents[term]
        if not parents:
            return {term: 1.0}
        share = self.imprecision / len(parents)
        outputs = {parent: share for parent in parents}
        outputs[term] = outputs.get(term, 0.0) + 1.0 - self.imprecision
        return outputs

    def signal_probability(self, disease: int, reported: frozenset[int]) -> float:
        """Return P(the reported annotated terms, deduplicated, are exactly ``reported`` | disease)."""
        start, end = self.annotations.indptr[disease], self.annotations.indptr[disease + 1]
        terms = self.annotations.indices[start:end]
        weights = np.maximum(self.annotations.data[start:end].astype(float), 1e-3)
        total = float(weights.sum())
        n = min(self.n_terms, len(terms))
        if not reported or len(reported) > n:
            return 0.0
        candidates = []
        for term, weight in zip(terms.tolist(), weights.tolist(), strict=True):
            outputs = {o: p for o, p in self._outputs(term).items() if o in reported}
            if outputs:
                candidates.append((weight, outputs))
        probability = 0.0
        for drawn in combinations(candidates, n):
            draw = 0.0
            for order in permutations(drawn):
                p, left = 1.0, total
                for weight, _ in order:
                    p *= weight / left
                    left -= weight
                draw += p
            cover = 0.0
            for assignment in product(*(outputs.items() for _, outputs in drawn)):
                if {o for o, _ in assignment} == reported:
                    cover += float(np.prod([p for _, p in assignment]))
            probability += draw * cover
        return probability

    def log_likelihood(self, present: Sequence[int]) -> np.ndarray:
        """Return ``log P(present set | d)`` for every disease (``-inf`` where the simulator cannot produce it)."""
        observed = frozenset(int(t) for t in present)
        likelihood = np.zeros(self.kb.n_diseases)
        explaining = {term: self._explaining(term) for term in observed}
        hypotheses = [(None, observed)] + ([(j, observed - {j}) for j in observed] if self.noise else [])
        for noise_term, signal in hypotheses:
            if not signal:
                continue
            rows = set.intersection(*(explaining[t] for t in signal))
            if not rows:
                continue
            rows = np.fromiter(rows, dtype=np.int64)
            if noise_term is None:
                weight = self.no_noise_[rows] if self.noise else np.ones(len(rows))
            else:
                rows = rows[self._unrelated(noise_term)[rows]]
                weight = self.noise_probability_[rows]
            for row, w in zip(rows.tolist(), weight.tolist(), strict=True):
                if w > 0:
                    likelihood[row] += w * self.signal_probability(row, signal)
        with np.errstate(divide="ignore"):
            return np.log(likelihood)


def oracle_ranker(oracle: SimulationOracle):
    """Return a ranker scoring a simulated patient's present terms with the oracle."""
    return lambda patient: oracle.log_likelihood(patient.present)


__all__ = ["SimulationOracle", "oracle_ranker"]
