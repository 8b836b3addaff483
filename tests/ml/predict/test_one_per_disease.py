"""A differential lists each disease once, though the knowledge base holds it under several codes."""

from __future__ import annotations

import pytest

from ml.knowledge import get_kb
from ml.models import KnowledgeModel
from ml.models.fusion import RankedDisease, Ranking
from ml.predict import KnowledgeRanker, Query, one_per_disease
from tests.kb_build import session_kb_dir


@pytest.fixture(scope="module")
def kb(tmp_path_factory):
    return get_kb(session_kb_dir(tmp_path_factory))


def entry(disease_id: str, probability: float) -> RankedDisease:
    return RankedDisease(disease_id=disease_id, name=disease_id, probability=probability, source="knowledge",
                         model_weight=0.0, model_probability=None, knowledge_probability=probability, evidence=())


def test_the_best_ranked_code_stands_for_its_disease_and_the_next_disease_moves_up(kb):
    marfan, marfan_orpha = kb.same_disease("OMIM:154700")[:2]
    ranking = Ranking(entries=(entry(marfan_orpha, 0.5), entry("OMIM:219700", 0.4), entry(marfan, 0.3),
                               entry("OMIM:162200", 0.2), entry("NOT-IN-KB:1", 0.1), entry("NOT-IN-KB:2", 0.05)))
    assert one_per_disease(ranking, kb, 3) == [(marfan_orpha, 0.5), ("OMIM:219700", 0.4), ("OMIM:162200", 0.2)]
    assert [disease for disease, _ in one_per_disease(ranking, kb, 10)] == [
        marfan_orpha, "OMIM:219700", "OMIM:162200", "NOT-IN-KB:1", "NOT-IN-KB:2"]


def test_a_homocystinuria_presentation_shows_omim_and_orpha_as_one_row(kb):
    ranker = KnowledgeRanker(KnowledgeModel(kb).fit())
    # Ectopia lentis, arachnodactyly, intellectual disability, thromboembolism: OMIM:236200 and ORPHA:394 both rank.
    query = Query(present=("HP:0001083", "HP:0001166", "HP:0001249", "HP:0001907"), top=10)
    ranking = ranker.rank(query)
    twins = set(kb.same_disease("OMIM:236200"))
    assert len(twins & set(ranking.disease_ids[:10])) == 2  # the raw top 10 holds both entries
    top = [disease for disease, _ in one_per_disease(ranking, kb, 10)]
    assert len(twins & set(top)) == 1 and len(top) == 10
    assert len({int(kb.disease_group[kb.disease_index[d]]) for d in top}) == 10
