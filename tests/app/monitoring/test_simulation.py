"""Simulated traffic through the real prediction service: quiet without a shift; a covariate shift retrains."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, MonitoringAlert, MonitoringRun, Prediction, PredictionFeedback, TrainingRun
from app.monitoring.simulation import simulate
from tests.app.monitoring.warehouse import fill_kb_warehouse
from tests.app.training.warehouse import TINY
from tests.kb_build import session_kb_dir


@pytest.fixture
def app(make_app, tmp_path_factory):
    settings = dict(KB_DIR=str(session_kb_dir(tmp_path_factory)), MONITOR_RETRAIN_CONFIG=TINY)
    app = make_app(**settings)
    with make_app(**settings).app_context():
        yield app


@pytest.mark.slow
@pytest.mark.any_backend  # a false-alarm rate; the covariate test below runs the same rows on both backends
def test_no_shift_raises_alerts_in_at_most_5_percent_of_20_windows(app):
    fill_kb_warehouse(20, seed=1)
    reports = simulate("none", windows=20, window_size=100, seed=0)
    assert len(reports) == 20
    assert all(report.predictions == 100 and report.confirmed == 100 for report in reports)
    assert db.session.scalar(select(func.count(Prediction.id))) == 2000
    assert db.session.scalar(select(func.count(PredictionFeedback.id))) == 2000
    runs = db.session.scalars(select(MonitoringRun).order_by(MonitoringRun.id)).all()
    assert len(runs) == 20 and all(run.drift["enough_data"] for run in runs)
    assert all(run.performance["overall"]["n_cases"] == 100 for run in runs)
    alerted = [report for report in reports if report.alerts]
    assert len(alerted) <= 1, [report.line() for report in alerted]  # 5 % of 20 windows
    assert db.session.scalar(select(func.count(TrainingRun.id))) == 0


@pytest.mark.slow
def test_covariate_shift_alerts_retrains_and_records_the_promotion(app, run_worker):
    fill_kb_warehouse(20, seed=1)
    lines = []
    reports = simulate("covariate", windows=6, window_size=150, seed=0, wait=lambda run: run_worker(),
                       echo=lines.append)
    assert len(lines) == 6 and all(line.startswith("window") for line in lines)
    shifted = [report for report in reports if report.shifted]
    assert [report.index for report in shifted] == [1, 2, 3, 4, 5]  # onset: a quarter of the windows
    assert all(report.drifted for report in shifted)
    retrained = [report for report in reports if report.retraining_run is not None]
    assert len(retrained) == 1, lines  # the cooldown holds back the next triggers
    assert retrained[0].index == 3  # dataset drift persisting over 3 shifted windows
    assert any(alert.endswith("dataset_drift") for alert in retrained[0].alerts)
    training = db.session.get(TrainingRun, retrained[0].retraining_run)
    assert training.reason.startswith("monitoring: dataset_drift") and training.status == "finished"
    # The first model has no champion to beat: the training service's champion rule promotes it.
    assert training.metrics["decision"]["promoted"] is True
    assert retrained[0].outcome and retrained[0].outcome[0].startswith("promotion: Model v1")
    later = [report for report in reports if report.index > 3]
    assert all("info:retraining_held" in report.alerts for report in later if report.drifted)
    kinds = set(db.session.scalars(select(MonitoringAlert.kind)))
    assert {"dataset_drift", "retraining_started", "promotion"} <= kinds
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"monitoring.check", "monitoring.retrain", "training.launch", "model.promote",
            "monitoring.retraining_outcome"} <= actions


@pytest.mark.slow
def test_the_simulate_command_prints_every_window(app):
    fill_kb_warehouse(20, seed=3)
    result = app.test_cli_runner().invoke(args=["monitor", "simulate", "--scenario", "label-shift", "--windows", "2",
                                                "--window-size", "100", "--seed", "4", "--wait", "0"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 2
    for number, line in enumerate(lines):
        assert line.startswith(f"window  {number} (shifted): 100 predictions, 100 confirmed | drifted: "), line
    assert db.session.scalar(select(func.count(MonitoringRun.id))) == 2


def test_an_unknown_scenario_is_refused(app):
    result = app.test_cli_runner().invoke(args=["monitor", "simulate", "--scenario", "flood"])
    assert result.exit_code == 2 and "flood" in result.output
