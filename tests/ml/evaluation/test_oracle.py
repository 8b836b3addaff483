"""The simulator's own likelihood (the oracle): a distribution over what the simulator reports, and a ceiling."""

from __future__ import annotations

from itertools import combinations, product

import numpy as np
import pytest

from ml.evaluation import evaluate_simulated, knowledge_ranker, simulate_patients
from ml.evaluation.oracle import SimulationOracle, oracle_ranker
from ml.evaluation.simulate import _related_terms
from ml.knowledge import get_kb
from ml.knowledge.artifact import GENERAL_TERMS
from ml.models import KnowledgeModel
from ml.models.likelihood import term_ancestors
from tests.kb_build import session_kb_dir


@pytest.fixture(scope="module")
def kb(tmp_path_factory):
    return get_kb(session_kb_dir(tmp_path_factory))


@pytest.fixture(scope="module")
def oracle(kb):
    return SimulationOracle(kb, n_terms=3, imprecision=0.5, noise=1)


def test_the_reported_sets_of_a_disease_have_probabilities_summing_to_one(kb, oracle):
    lengths = np.diff(kb.annotations.indptr)
    disease = int(np.flatnonzero(lengths == 5)[0])
    terms = kb.annotations.indices[kb.annotations.indptr[disease] : kb.annotations.indptr[disease + 1]]
    reachable = set()
    for drawn in combinations(terms.tolist(), 3):
        for outputs in product(*(oracle._outputs(term) for term in drawn)):
            reachable.add(frozenset(outputs))
    total = sum(oracle.signal_probability(disease, reported) for reported in reachable)
    assert total == pytest.approx(1.0)
    assert oracle.signal_probability(disease, frozenset(terms[:4].tolist())) == 0.0  # 4 terms from 3 draws
    # the noise term is drawn from the phenotype terms neither above nor below an annotation, as the simulator does
    related = _related_terms(kb, terms)
    phenotypic = kb.ancestor_closure[:, [kb.term_index[GENERAL_TERMS[1]]]].toarray().ravel()
    pool = np.flatnonzero(phenotypic & ~np.asarray(kb.term_obsolete))
    annotated = set(terms.tolist())
    admissible = [
        t
        for t in pool.tolist()
        if t not in related and not annotated.intersection(term_ancestors(kb.ancestor_closure, t).tolist())
    ]
    assert oracle.unrelated_counts_[disease] == len(admissible)
    assert oracle._unrelated(admissible[0])[disease] and not oracle._unrelated(int(terms[0]))[disease]


@pytest.mark.slow
def test_the_oracle_can_produce_every_patient_and_ranks_at_least_as_well_as_the_model(kb, oracle):
    patients = simulate_patients(kb, n_patients=150, n_terms=3, imprecision=0.5, noise=1, random_state=5)
    for patient in patients[:20]:
        assert np.isfinite(oracle.log_likelihood(patient.present)[patient.disease_index])
    model = KnowledgeModel(kb, prior="uniform").fit()
    results = evaluate_simulated(patients, {"oracle": oracle_ranker(oracle), "dxflow": knowledge_ranker(model)})
    assert results["oracle"]["mrr"] >= results["dxflow"]["mrr"]
    assert results["oracle"]["top10"] >= results["dxflow"]["top10"]
