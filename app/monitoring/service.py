"""Monitoring: check the latest prediction window against the champion's training snapshot, alert, retrain.

One check (:func:`run_check`) reads the window of logged predictions after the previous check (or the last
``MONITOR_WINDOW_SIZE`` predictions when ``count`` is given), builds the drift reference from the champion's
training cases (the cases of its TrainingRun's plan still in the warehouse; the whole warehouse while no
model is champion), and runs the pure core of :mod:`ml.monitoring`: drift, performance of the confirmed
predictions, the unmapped-term rate and the trigger decision. It stores a MonitoringRun and its alerts, posts
the alerts to ``ALERT_WEBHOOK_URL`` when set, and launches a retraining through the training service when a
trigger fires (never while one is running, not within ``MONITOR_COOLDOWN_HOURS`` of the last). The training
service applies the champion rule on a shared holdout; :func:`follow_up_retraining` turns its outcome into an
alert (promoted, kept as challenger and why, or failed with the champion still serving).
"""

from __future__ import annotations

import csv
import io
import json
import logging
import urllib.request
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime, time, timedelta

import numpy as np
import pandas as pd
from flask import current_app
from sqlalchemy import select

from app import audit
from app.extensions import db
from app.models import (
    MonitoringAlert,
    MonitoringRun,
    MonitoringSettings,
    Prediction,
    PredictionFeedback,
    RunStatus,
    TrainingRun,
)
from app.predict.log import flush_predictions
from app.registry import service as registry
from app.time import utcnow
from app.warehouse.raw_zone import storage
from app.warehouse.snapshot import current_snapshot_id, load_dataset
from ml.dataset import Dataset
from ml.ingest import neutralise_formula
from ml.monitoring import (
    INFO,
    WARNING,
    ChampionScores,
    DriftReference,
    DriftResult,
    FeatureDrift,
    Outcome,
    Thresholds,
    evaluate_triggers,
    frequent_terms,
    prediction_frame,
    reference_frame,
    unmapped_rate,
    window_performance,
)
from ml.predict import Query, temperature_findings

log = logging.getLogger(__name__)

RETRAIN_REASON = "monitoring"
CRITICAL = "critical"
#: Thresholds an admin may edit, with their type; the defaults are ml.monitoring.Thresholds' (documented there).
EDITABLE = {item.name: (float if item.name in ("drift_share", "f1_macro_drop", "orphan_top_k_drop",
                                               "max_unmapped_rate") else int)
            for item in fields(Thresholds)}
_references: dict = {}  # reference key -> Reference, in this process


@dataclass(frozen=True)
class Reference:
    """The fitted drift reference, its term columns, the snapshot it names and its cases."""

    drift: DriftReference
    terms: list[str]
    key: str
    dataset: Dataset


# --- thresholds ------------------------------------------------------------------------------------------------


def _settings() -> MonitoringSettings | None:
    return db.session.scalar(select(MonitoringSettings).order_by(MonitoringSettings.id))


def thresholds() -> Thresholds:
    """Return the thresholds in force: the documented defaults overridden by what an admin saved."""
    row = _settings()
    saved = {key: value for key, value in (row.thresholds if row else {}).items() if key in EDITABLE}
    return Thresholds(**saved)


def update_thresholds(values: dict, *, user) -> Thresholds:
    """Save the thresholds an admin changed (``None`` for drift_share: the reference's); audited."""
    before = asdict(thresholds())
    changed = {key: value for key, value in values.items() if key in EDITABLE and before.get(key) != value}
    row = _settings() or MonitoringSettings(thresholds={})
    row.thresholds = {**row.thresholds, **{key: values[key] for key in values if key in EDITABLE}}
    row.updated_at, row.updated_by_id = utcnow(), user.id if user else None
    db.session.add(row)
    audit.record("monitoring.thresholds", target="monitoring_settings", user=user,
                 changed={key: [before.get(key), value] for key, value in changed.items()})
    db.session.commit()
    return thresholds()


# --- the reference ---------------------------------------------------------------------------------------------


def _champion_context():
    """Return (champion ModelVersion or None, its training run's plan train ids or None)."""
    champion = registry.champion()
    run = champion.run if champion is not None else None
    if run is None or "plan" not in (run.artifacts or {}):
        return champion, None
    try:
        with storage().open(run.artifacts["plan"]) as handle:
            return champion, json.loads(handle.read()).get("train_ids")
    except (OSError, ValueError):
        log.warning("the plan of training run %s could not be read; the reference is the whole warehouse", run.id)
        return champion, None


def as_served(dataset: Dataset) -> Dataset:
    """Return the dataset with the findings the prediction service adds from a body temperature.

    The service ranks (and logs) a query's present and absent HPO ids plus those its temperature implies
    (``ml.predict.temperature_findings``); the reference must count findings the same way or every window
    would drift in fever and in the number of findings.
    """
    cases = dataset.cases[["case_id", "temperature_c"]]
    extra = []
    for case_id, celsius in zip(cases["case_id"], pd.to_numeric(cases["temperature_c"], errors="coerce"),
                                strict=True):
        implied_present, implied_absent = temperature_findings(float(celsius))
        extra += [(case_id, hpo, True) for hpo in implied_present] + [(case_id, hpo, False) for hpo in implied_absent]
    if not extra:
        return dataset
    symptoms = pd.concat([dataset.symptoms[["case_id", "hpo_id", "present"]],
                          pd.DataFrame(extra, columns=["case_id", "hpo_id", "present"])], ignore_index=True)
    symptoms["present"] = symptoms["present"].astype(bool)
    symptoms = symptoms.drop_duplicates(["case_id", "hpo_id", "present"])
    present_pairs = set(zip(symptoms.loc[symptoms["present"], "case_id"], symptoms.loc[symptoms["present"], "hpo_id"],
                            strict=True))
    keep = symptoms["present"] | ~pd.Series([pair in present_pairs for pair in zip(
        symptoms["case_id"], symptoms["hpo_id"], strict=True)], index=symptoms.index)
    return Dataset(cases=dataset.cases, symptoms=symptoms[keep].reset_index(drop=True), diagnoses=dataset.diagnoses)


def _served_top1(dataset: Dataset) -> dict[int, str]:
    """Return, per reference case, the top-1 disease of the ranker that serves now (as predictions log it)."""
    from app.predict.service import get_predictor

    ranker = get_predictor().ranker
    symptoms = dataset.symptoms
    grouped = {key: group for key, group in symptoms.groupby("case_id")}
    top1 = {}
    for case_id, sex in zip(dataset.cases["case_id"], dataset.cases["sex"], strict=True):
        rows = grouped.get(case_id)
        present = tuple(rows.loc[rows["present"], "hpo_id"]) if rows is not None else ()
        absent = tuple(rows.loc[~rows["present"], "hpo_id"]) if rows is not None else ()
        query = Query(present=present, absent=absent, sex=sex if sex in ("female", "male") else None, top=1)
        top = ranker.rank(query).top(1)
        if top:
            top1[int(case_id)] = top[0][0]
    return top1


def reference(*, refresh: bool = False) -> Reference:
    """Return the fitted drift reference of the serving model's training snapshot, cached per snapshot."""
    champion, train_ids = _champion_context()
    key = (f"model-v{champion.version}" if champion and train_ids else f"warehouse-{current_snapshot_id()[:16]}")
    if refresh or key not in _references:
        dataset = load_dataset()
        if train_ids:
            dataset = dataset.subset(train_ids)
        if dataset.n_cases == 0:
            raise LookupError("The reference is empty: the warehouse holds no cases to compare predictions with.")
        limit = current_app.config["MONITOR_REFERENCE_MAX_CASES"]
        if dataset.n_cases > limit:
            chosen = np.random.default_rng(0).choice(dataset.cases["case_id"].to_numpy(), size=limit, replace=False)
            dataset = dataset.subset(sorted(chosen.tolist()))
        served = as_served(dataset)
        terms = frequent_terms(served)
        frame = reference_frame(served, terms=terms, top1=_served_top1(served))
        _references.clear()
        _references[key] = Reference(DriftReference().fit(frame), terms, key, dataset)
    return _references[key]


# --- the window ------------------------------------------------------------------------------------------------


def _record(prediction: Prediction) -> dict:
    """Return a logged prediction as a record of ``ml.monitoring.prediction_frame``."""
    inputs = prediction.inputs or {}
    outputs = prediction.outputs or []
    return {"age": inputs.get("age"), "sex": inputs.get("sex"), "temperature_c": inputs.get("temperature_c"),
            "present": inputs.get("present") or [], "absent": inputs.get("absent") or [],
            "n_unmapped": int(inputs.get("unrecognised") or 0),
            "top1_disease": outputs[0][0] if outputs else None}


def window_predictions(*, after=None, count: int | None = None, until=None) -> list[Prediction]:
    """Return the predictions after ``after`` (and up to ``until``), or the last ``count`` of them, oldest first."""
    flush_predictions()  # this process's queued rows first (app/predict/log.py)
    query = select(Prediction)
    if until is not None:
        query = query.where(Prediction.created_at <= until)
    if count is not None:
        rows = list(db.session.scalars(query.order_by(Prediction.created_at.desc(), Prediction.id).limit(count)))
        return rows[::-1]
    if after is not None:
        query = query.where(Prediction.created_at > after)
    return list(db.session.scalars(query.order_by(Prediction.created_at, Prediction.id)))


def _outcomes(predictions: list[Prediction]) -> list[Outcome]:
    """Return the confirmed predictions of a window as outcomes (the latest feedback of each)."""
    by_id = {prediction.id: prediction for prediction in predictions}
    confirmed: dict[str, list[str]] = {}
    ids = list(by_id)
    for start in range(0, len(ids), 500):
        rows = db.session.scalars(select(PredictionFeedback).where(PredictionFeedback.prediction_id.in_(
            ids[start:start + 500])).order_by(PredictionFeedback.id))
        for feedback in rows:
            confirmed[feedback.prediction_id] = list(feedback.diagnoses)
    return [Outcome(ranked=[disease for disease, _ in by_id[pid].outputs], confirmed=diagnoses)
            for pid, diagnoses in confirmed.items()]


def _orphan_diseases() -> set[str]:
    from app.predict.service import get_predictor

    kb = get_predictor().kb
    return {disease for disease, orphan in zip(kb.disease_ids, kb.disease_orphan, strict=True) if orphan}


def _history(limit: int) -> list[DriftResult]:
    """Return the drift results of the last ``limit`` finished checks, oldest first."""
    rows = db.session.scalars(select(MonitoringRun).where(MonitoringRun.drift.is_not(None),
                                                          MonitoringRun.status == "finished")
                              .order_by(MonitoringRun.id.desc()).limit(limit))
    return [drift_result(row.drift) for row in rows][::-1]


def drift_result(data: dict) -> DriftResult:
    """Rebuild a stored ``DriftResult.as_dict()``."""
    features = {name: FeatureDrift(**{key: (np.nan if value is None and key == "value" else value)
                                      for key, value in item.items()})
                for name, item in data["features"].items()}
    return DriftResult(features, tuple(data["output_features"]), data["n_window"], data["enough_data"],
                       data["drift_share"])


# --- one check -------------------------------------------------------------------------------------------------


def _retraining_state() -> tuple[bool, object]:
    running = db.session.scalar(select(TrainingRun.id).where(TrainingRun.status.in_(RunStatus.ACTIVE)).limit(1))
    last = db.session.scalar(select(TrainingRun.created_at).where(TrainingRun.reason.startswith(RETRAIN_REASON))
                             .order_by(TrainingRun.created_at.desc()).limit(1))
    # training_runs.created_at is stored without a time zone (migration 0006); the app's clock is aware UTC.
    return running is not None, (last.replace(tzinfo=UTC) if last is not None and last.tzinfo is None else last)


def _latency(predictions: list[Prediction]) -> tuple[float | None, float | None]:
    values = np.array([prediction.latency_ms for prediction in predictions], dtype=float)
    if not len(values):
        return None, None
    return round(float(values.mean()), 3), round(float(np.percentile(values, 95)), 3)


def run_check(*, trigger: str = "manual", count: int | None = None, user=None, now=None) -> MonitoringRun:
    """Check the latest window, store the run and its alerts, launch a retraining when a trigger fires."""
    now = now or utcnow()
    follow_up_retraining()
    previous = db.session.scalar(select(MonitoringRun).where(MonitoringRun.status == "finished")
                                 .order_by(MonitoringRun.id.desc()).limit(1))
    after = previous.window_end if previous is not None and count is None else None
    predictions = window_predictions(after=after, count=count, until=now)
    run = MonitoringRun(trigger=trigger, created_at=now, n_predictions=len(predictions),
                        window_start=predictions[0].created_at if predictions else after,
                        window_end=predictions[-1].created_at if predictions else (after or now))
    run.mean_latency_ms, run.p95_latency_ms = _latency(predictions)
    db.session.add(run)
    try:
        ref = reference()
    except LookupError as error:
        run.status, run.error = "failed", str(error)
        audit.record("monitoring.check", target="monitoring_run", user=user, trigger=trigger, error=str(error))
        db.session.commit()
        return run
    champion = registry.champion()
    run.model_version = predictions[-1].model_version if predictions else ""
    run.reference_snapshot, run.n_reference = ref.key, ref.dataset.n_cases
    frame = prediction_frame([_record(prediction) for prediction in predictions], terms=ref.terms)
    drift = ref.drift.check(frame)
    outcomes = _outcomes(predictions)
    performance = window_performance(outcomes, orphan_diseases=_orphan_diseases()) if outcomes else None
    unmapped = unmapped_rate(frame) if len(frame) else None
    settings = thresholds()
    running, last_retrain = _retraining_state()
    metrics = champion.metrics if champion is not None else {}
    decision = evaluate_triggers(
        [*_history(settings.persistence_windows - 1), drift], performance, settings,
        champion=ChampionScores(f1_macro=metrics.get("macro_f1"), orphan_top_k=metrics.get("orphan_recall_at_10")),
        unmapped=unmapped, last_retrain_at=last_retrain, now=now,
        cooldown=timedelta(hours=current_app.config["MONITOR_COOLDOWN_HOURS"]), retraining_running=running,
    )
    run.n_confirmed = len(outcomes)
    run.drift, run.unmapped = drift.as_dict(), unmapped.as_dict() if unmapped else None
    run.performance = performance.as_dict() if performance else None
    run.decision = {"retrain": decision.retrain, "reasons": list(decision.reasons),
                    "held_back_by": decision.held_back_by, "severity": decision.severity}
    db.session.flush()
    alerts = [MonitoringAlert(run_id=run.id, created_at=now, kind=alert.kind, severity=alert.severity,
                              message=alert.message, details=_plain(alert.details)) for alert in decision.alerts]
    db.session.add_all(alerts)
    audit.record("monitoring.check", target=f"monitoring_run:{run.id}", user=user, trigger=trigger,
                 predictions=len(predictions), confirmed=len(outcomes), drifted=len(drift.drifted_features),
                 alerts=len(alerts), retrain=decision.retrain)
    db.session.commit()
    if decision.retrain:
        _retrain(run, decision.reasons, user=user)
    _post(alerts)
    return run


def _plain(details: dict) -> dict:
    """Return alert details as JSON-ready data (numpy scalars to Python)."""
    return json.loads(json.dumps(details, default=lambda value: value.item() if hasattr(value, "item") else str(value)))


def _retrain(run: MonitoringRun, reasons, *, user=None) -> None:
    """Launch a retraining on the warehouse as it is now through the training service; audited."""
    from app.jobs.service import JobsUnavailable
    from app.training.service import launch_training

    reason = f"{RETRAIN_REASON}: {', '.join(reasons)} (check {run.id})"
    try:
        training = launch_training(reason=reason, by=user, config=current_app.config["MONITOR_RETRAIN_CONFIG"])
    except (JobsUnavailable, ValueError) as error:
        db.session.rollback()
        alert = MonitoringAlert(run_id=run.id, kind="retraining_failed", severity=CRITICAL,
                                message=f"Retraining could not start: {error}; the champion keeps serving")
        db.session.add(alert)
        audit.record("monitoring.retrain", target=f"monitoring_run:{run.id}", user=user, error=str(error)[:200])
        db.session.commit()
        return
    run.retraining_run_id = training.id
    db.session.add(MonitoringAlert(run_id=run.id, kind="retraining_started", severity=INFO, training_run_id=training.id,
                                   message=f"Retraining started (training run {training.id}): {', '.join(reasons)}"))
    audit.record("monitoring.retrain", target=f"training_run:{training.id}", user=user, check=run.id,
                 reasons=list(reasons))
    db.session.commit()


def follow_up_retraining() -> list[MonitoringAlert]:
    """Record the outcome of every finished or failed retraining that monitoring launched, once; audited."""
    reported = select(MonitoringAlert.training_run_id).where(
        MonitoringAlert.kind.in_(("promotion", "challenger_kept", "retraining_failed")),
        MonitoringAlert.training_run_id.is_not(None))
    pending = db.session.scalars(
        select(TrainingRun).where(TrainingRun.reason.startswith(RETRAIN_REASON),
                                  TrainingRun.status.in_((RunStatus.FINISHED, RunStatus.FAILED, RunStatus.CANCELED)),
                                  TrainingRun.id.not_in(reported)).order_by(TrainingRun.id))
    alerts = []
    for training in pending:
        decision = (training.metrics or {}).get("decision") or {}
        champion = registry.champion()
        serving = f"v{champion.version}" if champion else "the knowledge-only model"
        if training.status != RunStatus.FINISHED:
            kind, severity = "retraining_failed", CRITICAL
            message = (f"Retraining run {training.id} {training.status}: {training.error or 'no model'}; "
                       f"{serving} keeps serving")
        elif decision.get("promoted"):
            kind, severity = "promotion", INFO
            message = (f"Model v{training.metrics.get('model_version')} from retraining run {training.id} was "
                       f"promoted to champion: {decision.get('reason')}")
        else:
            kind, severity = "challenger_kept", WARNING
            message = (f"Model v{training.metrics.get('model_version')} from retraining run {training.id} stays "
                       f"challenger: {decision.get('reason')}; {serving} keeps serving")
        alert = MonitoringAlert(kind=kind, severity=severity, message=message, training_run_id=training.id,
                                details=_plain({"decision": decision, "status": training.status}))
        db.session.add(alert)
        audit.record("monitoring.retraining_outcome", target=f"training_run:{training.id}", user=None, outcome=kind,
                     promoted=bool(decision.get("promoted")))
        alerts.append(alert)
    if alerts:
        db.session.commit()
        _post(alerts)
    return alerts


# --- alerts ----------------------------------------------------------------------------------------------------


def _post(alerts: list[MonitoringAlert]) -> None:
    """Post each alert as JSON to ``ALERT_WEBHOOK_URL`` (when set); store the answer's status on the alert."""
    url = current_app.config.get("ALERT_WEBHOOK_URL")
    if not url or not alerts:
        return
    for alert in alerts:
        body = json.dumps({"id": alert.id, "kind": alert.kind, "severity": alert.severity, "message": alert.message,
                           "created_at": alert.created_at.isoformat(), "details": alert.details}).encode()
        request = urllib.request.Request(url, data=body, method="POST",
                                         headers={"Content-Type": "application/json", "User-Agent": "dxflow"})
        try:
            with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - an admin-configured URL
                alert.webhook_status = str(response.status)
        except OSError as error:
            alert.webhook_status = f"error: {error}"[:64]
            log.warning("alert %s could not be posted to the webhook: %s", alert.id, error)
    db.session.commit()


def acknowledge(alert: MonitoringAlert, *, user) -> MonitoringAlert:
    """Mark an alert acknowledged by an admin; audited. Raise ValueError when it already is."""
    if alert.acknowledged_at is not None:
        raise ValueError("This alert is already acknowledged.")
    alert.acknowledged_at, alert.acknowledged_by_id = utcnow(), user.id
    audit.record("monitoring.acknowledge", target=f"alert:{alert.id}", user=user, kind=alert.kind,
                 severity=alert.severity)
    db.session.commit()
    return alert


def launch_check(*, user) -> object:
    """Launch a ``monitor`` job on demand (the admin button); audited by the job service."""
    from app.jobs.service import launch

    return launch("monitor", user=user, trigger="manual")


# --- the dashboard and the audit log ---------------------------------------------------------------------------

AUDIT_FIELDS = ("id", "created_at", "actor", "action", "target", "details", "ip_address")


def recent_runs(limit: int = 200) -> list[MonitoringRun]:
    """Return the last ``limit`` checks, oldest first."""
    rows = db.session.scalars(select(MonitoringRun).order_by(MonitoringRun.id.desc()).limit(limit))
    return list(rows)[::-1]


def recent_alerts(limit: int = 200) -> list[MonitoringAlert]:
    """Return the last ``limit`` alerts, newest first."""
    return list(db.session.scalars(select(MonitoringAlert).order_by(MonitoringAlert.id.desc()).limit(limit)))


def model_versions() -> list:
    """Return every registered model version, oldest first."""
    from app.models import ModelVersion

    return list(db.session.scalars(select(ModelVersion).order_by(ModelVersion.version)))


def audit_query(*, action: str | None = None, actor: str | None = None, since=None, until=None):
    """Return the audit events query under the dashboard's filters, newest first."""
    from app.models import AuditEvent

    query = select(AuditEvent).order_by(AuditEvent.id.desc())
    if action:
        query = query.where(AuditEvent.action.startswith(action))
    if actor:
        query = query.where(AuditEvent.actor == actor)
    if since is not None:
        query = query.where(AuditEvent.created_at >= datetime.combine(since, time.min, tzinfo=UTC))
    if until is not None:
        query = query.where(AuditEvent.created_at < datetime.combine(until + timedelta(days=1), time.min, tzinfo=UTC))
    return query


def audit_csv(query, *, batch: int = 500):
    """Yield the events of ``query`` as CSV text, every text cell neutralised against formula injection."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(AUDIT_FIELDS)
    yield flush()
    offset = 0
    while events := db.session.scalars(query.offset(offset).limit(batch)).all():
        for event in events:
            writer.writerow([event.id, event.created_at.isoformat(), *(neutralise_formula(str(value)) for value in (
                event.actor, event.action, event.target, json.dumps(event.details, sort_keys=True),
                event.ip_address or ""))])
        offset += len(events)
        yield flush()
