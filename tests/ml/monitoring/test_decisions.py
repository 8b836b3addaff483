"""Trigger decisions: persistent drift and performance drops retrain, unless cooling down or already running."""

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from ml.monitoring import (
    CRITICAL,
    INFO,
    WARNING,
    ChampionScores,
    DriftReference,
    Estimate,
    Outcome,
    Thresholds,
    evaluate_triggers,
    window_performance,
)

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
IDLE = {"last_retrain_at": None, "now": NOW, "retraining_running": False}


def frame(n: int, *, seed: int, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "age": rng.normal(50 + 20 * shift, 15, size=n),
            "temperature_c": rng.normal(37 + shift, 0.5, size=n),
            "sex": rng.choice(["female", "male"], size=n),
            "top1_disease": rng.choice(["flu", "cold", "covid"], size=n),
        }
    )


@pytest.fixture(scope="module")
def reference():
    return DriftReference().fit(frame(3_000, seed=1))


@pytest.fixture(scope="module")
def drifting(reference):
    return [reference.check(frame(500, seed=seed, shift=1.0)) for seed in (2, 3, 4)]


@pytest.fixture(scope="module")
def calm(reference):
    return [reference.check(frame(500, seed=seed)) for seed in (5, 6, 7)]


def performance(n: int, *, hits: int):
    """Return the performance of ``n`` single-label cases of which ``hits`` are ranked first correctly."""
    cases = [Outcome(ranked=["flu"], confirmed=["flu"]) for _ in range(hits)]
    cases += [Outcome(ranked=["flu"], confirmed=["cold"]) for _ in range(n - hits)]
    return window_performance(cases, orphan_diseases=set(), n_resamples=100)


def test_nothing_fires_on_calm_windows(calm):
    decision = evaluate_triggers(calm, None, **IDLE)
    assert decision.alerts == () and decision.retrain is False and decision.severity is None


def test_persistent_dataset_drift_warns_and_retrains(drifting):
    decision = evaluate_triggers(drifting, None, **IDLE)
    assert decision.retrain is True and decision.reasons == ("dataset_drift",)
    assert [(alert.kind, alert.severity) for alert in decision.alerts] == [("dataset_drift", WARNING)]
    assert decision.alerts[0].details["features"] == ["age", "temperature_c"]


def test_drift_in_fewer_than_n_windows_does_not_retrain(drifting, calm):
    assert evaluate_triggers(drifting[:2], None, **IDLE).retrain is False
    assert evaluate_triggers([*drifting[:2], calm[0]], None, **IDLE).retrain is False
    assert evaluate_triggers(drifting[:2], None, Thresholds(persistence_windows=2), **IDLE).retrain is True


def test_a_cooldown_holds_retraining_back_and_says_so(drifting):
    recent = evaluate_triggers(drifting, None, last_retrain_at=NOW - timedelta(hours=3), now=NOW,
                               retraining_running=False)  # fmt: skip
    assert recent.retrain is False and recent.triggered and recent.held_back_by == "cooldown"
    assert recent.alerts[-1].kind == "retraining_held" and recent.alerts[-1].severity == INFO
    later = evaluate_triggers(drifting, None, last_retrain_at=NOW - timedelta(hours=25), now=NOW,
                              retraining_running=False)  # fmt: skip
    assert later.retrain is True and later.held_back_by is None
    short = evaluate_triggers(drifting, None, last_retrain_at=NOW - timedelta(hours=3), now=NOW,
                              cooldown=timedelta(hours=2), retraining_running=False)  # fmt: skip
    assert short.retrain is True


def test_never_while_a_retraining_is_running(drifting):
    decision = evaluate_triggers(drifting, None, last_retrain_at=None, now=NOW, retraining_running=True)
    assert decision.retrain is False and decision.held_back_by == "running"
    assert "running" in decision.alerts[-1].message


def test_a_macro_f1_drop_over_enough_confirmed_cases_is_critical(calm):
    champion = ChampionScores(f1_macro=0.9)
    dropped = performance(200, hits=150)  # macro-F1 over flu/cold well below 0.85
    decision = evaluate_triggers(calm, dropped, champion=champion, **IDLE)
    assert decision.retrain is True and decision.reasons == ("performance_drop",)
    assert decision.severity == CRITICAL and decision.alerts[0].details["n"] == 200
    too_few = evaluate_triggers(calm, performance(199, hits=150), champion=champion, **IDLE)
    assert too_few.retrain is False and too_few.alerts == ()


def test_a_drop_smaller_than_the_threshold_is_not_an_alert(calm):
    steady = performance(400, hits=300)
    value = steady.overall.f1_macro.value
    decision = evaluate_triggers(calm, steady, champion=ChampionScores(f1_macro=value + 0.049), **IDLE)
    assert decision.alerts == ()
    decision = evaluate_triggers(calm, steady, champion=ChampionScores(f1_macro=value + 0.05), **IDLE)
    assert decision.reasons == ("performance_drop",)


def test_an_orphan_collapse_is_its_own_trigger(calm):
    orphans = {"ORPHA:1"}
    cases = [Outcome(ranked=["flu"], confirmed=["ORPHA:1"]) for _ in range(30)]
    cases += [Outcome(ranked=["flu"], confirmed=["flu"]) for _ in range(300)]
    result = window_performance(cases, orphan_diseases=orphans, n_resamples=50)
    decision = evaluate_triggers(calm, result, champion=ChampionScores(orphan_top_k=0.4), **IDLE)
    assert decision.reasons == ("orphan_drop",) and decision.alerts[0].details["n"] == 30


def test_predicted_top1_drift_warns_without_retraining(reference):
    history = [reference.check(frame(500, seed=seed).assign(top1_disease="measles")) for seed in (8, 9, 10)]
    decision = evaluate_triggers(history, None, **IDLE)
    assert [(alert.kind, alert.severity) for alert in decision.alerts] == [("prediction_drift", WARNING)]
    assert decision.retrain is False


def test_too_many_unmapped_terms_warn_without_retraining(calm):
    many = Estimate(value=0.2, low=0.17, high=0.23, n=600, method="wilson")
    decision = evaluate_triggers(calm, None, unmapped=many, **IDLE)
    assert [alert.kind for alert in decision.alerts] == ["unmapped_terms"] and decision.retrain is False
    few = Estimate(value=0.2, low=0.05, high=0.5, n=20, method="wilson")
    assert evaluate_triggers(calm, None, unmapped=few, **IDLE).alerts == ()


def test_the_dataset_drift_share_can_be_set_with_the_thresholds(reference):
    one_feature = [reference.check(frame(500, seed=seed).assign(age=90.0)) for seed in (11, 12, 13)]
    assert [result.drifted_features for result in one_feature] == [["age"]] * 3  # 1 of 3 input features
    assert evaluate_triggers(one_feature, None, **IDLE).retrain is False
    assert evaluate_triggers(one_feature, None, Thresholds(drift_share=0.3), **IDLE).retrain is True
