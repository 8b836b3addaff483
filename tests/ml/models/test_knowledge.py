"""The knowledge-informed model on the real knowledge base: textbook cases, direction, data updates, contract."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils import estimator_checks

from ml.knowledge import get_kb
from ml.models import KnowledgeModel
from tests.kb_build import session_kb_dir

MARFAN = "OMIM:154700"
CYSTIC_FIBROSIS = "OMIM:219700"
ECTOPIA_LENTIS = "HP:0001083"
TALL_STATURE, SCOLIOSIS = "HP:0000098", "HP:0002650"


@pytest.fixture(scope="session")
def kb(tmp_path_factory):
    return get_kb(session_kb_dir(tmp_path_factory))


@pytest.fixture(scope="session")
def model(kb):
    return KnowledgeModel(kb, prior="uniform").fit()


def textbook(kb, disease_id: str, n_terms: int = 6) -> list[str]:
    """Return a disease's most frequent annotated terms, its textbook presentation."""
    frequencies = kb.disease(disease_id).frequencies
    assert frequencies
    return [term for term, _ in sorted(frequencies.items(), key=lambda item: (-item[1], item[0]))[:n_terms]]


def rank_of(model, disease_id, present, absent=(), **demographics) -> int:
    scores = model.scores(present, absent, **demographics)
    return int(np.count_nonzero(scores > scores[model.kb.disease_index[disease_id]])) + 1


@pytest.mark.parametrize("disease_id", [MARFAN, "ORPHA:558", "OMIM:219700", "ORPHA:586", "OMIM:143100"])
def test_a_disease_with_no_cases_ranks_first_for_its_textbook_presentation(model, kb, disease_id):
    assert model.n_cases_[kb.disease_index[disease_id]] == 0
    ranked = model.rank(textbook(kb, disease_id), top=5)
    assert len(ranked) == 5 and ranked[0][0] == disease_id
    probabilities = [probability for _, probability in ranked]
    assert probabilities == sorted(probabilities, reverse=True) and 0 < probabilities[0] <= 1


def test_common_diseases_rank_first_for_their_textbook_presentation_with_the_prevalence_prior(kb):
    model = KnowledgeModel(kb, prior="prevalence").fit()
    common = [disease_id for disease_id in kb.disease_ids if disease_id.startswith("ICD10:")]
    assert len(common) >= 40
    first = [model.rank(textbook(kb, disease_id), top=1)[0][0] == disease_id for disease_id in common]
    # The misses are near-identical profiles in the catalogue (hepatitis A-E, influenza / COVID-19).
    assert np.mean(first) >= 0.8


def test_adding_a_hallmark_raises_its_disease(model):
    vague = [TALL_STATURE, SCOLIOSIS]
    before = model.scores(vague)[model.kb.disease_index[MARFAN]]
    after = model.scores([*vague, ECTOPIA_LENTIS])[model.kb.disease_index[MARFAN]]
    assert after > before + 1
    assert rank_of(model, MARFAN, [*vague, ECTOPIA_LENTIS]) < rank_of(model, MARFAN, vague)


def test_an_excluded_obligate_finding_lowers_its_disease(model, kb):
    sweat_chloride = "HP:0012236"  # Elevated sweat chloride, obligate in cystic fibrosis
    assert kb.disease(CYSTIC_FIBROSIS).frequencies[sweat_chloride] == 1.0
    present = [term for term in textbook(kb, CYSTIC_FIBROSIS) if term != sweat_chloride]
    index = kb.disease_index[CYSTIC_FIBROSIS]
    assert model.scores(present, [sweat_chloride])[index] < model.scores(present)[index] - 2
    explained = {hpo_id: log_lr for hpo_id, _, log_lr in model.explain(present, [sweat_chloride], CYSTIC_FIBROSIS)}
    assert explained[sweat_chloride] == pytest.approx(np.log(model.floor))


def test_explain_gives_each_findings_share_of_the_score(model, kb):
    present, absent = textbook(kb, MARFAN, 4), ["HP:0001250"]
    evidence = model.explain(present, absent, MARFAN)
    assert [hpo_id for hpo_id, _, _ in evidence if _] and {hpo_id for hpo_id, _, _ in evidence} == {*present, *absent}
    assert [log_lr for _, _, log_lr in evidence] == sorted((log_lr for _, _, log_lr in evidence), reverse=True)
    raw = model._log_scores(model.term_indices(present), model.term_indices(absent), None, None)
    index = kb.disease_index[MARFAN]
    assert raw[index] - model.log_prior_[index] == pytest.approx(sum(log_lr for _, _, log_lr in evidence))
    assert all(log_lr > 0 for hpo_id, flag, log_lr in evidence if flag)


def test_a_more_general_term_still_credits_the_disease(model, kb):
    parent = kb.term_parents[kb.term_index[ECTOPIA_LENTIS]][0]
    index = kb.disease_index[MARFAN]
    assert model.explain([parent], [], MARFAN)[0][2] > 0
    assert model.scores([ECTOPIA_LENTIS])[index] > model.scores([parent])[index]


def test_obsolete_and_alternative_ids_are_resolved_and_unknown_ids_raise(model, kb):
    alt_id, primary = next(iter(kb.alt_ids.items()))
    assert np.array_equal(model.scores([alt_id]), model.scores([primary]))
    with pytest.raises(KeyError, match="HP:9999999"):
        model.rank(["HP:9999999"])


def test_age_below_the_earliest_onset_and_an_excluded_sex_lower_a_disease(model, kb):
    late = next(d for d, onsets in zip(kb.disease_ids, kb.disease_onset, strict=True) if onsets == ("HP:0003584",))
    present, index = textbook(kb, late, 3), kb.disease_index[late]
    assert model.scores(present, age=10)[index] < model.scores(present, age=70)[index]
    female = next(d for d, sex in zip(kb.disease_ids, kb.disease_sex, strict=True) if sex == "FEMALE")
    present, index = textbook(kb, female, 3), kb.disease_index[female]
    assert model.scores(present, sex="male")[index] < model.scores(present, sex="female")[index]
    assert model.scores(present, sex="unknown")[index] == model.scores(present)[index]


def cases_matrix(kb, disease_id: str, n_cases: int, findings: dict[str, int]):
    """Return X (n_cases x terms) with the same findings in every case and Y marking the disease."""
    columns = [kb.term_index[term] for term in findings]
    rows = np.repeat(np.arange(n_cases), len(columns))
    X = sparse.csr_array(
        (np.tile(list(findings.values()), n_cases).astype(float), (rows, np.tile(columns, n_cases))),
        shape=(n_cases, kb.n_terms),
    )
    Y = sparse.csr_array(
        (np.ones(n_cases), (np.arange(n_cases), np.full(n_cases, kb.disease_index[disease_id]))),
        shape=(n_cases, kb.n_diseases),
    )
    return X, Y


def test_more_data_moves_a_terms_probability_toward_the_data(kb, model):
    fever = "HP:0001945"
    knowledge_lens, knowledge_fever = (
        model.term_probability(MARFAN, ECTOPIA_LENTIS),
        model.term_probability(MARFAN, fever),
    )
    probabilities = []
    for n_cases in (5, 50, 500):
        X, Y = cases_matrix(kb, MARFAN, n_cases, {ECTOPIA_LENTIS: -1, fever: +1})
        fitted = KnowledgeModel(kb, prior="uniform", beta_strength=5.0).fit(X, Y)
        assert fitted.n_cases_[kb.disease_index[MARFAN]] == n_cases
        probabilities.append((fitted.term_probability(MARFAN, ECTOPIA_LENTIS), fitted.term_probability(MARFAN, fever)))
    lens, fever_seen = zip(*probabilities, strict=True)
    assert knowledge_lens > lens[0] > lens[1] > lens[2] and lens[2] < 0.01
    assert knowledge_fever < fever_seen[0] < fever_seen[1] < fever_seen[2] and fever_seen[2] > 0.99
    # Diseases without cases keep their knowledge values.
    assert fitted.term_probability("ORPHA:558", ECTOPIA_LENTIS) == model.term_probability("ORPHA:558", ECTOPIA_LENTIS)


def test_fit_with_zero_rows_is_the_knowledge_only_model(kb, model):
    X, Y = sparse.csr_array((0, kb.n_terms)), sparse.csr_array((0, kb.n_diseases))
    fitted = KnowledgeModel(kb, prior="uniform").fit(X, Y)
    probe = sparse.csr_array(
        ([1.0, 1.0, -1.0], ([0, 0, 0], [kb.term_index[t] for t in textbook(kb, MARFAN, 3)])), shape=(1, kb.n_terms)
    )
    assert np.array_equal(fitted.decision_function(probe), model.decision_function(probe))


def test_decision_function_and_predict_proba_shapes_and_scale(kb, model):
    terms = [kb.term_index[t] for t in textbook(kb, MARFAN, 3)]
    X = sparse.csr_array((np.ones(3), ([0, 0, 1], terms)), shape=(2, kb.n_terms))
    proba = model.predict_proba(X)
    odds = model.decision_function(X)
    assert proba.shape == odds.shape == (2, kb.n_diseases)
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert np.allclose(odds, np.log(proba) - np.log1p(-proba), atol=1e-6)
    assert model.predict(X)[0] == model.classes_[np.argmax(proba[0])]
    with pytest.raises(ValueError, match="columns"):
        model.decision_function(sparse.csr_array((1, 5)))


def test_diseases_with_different_annotations_do_not_tie_near_the_top(model, kb):
    # Diseases that explain exactly the same findings at the same frequencies, with the same expected feature
    # count, tie honestly (the unexplained findings cost each the same noise ratio); such ties stay small and
    # never reach the top 10.
    for disease_id in (MARFAN, CYSTIC_FIBROSIS, "OMIM:143100"):
        scores = model.scores(textbook(kb, disease_id, 3))
        top = np.argsort(-scores)[:50]
        annotations = {}
        for index in top:
            record = kb.disease(kb.disease_ids[index])
            annotations.setdefault(scores[index], set()).add(
                (tuple(sorted(record.frequencies.items())), record.excluded)
            )
        assert len(annotations) > 40
        assert all(len(distinct) <= 3 for distinct in annotations.values())
        assert len(set(scores[top[:10]])) == 10


def test_fit_rejects_bad_parameters_and_unfitted_use(kb):
    with pytest.raises(NotFittedError):
        KnowledgeModel(kb).rank([MARFAN])
    with pytest.raises(ValueError, match="knowledge base"):
        KnowledgeModel().fit()
    with pytest.raises(ValueError, match="prior"):
        KnowledgeModel(kb, prior="flat").fit()


@pytest.mark.parametrize(
    "check",
    [
        estimator_checks.check_no_attributes_set_in_init,
        estimator_checks.check_parameters_default_constructible,
        estimator_checks.check_get_params_invariance,
        estimator_checks.check_set_params,
        estimator_checks.check_estimator_repr,
        estimator_checks.check_do_not_raise_errors_in_init_or_set_params,
    ],
    ids=lambda check: check.__name__,
)
def test_scikit_learn_estimator_checks_that_apply(check, kb):
    # The checks that fit on random data do not apply: X's columns must be the knowledge base's terms.
    check("KnowledgeModel", KnowledgeModel(kb))


def test_clone_keeps_parameters(kb):
    cloned = clone(KnowledgeModel(kb, floor=0.05, absent_weight=0.5))
    # clone deep-copies the knowledge base like any non-estimator parameter.
    assert cloned.get_params()["floor"] == 0.05 and cloned.kb.content_hash == kb.content_hash


@pytest.mark.slow
def test_cross_validation_picks_a_weak_prior_when_the_cases_contradict_the_knowledge(kb):
    from ml.models import select_beta_strength

    # Marfan cases that all show a cystic fibrosis hallmark: only the data can put Marfan first.
    X, Y = cases_matrix(kb, MARFAN, 12, {"HP:0012236": +1})
    best, scores = select_beta_strength(KnowledgeModel(kb, prior="uniform"), X, Y, strengths=(1, 1000), n_splits=3)
    assert set(scores) == {1.0, 1000.0}
    assert best == 1.0 and scores[1.0] > scores[1000.0]
