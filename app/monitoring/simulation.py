"""Simulated traffic through the real prediction service, then the monitoring checks, window by window.

``flask monitor simulate`` calls :func:`simulate`: ``ml.monitoring.simulate_traffic`` draws the windows from the
reference's training cases; every query goes through ``app.predict.service.predict`` (logged like a clinician's)
and its true diagnoses through ``record_feedback``; after each window :func:`app.monitoring.service.run_check`
runs. When a check launches a retraining, ``wait`` (if given) is called with the TrainingRun so the caller can
let it finish (a worker, or polling), and the outcome (promoted or kept as challenger) is reported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app.extensions import db
from app.models import MonitoringAlert, TrainingRun, User
from app.monitoring import service
from app.predict.forms import PredictForm
from app.predict.service import get_predictor, predict, record_feedback
from ml.monitoring import simulate_traffic

SIMULATION_EMAIL = "monitoring-simulation@dxflow.invalid"


@dataclass
class WindowReport:
    """What one simulated window showed."""

    index: int
    shifted: bool
    predictions: int
    confirmed: int
    drifted: list[str]
    alerts: list[str]
    retraining_run: int | None = None
    outcome: list[str] = field(default_factory=list)

    def line(self) -> str:
        """Return the window as one printable line."""
        parts = [f"window {self.index:2d}{' (shifted)' if self.shifted else ''}: {self.predictions} predictions, "
                 f"{self.confirmed} confirmed", f"drifted: {', '.join(self.drifted) or '-'}",
                 f"alerts: {', '.join(self.alerts) or '-'}"]
        if self.retraining_run is not None:
            parts.append(f"retraining enqueued: training run {self.retraining_run}")
        parts += [f"promotion: {message}" for message in self.outcome]
        return " | ".join(parts)


def simulation_user() -> User:
    """Return the inactive clinician account the simulated predictions are logged under (created once)."""
    user = db.session.scalar(select(User).where(User.email == SIMULATION_EMAIL))
    if user is None:
        # "!" is no Argon2 hash: no password logs this account in, and it is inactive besides.
        user = User(email=SIMULATION_EMAIL, role="clinician", active=False, password_hash="!")
        db.session.add(user)
        db.session.commit()
    return user


def _form(query) -> PredictForm:
    """Return the prediction form a clinician would send for one simulated query (HPO ids as entries)."""
    args = MultiDict([("present", term) for term in query.present] + [("absent", term) for term in query.absent])
    if query.age is not None:
        args["age"] = str(query.age)
    if query.sex in ("female", "male"):
        args["sex"] = query.sex
    if query.temperature_c is not None:
        args["temperature"], args["temperature_unit"] = str(query.temperature_c), "C"
    return PredictForm.from_args(args)


def simulate(scenario: str, *, windows: int = 20, window_size: int = 200, seed: int = 0,
             wait: Callable[[TrainingRun], None] | None = None,
             echo: Callable[[str], None] | None = None) -> list[WindowReport]:
    """Feed ``windows`` windows of simulated traffic through the prediction service and check each one."""
    reference = service.reference()
    kb = get_predictor().kb
    traffic = simulate_traffic(reference.dataset, kb=kb, scenario=scenario, windows=windows,
                               window_size=window_size, random_state=seed)
    user = simulation_user()
    reports = []
    for window in traffic:
        confirmed = 0
        for query in window.queries:
            form = _form(query)
            if not form.submitted or form.errors:
                continue
            result = predict(form, user=user, channel="simulate")
            diagnoses = [disease for disease in query.diagnoses if disease in kb.disease_index]
            if diagnoses:
                record_feedback(result.prediction_id, diagnoses, user=user)
                confirmed += 1
        check = service.run_check(trigger="simulate", user=None)
        alerts = list(db.session.scalars(select(MonitoringAlert).where(MonitoringAlert.run_id == check.id)))
        report = WindowReport(window.index, window.shifted, check.n_predictions, confirmed,
                              list((check.drift or {}).get("drifted_features", [])),
                              [f"{alert.severity}:{alert.kind}" for alert in alerts], check.retraining_run_id)
        if check.retraining_run_id is not None and wait is not None:
            wait(db.session.get(TrainingRun, check.retraining_run_id))
            report.outcome = [f"{alert.kind}: {alert.message}" for alert in service.follow_up_retraining()]
        reports.append(report)
        if echo is not None:
            echo(report.line())
    return reports
