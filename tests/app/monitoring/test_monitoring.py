"""Monitoring pages and services: a check over logged predictions, thresholds, acknowledging, the webhook,
the retraining outcome, the audit log and its CSV, the schedule, Spanish."""

from __future__ import annotations

import csv
import io
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from rq.cron import CronScheduler
from sqlalchemy import select

from app.extensions import db, queue
from app.models import AuditEvent, Job, MonitoringAlert, MonitoringRun, TrainingRun
from app.monitoring import service
from tests.app.monitoring.warehouse import fill_kb_warehouse
from tests.kb_build import session_kb_dir

QUERIES = [
    {"present": ["fever", "cough"], "age": "30", "sex": "female", "temperature": "38.5"},
    {"present": ["diarrhea", "vomiting"], "age": "8", "sex": "male"},
    {"present": ["wheezing"], "absent": ["fever"], "age": "50", "sex": "female"},
    {"present": ["hypertension", "headache"], "age": "70", "sex": "male", "temperature": "36.7"},
]


@pytest.fixture
def app(make_app, tmp_path_factory):
    kb_dir = str(session_kb_dir(tmp_path_factory))
    app = make_app(KB_DIR=kb_dir)
    with make_app(KB_DIR=kb_dir).app_context():
        yield app


class Receiver(BaseHTTPRequestHandler):
    """A local webhook receiver: keeps every JSON body it is posted."""

    bodies: list = []

    def do_POST(self):  # noqa: N802 - the http.server hook name
        self.bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    Receiver.bodies = []
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/alerts", Receiver.bodies
    server.shutdown()
    server.server_close()


def _predict_and_confirm(client, login) -> list[str]:
    login("clinician")
    ids = []
    for number in range(30):
        response = client.get("/api/v1/predict", query_string=QUERIES[number % len(QUERIES)])
        assert response.status_code == 200, response.text
        ids.append(response.get_json()["prediction_id"])
    for prediction_id in ids[:10]:
        response = client.post("/api/v1/feedback", json={"prediction_id": prediction_id, "diagnoses": ["ICD10:J11.1"]})
        assert response.status_code in (200, 201), response.text
    client.post("/auth/logout")
    return ids


@pytest.mark.slow
def test_a_check_reads_the_logged_predictions_and_the_dashboard_shows_it(app, client, login):
    fill_kb_warehouse(20, seed=2)
    _predict_and_confirm(client, login)
    result = app.test_cli_runner().invoke(args=["monitor", "run"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("check 1: 30 predictions, 10 confirmed")
    run = db.session.scalar(select(MonitoringRun))
    assert run.trigger == "manual" and run.n_reference == 120 and run.reference_snapshot.startswith("warehouse-")
    assert run.drift["n_window"] == 30 and run.drift["enough_data"] is False  # under the minimum window of 100
    assert {"sex", "age_group", "temperature_c", "n_present", "top1_disease"} <= set(run.drift["features"])
    overall = run.performance["overall"]
    assert overall["n_cases"] == 10 and 0 <= overall["f1_macro"]["low"] <= overall["f1_macro"]["high"] <= 1
    assert run.mean_latency_ms > 0 and run.decision["retrain"] is False
    # A second check reads only what came after the first: nothing new.
    second = service.run_check(trigger="manual")
    assert second.n_predictions == 0 and second.window_start == run.window_end

    login("auditor")
    page = client.get("/monitoring/")
    assert page.status_code == 200
    html = page.text
    for element in ("chart-volume", "chart-drift", "chart-performance", "chart-alerts", "chart-models"):
        assert f'<script type="application/json" id="{element}">' in html
    assert "/eda/plotly.min.js" in html and "js/charts.js" in html
    assert "<script>" not in html  # no inline script: CSP 'self'
    assert "/monitoring/run" not in html  # auditors read only
    figure = json.loads(html.split('id="chart-volume">')[1].split("</script>")[0])
    assert figure["data"][0]["y"] == [30, 0]


def test_the_admin_button_launches_a_monitor_job(app, client, login, run_worker):
    fill_kb_warehouse(20, seed=2)
    login("admin")
    response = client.post("/monitoring/run")
    assert response.status_code == 302 and "/jobs/" in response.headers["Location"]
    run_worker()
    job = db.session.scalar(select(Job).where(Job.kind == "monitor"))
    db.session.refresh(job)
    assert job.status == "finished", job.error
    assert db.session.get(MonitoringRun, job.result["monitoring_run"]).trigger == "manual"


def test_thresholds_page_saves_audits_and_refuses_auditors(app, client, login):
    admin = login("admin")
    page = client.get("/monitoring/thresholds")
    assert page.status_code == 200 and 'value="0.05"' in page.text  # the documented default macro-F1 drop
    form = {"persistence_windows": "2", "drift_share": "", "f1_macro_drop": "0.08", "min_confirmed_cases": "150",
            "orphan_top_k": "10", "orphan_top_k_drop": "0.1", "min_orphan_cases": "30", "max_unmapped_rate": "0.2",
            "min_entered_terms": "200"}
    assert client.post("/monitoring/thresholds", data=form).status_code == 302
    saved = service.thresholds()
    assert saved.persistence_windows == 2 and saved.f1_macro_drop == 0.08 and saved.drift_share is None
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "monitoring.thresholds"))
    assert event.user_id == admin.id
    assert event.details["changed"]["f1_macro_drop"] == [0.05, 0.08]
    assert event.details["changed"]["persistence_windows"] == [3, 2]
    bad = client.post("/monitoring/thresholds", data=form | {"f1_macro_drop": "2"})
    assert bad.status_code == 400 and service.thresholds().f1_macro_drop == 0.08
    client.post("/auth/logout")
    login("auditor")
    page = client.get("/monitoring/thresholds")
    assert page.status_code == 200 and "disabled" in page.text and "Save the thresholds" not in page.text
    assert client.post("/monitoring/thresholds", data=form | {"f1_macro_drop": "0.5"}).status_code == 403
    assert service.thresholds().f1_macro_drop == 0.08


def test_an_admin_acknowledges_an_alert_once(app, client, login):
    alert = MonitoringAlert(kind="dataset_drift", severity="warning", message="Dataset drift over 3 windows")
    db.session.add(alert)
    db.session.commit()
    admin = login("admin")
    page = client.get("/monitoring/")
    assert "Dataset drift over 3 windows" in page.text and f"/monitoring/alerts/{alert.id}/acknowledge" in page.text
    assert client.post(f"/monitoring/alerts/{alert.id}/acknowledge").status_code == 302
    db.session.refresh(alert)
    assert alert.acknowledged_by_id == admin.id and alert.acknowledged_at is not None
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "monitoring.acknowledge"))
    assert event.target == f"alert:{alert.id}" and event.user_id == admin.id
    again = client.post(f"/monitoring/alerts/{alert.id}/acknowledge", follow_redirects=True)
    assert "already acknowledged" in again.text
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "monitoring.acknowledge")
                             .where(AuditEvent.id != event.id)) is None


def test_a_failed_retraining_alerts_once_posts_the_webhook_and_the_champion_keeps_serving(make_app, receiver,
                                                                                            tmp_path_factory):
    url, bodies = receiver
    app = make_app(KB_DIR=str(session_kb_dir(tmp_path_factory)), ALERT_WEBHOOK_URL=url)
    with app.app_context():
        training = TrainingRun(status="failed", reason="monitoring: dataset_drift (check 1)",
                               error="The warehouse is empty")
        db.session.add(training)
        db.session.add(TrainingRun(status="failed", reason="retry by hand", error="not monitoring's"))
        db.session.commit()
        alerts = service.follow_up_retraining()
        assert [alert.kind for alert in alerts] == ["retraining_failed"]
        alert = alerts[0]
        assert alert.severity == "critical" and alert.training_run_id == training.id
        assert "The warehouse is empty" in alert.message and "knowledge-only model keeps serving" in alert.message
        assert alert.webhook_status == "200"
        assert len(bodies) == 1
        assert bodies[0]["kind"] == "retraining_failed" and bodies[0]["severity"] == "critical"
        assert bodies[0]["id"] == alert.id
        assert service.follow_up_retraining() == []  # reported once
        assert len(bodies) == 1
        outcome = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "monitoring.retraining_outcome"))
        assert outcome.details == {"outcome": "retraining_failed", "promoted": False}


def test_an_unreachable_webhook_is_recorded_not_raised(make_app, tmp_path_factory):
    app = make_app(KB_DIR=str(session_kb_dir(tmp_path_factory)), ALERT_WEBHOOK_URL="http://127.0.0.1:9/none")
    with app.app_context():
        db.session.add(TrainingRun(status="failed", reason="monitoring: orphan_drop (check 2)", error="boom"))
        db.session.commit()
        (alert,) = service.follow_up_retraining()
        assert alert.webhook_status.startswith("error:")


def test_audit_log_filters_and_exports_csv_safe_against_formulas(app, client, make_user, login):
    attacker = make_user("admin", email="=HYPERLINK(1)@example.org")
    service.update_thresholds({"f1_macro_drop": 0.07}, user=attacker)
    login("auditor")
    page = client.get("/monitoring/audit", query_string={"action": "monitoring."})
    assert page.status_code == 200 and "monitoring.thresholds" in page.text and "auth.login" not in page.text
    response = client.get("/monitoring/audit.csv", query_string={"action": "monitoring."})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == list(service.AUDIT_FIELDS) and len(rows) == 2
    assert rows[1][2] == "'=HYPERLINK(1)@example.org" and rows[1][3] == "monitoring.thresholds"
    everything = list(csv.reader(io.StringIO(client.get("/monitoring/audit.csv").text)))
    assert len(everything) > 2 and {row[3] for row in everything[1:]} >= {"monitoring.thresholds", "auth.login"}
    assert client.get("/monitoring/audit", query_string={"since": "not a date"}).status_code == 400


def test_the_audit_log_is_one_page_that_admins_can_also_export_from(client, login):
    login("admin")
    old = client.get("/admin/audit", query_string={"action": "auth."})
    assert old.status_code == 301 and old.headers["Location"].endswith("/monitoring/audit?action=auth.")
    page = client.get(old.headers["Location"])
    assert page.status_code == 200 and "auth.login" in page.text and "/admin/audit/export" in page.text


def test_the_scheduler_runs_the_check_every_configured_interval(app, monkeypatch):
    monkeypatch.setenv("MONITOR_INTERVAL_MINUTES", "15")
    scheduler = CronScheduler(connection=queue.redis)
    scheduler.load_config_from_file(str(Path(__file__).resolve().parents[3] / "worker" / "cron.py"))
    (job,) = scheduler.get_jobs()
    assert job.interval == 15 * 60 and job.func.__name__ == "launch_monitoring"
    job_id = job.func()
    row = db.session.get(Job, job_id)
    assert row.kind == "monitor" and row.args == {"trigger": "schedule"}


def test_the_dashboard_speaks_spanish(app, client, login):
    login("admin")
    client.get("/lang/es")
    page = client.get("/monitoring/")
    assert page.status_code == 200
    assert "Alertas" in page.text and "Ejecutar una comprobación ahora" in page.text
    assert "Umbrales" in client.get("/monitoring/thresholds").text


def test_a_challenger_that_loses_stays_challenger_and_an_alert_says_why(app):
    decision = {"promoted": False, "reason": "macro-F1 0.610 is not above the champion's 0.640", "champion": 1}
    training = TrainingRun(status="finished", reason="monitoring: performance_drop (check 4)",
                           metrics={"decision": decision, "model_version": 2})
    db.session.add(training)
    db.session.commit()
    (alert,) = service.follow_up_retraining()
    assert alert.kind == "challenger_kept" and alert.severity == "warning"
    assert alert.message.startswith("Model v2 from retraining run")
    assert "stays challenger: macro-F1 0.610 is not above the champion's 0.640" in alert.message
    assert alert.details["decision"] == decision
