"""Simulated patients, the Resnik baseline and the tie-aware rank metrics."""

from __future__ import annotations

import numpy as np
import pytest

from ml.evaluation import (
    ResnikBaseline,
    evaluate_simulated,
    expected_reciprocal_rank,
    expected_topk,
    knowledge_ranker,
    largest_tie_in_top,
    rank_summary,
    resnik_ranker,
    simulate_patients,
    tie_group_size,
)
from ml.knowledge import get_kb
from ml.models import KnowledgeModel
from tests.kb_build import session_kb_dir


@pytest.fixture(scope="session")
def kb(tmp_path_factory):
    return get_kb(session_kb_dir(tmp_path_factory))


@pytest.mark.parametrize(
    "scores,true_index,k,expected",
    [
        ([3.0, 2.0, 1.0], 0, 1, 1.0),
        ([3.0, 2.0, 1.0], 1, 1, 0.0),
        ([1.0, 1.0, 1.0, 0.0], 0, 1, 1 / 3),  # a three-way tie at the top is a third of a win
        ([1.0, 1.0, 1.0, 0.0], 0, 2, 2 / 3),
        ([1.0, 1.0, 1.0, 0.0], 0, 3, 1.0),
        ([5.0, 1.0, 1.0, 1.0, 1.0], 2, 3, 0.5),  # one better, four tied for positions 2-5
        ([0.0] * 100, 7, 10, 0.1),  # everything tied: no better than chance
    ],
)
def test_expected_topk_orders_ties_at_random(scores, true_index, k, expected):
    assert expected_topk(np.array(scores), true_index, k) == pytest.approx(expected)


def test_expected_reciprocal_rank_and_tie_sizes():
    assert expected_reciprocal_rank(np.array([2.0, 1.0]), 0) == 1.0
    assert expected_reciprocal_rank(np.array([1.0, 1.0]), 0) == pytest.approx(0.75)
    assert expected_reciprocal_rank(np.array([9.0, 1.0, 1.0, 1.0]), 3) == pytest.approx((1 / 2 + 1 / 3 + 1 / 4) / 3)
    assert tie_group_size(np.array([1.0, 1.0, 0.5]), 0) == 2
    assert largest_tie_in_top(np.array([3.0, 2.0, 2.0, 2.0, 1.0]), k=2) == 3
    summary = rank_summary([np.array([1.0, 1.0]), np.array([0.0, 1.0])], [0, 1], ks=(1,))
    assert summary["top1"] == pytest.approx(0.75) and summary["ties"]["true_tied_share"] == 0.5


def test_simulated_patients_follow_the_recipe_and_the_seed(kb):
    patients = simulate_patients(kb, n_patients=60, n_terms=3, imprecision=0.0, noise=1, excluded=2, random_state=4)
    again = simulate_patients(kb, n_patients=60, n_terms=3, imprecision=0.0, noise=1, excluded=2, random_state=4)
    assert len(patients) == 60 and patients == again
    assert patients != simulate_patients(kb, n_patients=60, excluded=2, random_state=5)
    for patient in patients:
        record = kb.disease(kb.disease_ids[patient.disease_index])
        annotated = set(record.frequencies)
        drawn = [kb.term_ids[t] for t in patient.present if kb.term_ids[t] in annotated]
        assert len(drawn) == min(3, len(annotated))
        noise = [kb.term_ids[t] for t in patient.present if kb.term_ids[t] not in annotated]
        assert len(noise) == 1
        lineage = set().union(*(kb.ancestors_of(term) for term in annotated))
        assert noise[0] not in lineage and not annotated & kb.ancestors_of(noise[0])
        assert len(patient.absent) == 2 and not {kb.term_ids[t] for t in patient.absent} & annotated
        assert set(record.excluded) & {kb.term_ids[t] for t in patient.absent} or not record.excluded


def test_imprecision_replaces_terms_by_a_parent(kb):
    patients = simulate_patients(kb, n_patients=40, n_terms=2, imprecision=1.0, noise=0, random_state=1)
    assert patients
    for patient in patients:
        record = kb.disease(kb.disease_ids[patient.disease_index])
        parents = {parent for term in record.frequencies for parent in kb.term_parents[kb.term_index[term]]}
        assert all(kb.term_ids[t] in parents or kb.term_ids[t] in record.frequencies for t in patient.present)


def test_resnik_baseline_scores_the_most_informative_shared_ancestor(kb):
    baseline = ResnikBaseline(kb)
    term = kb.term_index["HP:0001083"]  # Ectopia lentis, annotated to Marfan syndrome
    scores = baseline.scores([term])
    assert scores[kb.disease_index["OMIM:154700"]] == pytest.approx(kb.information_content[term])
    assert scores.max() == pytest.approx(kb.information_content[term])
    assert np.count_nonzero(scores == scores.max()) > 1  # the baseline ties, which is why top-k is expected


@pytest.mark.slow
def test_dxflow_beats_the_resnik_baseline_on_the_same_simulated_patients(kb):
    patients = simulate_patients(kb, n_patients=300, n_terms=3, imprecision=0.5, noise=1, random_state=0)
    model = KnowledgeModel(kb, prior="uniform").fit()
    results = evaluate_simulated(
        patients, {"dxflow": knowledge_ranker(model), "resnik": resnik_ranker(ResnikBaseline(kb))}
    )
    assert results["dxflow"]["patients"] == results["resnik"]["patients"] == 300
    assert results["dxflow"]["top1"] > results["resnik"]["top1"] + 0.1
    assert results["dxflow"]["mrr"] > results["resnik"]["mrr"]
    assert results["dxflow"]["ties"]["true_tie_mean"] < results["resnik"]["ties"]["true_tie_mean"]


def test_group_scores_rank_same_disease_entries_as_one():
    from ml.evaluation import group_logsumexp, group_max

    groups = np.array([0, 1, 0, 2])
    assert group_max(np.array([1.0, 5.0, 3.0, 2.0]), groups).tolist() == [3.0, 5.0, 2.0]
    log_p = np.log(np.array([0.2, 0.5, 0.2, 0.1]))
    assert np.exp(group_logsumexp(log_p, groups)) == pytest.approx([0.4, 0.5, 0.1])


@pytest.mark.slow
def test_a_fitted_temperature_calibrates_the_top1_probability_on_other_patients(kb):
    from ml.evaluation import fit_temperature, grouped_evaluation, top1_calibration

    model = KnowledgeModel(kb, prior="uniform", temperature=1.0).fit()
    temperature = fit_temperature(model, simulate_patients(kb, n_patients=150, random_state=11))
    held_out = simulate_patients(kb, n_patients=150, random_state=12)
    before = top1_calibration(model, held_out)
    after = top1_calibration(KnowledgeModel(kb, prior="uniform", temperature=temperature).fit(), held_out)
    assert temperature > 0 and temperature != 1.0 and after["ece_top1"] < before["ece_top1"]
    assert after["top1_accuracy"] == before["top1_accuracy"]  # a temperature never changes the ranking
    rankers = {"dxflow": knowledge_ranker(model)}
    grouped = grouped_evaluation(held_out, rankers, kb.disease_group)["dxflow"]
    assert grouped["patients"] == 150 and grouped["top10"] >= evaluate_simulated(held_out, rankers)["dxflow"]["top10"]
