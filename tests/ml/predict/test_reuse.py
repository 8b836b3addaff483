"""The page's shortcuts give the same numbers as the full computations they replace."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from ml.knowledge import get_kb
from ml.models import KnowledgeModel
from ml.models.knowledge import explain_disease
from ml.predict import KnowledgeRanker, Query, annotation_table, candidate_findings
from tests.kb_build import session_kb_dir

PRESENT, ABSENT = ("HP:0001083", "HP:0001166", "HP:0002616"), ("HP:0001250",)


@pytest.fixture(scope="module")
def kb(tmp_path_factory):
    return get_kb(session_kb_dir(tmp_path_factory))


@pytest.fixture(scope="module")
def model(kb):
    return KnowledgeModel(kb).fit()


def test_the_ranking_carries_the_evidence_the_model_would_compute(kb, model):
    ranking = KnowledgeRanker(model).rank(Query(present=PRESENT, absent=ABSENT, age=30.0, sex="female"))
    assert ranking.top(5) == [pytest.approx(pair) for pair in model.rank(PRESENT, ABSENT, age=30.0, sex="female",
                                                                          top=5)]
    top = list(ranking.disease_ids[:10])
    expected = model.evidence(PRESENT, ABSENT, top)
    table = ranking.extra["evidence_table"]
    for disease in top:
        got = explain_disease(table, kb.disease_index[disease])
        assert [(hpo, flag) for hpo, flag, _ in got] == [(hpo, flag) for hpo, flag, _ in expected[disease]]
        assert [lr for *_, lr in got] == pytest.approx([lr for *_, lr in expected[disease]])


def _pool_and_candidates(kb, model):
    pool = [disease for disease, _ in model.rank(PRESENT, ABSENT, top=30)]
    candidates = candidate_findings(kb, pool[:10], PRESENT + ABSENT)[:25]
    assert len(pool) == 30 and len(candidates) == 25
    return pool, candidates


def test_pool_likelihoods_equal_the_per_disease_probabilities(kb, model):
    pool, candidates = _pool_and_candidates(kb, model)
    table = model.term_likelihoods(candidates, pool)
    expected = [[model.term_probability(disease, term) for term in candidates] for disease in pool]
    assert table.shape == (30, 25) and table.max() > 0
    assert table == pytest.approx(np.array(expected))


def test_pool_likelihoods_follow_the_case_counts_of_a_fitted_model(kb):
    marfan = kb.disease_index["OMIM:154700"]
    X = sparse.csr_array(([1.0, -1.0], ([0, 0], [kb.term_index["HP:0001083"], kb.term_index["HP:0000098"]])),
                         shape=(1, kb.n_terms))
    Y = sparse.csr_array(([1.0], ([0], [marfan])), shape=(1, kb.n_diseases))
    fitted = KnowledgeModel(kb, beta_strength=1.0).fit(X, Y)
    terms = ["HP:0001083", "HP:0000098", "HP:0001166"]
    table = fitted.term_likelihoods(terms, ["OMIM:154700", "ORPHA:558"])
    expected = [[fitted.term_probability(d, t) for t in terms] for d in ("OMIM:154700", "ORPHA:558")]
    assert table == pytest.approx(np.array(expected))
    assert table[0, 0] != pytest.approx(KnowledgeModel(kb).fit().term_probability("OMIM:154700", "HP:0001083"))


def test_the_annotation_table_reads_the_annotated_frequencies(kb, model):
    pool, candidates = _pool_and_candidates(kb, model)
    table = annotation_table(kb, pool, candidates)
    for row, disease in enumerate(pool):
        frequencies = kb.disease(disease).frequencies
        assert table[row].tolist() == [frequencies.get(term, 0.0) for term in candidates]
    assert table.max() > 0
