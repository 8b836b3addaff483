"""Simulated traffic through the drift checks and decisions: quiet without a shift, alarms with one.

The predicted top-1 disease is stood in for by the true first diagnosis (the app feeds the real predictor).
"""

from collections import Counter
from datetime import UTC, datetime

import pytest

from ml.knowledge import load_kb
from ml.monitoring import (
    DriftReference,
    evaluate_triggers,
    frequent_terms,
    prediction_frame,
    reference_frame,
    simulate_traffic,
    synthetic_snapshot,
)
from tests.kb_build import session_kb_dir

pytestmark = pytest.mark.slow
WINDOWS, SIZE = 20, 500


@pytest.fixture(scope="module")
def knowledge(tmp_path_factory):
    return load_kb(session_kb_dir(tmp_path_factory))


@pytest.fixture(scope="module")
def snapshot(knowledge):
    return synthetic_snapshot(knowledge, n_cases=5_000, random_state=1)


@pytest.fixture(scope="module")
def terms(snapshot):
    return frequent_terms(snapshot)


@pytest.fixture(scope="module")
def reference(snapshot, terms):
    return DriftReference().fit(reference_frame(snapshot, terms=terms))


def checks(windows, reference, terms):
    """Return the drift result of each simulated window."""
    results = []
    for window in windows:
        records = [query.as_record(query.diagnoses[0] if query.diagnoses else None) for query in window.queries]
        results.append(reference.check(prediction_frame(records, terms=terms)))
    return results


def decisions(results):
    """Return the decision after each window, as a job running once per window would take it."""
    now = datetime(2026, 12, 1, tzinfo=UTC)
    return [
        evaluate_triggers(results[: index + 1], None, last_retrain_at=None, now=now, retraining_running=False)
        for index in range(len(results))
    ]


def test_no_shift_drifts_in_at_most_5_percent_of_20_windows(snapshot, knowledge, reference, terms):
    windows = simulate_traffic(snapshot, kb=knowledge, scenario="none", windows=WINDOWS, window_size=SIZE)
    assert len(windows) == WINDOWS and not any(window.shifted for window in windows)
    results = checks(windows, reference, terms)
    assert sum(result.dataset_drift for result in results) <= 0.05 * WINDOWS
    assert sum(bool(decision.alerts) for decision in decisions(results)) <= 0.05 * WINDOWS


def test_no_shift_stays_quiet_against_a_small_reference_too(snapshot, knowledge, terms):
    small = snapshot.subset(range(1, 801))
    reference = DriftReference().fit(reference_frame(small, terms=terms))
    assert reference.features_["temperature_c"].stat == "ks"
    windows = simulate_traffic(small, kb=knowledge, scenario="none", windows=WINDOWS, window_size=300, random_state=5)
    assert sum(result.dataset_drift for result in checks(windows, reference, terms)) <= 0.05 * WINDOWS


def test_a_covariate_shift_drifts_and_triggers_retraining(snapshot, knowledge, reference, terms):
    windows = simulate_traffic(snapshot, kb=knowledge, scenario="covariate", windows=12, window_size=SIZE, onset=4)
    results = checks(windows, reference, terms)
    assert [window.shifted for window in windows] == [False] * 4 + [True] * 8
    assert not any(result.dataset_drift for result in results[:4])
    assert all(result.dataset_drift for result in results[4:])
    assert {"age_group", "n_present"} <= set(results[-1].drifted_features)
    retrains = [decision.retrain for decision in decisions(results)]
    assert retrains.index(True) == 6  # the third shifted window: drift persisted over 3 windows
    assert decisions(results)[-1].reasons == ("dataset_drift",)


def test_a_new_disease_takes_its_share_of_traffic_and_moves_the_top1_mix(snapshot, knowledge, reference, terms):
    windows = simulate_traffic(snapshot, kb=knowledge, scenario="new-disease", windows=8, window_size=SIZE, onset=4)
    seen = set(snapshot.diagnoses["disease_id"])
    unseen = [Counter(dx for query in window.queries for dx in query.diagnoses if dx not in seen) for window in windows]
    assert unseen[:4] == [Counter()] * 4
    assert all(len(counts) == 1 and sum(counts.values()) == 150 for counts in unseen[4:])  # 30 % of 500
    (new_disease,) = unseen[4]
    assert knowledge.disease(new_disease).orphan
    results = checks(windows, reference, terms)
    assert [result.features["top1_disease"].drifted for result in results] == [False] * 4 + [True] * 4


def test_a_label_shift_gives_three_diseases_60_percent_of_the_traffic(snapshot, knowledge):
    windows = simulate_traffic(snapshot, kb=knowledge, scenario="label-shift", windows=6, window_size=SIZE, onset=3)
    shares = []
    for window in windows:
        counts = Counter(query.diagnoses[0] for query in window.queries if query.diagnoses)
        shares.append(sum(count for _, count in counts.most_common(3)) / SIZE)
    assert all(share < 0.5 for share in shares[:3])
    assert all(0.5 < share < 0.75 for share in shares[3:])


def test_traffic_is_seeded(snapshot, knowledge):
    first = simulate_traffic(snapshot, kb=knowledge, scenario="new-disease", windows=3, window_size=50, onset=1)
    again = simulate_traffic(snapshot, kb=knowledge, scenario="new-disease", windows=3, window_size=50, onset=1)
    other = simulate_traffic(
        snapshot, kb=knowledge, scenario="new-disease", windows=3, window_size=50, onset=1, random_state=9
    )
    assert first == again and first != other
    assert all(query.present or query.absent for window in first for query in window.queries)


def test_an_unknown_scenario_is_refused(snapshot, knowledge):
    with pytest.raises(ValueError, match="choose one of none, covariate, new-disease, label-shift"):
        simulate_traffic(snapshot, kb=knowledge, scenario="meteor")
