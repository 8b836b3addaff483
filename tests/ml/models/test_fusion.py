"""The fused ranking: orphan diseases from the knowledge model, common ones from the bundle, blended by support."""

from __future__ import annotations

import numpy as np
import pytest

from ml.dataset import dataset_from_records
from ml.features import Query
from ml.knowledge import get_kb
from ml.models import KnowledgeModel
from ml.models.fusion import FusedRanker, fit_knowledge_model, knowledge_training_data
from tests.kb_build import session_kb_dir
from tests.ml.training_fixtures import trained_outcome

pytestmark = pytest.mark.slow  # fits several knowledge models on the real knowledge base

MARFAN = "OMIM:154700"
HYPERTENSION = "ICD10:I10"


@pytest.fixture(scope="module")
def kb(tmp_path_factory):
    return get_kb(session_kb_dir(tmp_path_factory))


@pytest.fixture(scope="module")
def knowledge(kb):
    return KnowledgeModel(kb, prior="uniform").fit()


@pytest.fixture(scope="module")
def bundle():
    return trained_outcome().bundle


def textbook(kb, disease_id: str, n_terms: int = 6) -> tuple[str, ...]:
    """Return a disease's most frequent annotated terms."""
    frequencies = kb.disease(disease_id).frequencies
    assert frequencies
    return tuple(term for term, _ in sorted(frequencies.items(), key=lambda item: (-item[1], item[0]))[:n_terms])


@pytest.mark.parametrize("with_bundle", [False, True])
def test_a_disease_with_zero_cases_ranks_first_for_its_textbook_presentation(kb, knowledge, bundle, with_bundle):
    assert MARFAN not in bundle.labels
    ranker = FusedRanker(knowledge, bundle if with_bundle else None).fit()
    ranking = ranker.rank(Query(present=textbook(kb, MARFAN)), top=5)
    assert len(ranking) == 5
    first = ranking[0]
    assert first.disease_id == MARFAN and first.source == "knowledge" and first.model_weight == 0.0
    assert first.model_probability is None and first.probability == pytest.approx(first.knowledge_probability)
    assert first.genes == ("FBN1",) and first.same_disease == ("ORPHA:558",)
    assert first.evidence and all(log_lr > 0 for _, present, log_lr in first.evidence if present)
    assert [entry.probability for entry in ranking] == sorted((entry.probability for entry in ranking), reverse=True)


def test_a_common_diseases_probability_follows_the_bundle(kb, knowledge, bundle):
    column = bundle.labels.index(HYPERTENSION)
    support = float(bundle.train_support[column])
    assert support >= 20
    query = Query(present=("HP:0000822", "HP:0002315"), absent=("HP:0001945",))
    ranker = FusedRanker(knowledge, bundle, blend_support=2.0).fit()
    entry = next(e for e in ranker.rank(query, top=len(ranker.classes_)) if e.disease_id == HYPERTENSION)
    model_p = float(bundle.predict_proba(query)[0][column])
    weight = support / (support + 2.0)
    assert entry.source == "model" and entry.model_weight == pytest.approx(weight)
    assert entry.model_probability == pytest.approx(model_p)
    assert entry.probability == pytest.approx(weight * model_p + (1 - weight) * entry.knowledge_probability)
    assert abs(entry.probability - model_p) < abs(entry.probability - entry.knowledge_probability)
    # With a large blend_support the same disease leans on the knowledge model instead.
    leaning = FusedRanker(knowledge, bundle, blend_support=10_000.0).fit()
    assert leaning.predict_proba(query)[kb.disease_index[HYPERTENSION]] == pytest.approx(
        entry.knowledge_probability, abs=0.01
    )


def test_the_model_speaks_only_for_the_findings_it_was_trained_on(kb, knowledge, bundle):
    ranker = FusedRanker(knowledge, bundle, blend_support=2.0).fit()
    known = tuple(term for term in ("HP:0000822", "HP:0002315", "HP:0001945") if term in ranker.known_terms_)[:1]
    unseen = tuple(term for term in textbook(kb, MARFAN) if term not in ranker.known_terms_)[:2]
    assert len(known) == 1 and len(unseen) == 2
    support = float(bundle.train_support[bundle.labels.index(HYPERTENSION)])

    def hypertension(query):
        ranking = ranker.rank(query, top=len(ranker.classes_))
        return next(entry for entry in ranking if entry.disease_id == HYPERTENSION), ranking

    alone, _ = hypertension(Query(present=known))
    mixed, ranking = hypertension(Query(present=known + unseen))
    assert alone.model_weight == pytest.approx(support / (support + 2.0))
    assert ranker.coverage(Query(present=known + unseen)) == pytest.approx(1 / 3)
    assert mixed.model_weight == pytest.approx(alone.model_weight / 3)
    assert mixed.probability == pytest.approx(
        mixed.model_weight * mixed.model_probability + (1 - mixed.model_weight) * mixed.knowledge_probability)
    # Marfan syndrome, which explains the findings the model never saw, is in the top 5 (ORPHA:558 is its twin).
    assert set(kb.same_disease(MARFAN)) & set(ranking.disease_ids[:5])


def test_a_bundle_label_missing_from_the_knowledge_base_is_ranked_from_the_model_alone(knowledge, bundle):
    extra = [label for label in bundle.labels if label not in knowledge.kb.disease_index]
    assert extra
    ranker = FusedRanker(knowledge, bundle).fit()
    query = Query(present=("HP:0001945", "HP:0012735"))
    probabilities = ranker.predict_proba(query)
    assert len(probabilities) == knowledge.kb.n_diseases + len(extra)
    column = list(ranker.classes_).index(extra[0])
    assert probabilities[column] == pytest.approx(bundle.predict_proba(query)[0][bundle.labels.index(extra[0])])


def test_unknown_query_terms_are_reported_not_fatal(knowledge):
    ranking = FusedRanker(knowledge).fit().rank(Query(present=("HP:0001083", "HP:9999999")), top=3)
    assert ranking.ignored_terms == ("HP:9999999",) and len(ranking) == 3


def marfan_records(n_cases: int) -> list[dict]:
    """Return Marfan cases that all show arachnodactyly and none shows ectopia lentis."""
    return [
        {"case_id": n, "present": ["HP:0001166", "HP:0001519"], "absent": ["HP:0001083"], "diagnoses": [MARFAN]}
        for n in range(1, n_cases + 1)
    ]


def test_the_training_dataset_becomes_the_knowledge_models_counts(kb):
    records = marfan_records(3) + [{"case_id": 9, "present": ["HP:9999999", "HP:0001945"], "diagnoses": ["X:1"]}]
    X, Y = knowledge_training_data(kb, dataset_from_records(records))
    assert X.shape == (4, kb.n_terms) and Y.shape == (4, kb.n_diseases)
    assert X[0, kb.term_index["HP:0001166"]] == 1 and X[0, kb.term_index["HP:0001083"]] == -1
    assert X[3].nnz == 1 and Y[3].nnz == 0 and Y[:3, [kb.disease_index[MARFAN]]].sum() == 3


def test_more_data_moves_a_terms_probability_toward_the_data(kb):
    ectopia = "HP:0001083"
    knowledge_value = KnowledgeModel(kb).fit().term_probability(MARFAN, ectopia)
    values = [
        fit_knowledge_model(kb, dataset_from_records(marfan_records(n)), strengths=(5.0,)).term_probability(
            MARFAN, ectopia
        )
        for n in (3, 30, 300)
    ]
    assert knowledge_value > 0.3
    assert knowledge_value > values[0] > values[1] > values[2] and values[2] < 0.05


def test_the_beta_strength_is_chosen_by_cross_validation_when_there_are_cases(kb):
    fitted = fit_knowledge_model(kb, dataset_from_records(marfan_records(9)), strengths=(1.0, 100.0))
    assert fitted.beta_selection_["beta_strength"] in (1.0, 100.0)
    assert set(fitted.beta_selection_["mrr"]) == {1.0, 100.0}
    assert fitted.beta_strength == fitted.beta_selection_["beta_strength"] and fitted.n_cases_.sum() == 9
    assert not hasattr(fit_knowledge_model(kb, None), "beta_selection_")


def test_a_cohort_ranks_through_the_fused_ranker_and_without_a_bundle_like_the_knowledge_model(kb, knowledge, bundle):
    from ml.models.cohort import CohortCase, rank_cohort

    cases = [CohortCase("c1", (*textbook(kb, MARFAN), "HP:9999999"), ()), CohortCase("c2", (), ())]
    fused_rows = rank_cohort(FusedRanker(knowledge, bundle).fit(), cases, top=3)
    knowledge_rows = rank_cohort(knowledge, cases, top=3)
    alone_rows = rank_cohort(FusedRanker(knowledge).fit(), cases, top=3)
    assert [row["warning"] for row in fused_rows if row["warning"]] == [
        "unknown HPO ids ignored: HP:9999999", "no usable HPO term: case not ranked"
    ]
    ranked = [row for row in fused_rows if row["rank"]]
    assert len(ranked) == 3 and ranked[0]["disease_id"] == MARFAN
    assert [row["disease_id"] for row in alone_rows] == [row["disease_id"] for row in knowledge_rows]


def test_a_bundle_without_training_support_is_trusted_fully_for_its_labels(kb, knowledge, bundle):
    from dataclasses import replace

    ranker = FusedRanker(knowledge, replace(bundle, train_support=None)).fit()
    query = Query(present=("HP:0000822",))
    column = kb.disease_index[HYPERTENSION]
    assert ranker.weights_[column] == 1.0 and not np.isnan(ranker.weights_).any()
    assert ranker.predict_proba(query)[column] == pytest.approx(
        bundle.predict_proba(query)[0][bundle.labels.index(HYPERTENSION)]
    )
