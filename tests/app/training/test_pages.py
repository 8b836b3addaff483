"""The training pages and ``flask train``: admins launch from the browser, charts ship as JSON, the CLI follows."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, RunStatus, TrainingRun
from tests.app.training.warehouse import fill_warehouse


@pytest.mark.slow
def test_an_admin_launches_training_and_reads_the_charts(app, client, login, run_worker):
    fill_warehouse(12)
    admin = login("admin")
    response = client.post("/training/", data={"candidates": ["logistic_regression"], "n_draws": 1,
                                                "reason": "from the page"})
    assert response.status_code == 302
    run = db.session.scalar(select(TrainingRun))
    assert response.headers["Location"].endswith(f"/training/{run.id}")
    assert (run.reason, run.launched_by_id, run.config["n_draws"]) == ("from the page", admin.id, 1)
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "training.launch")).user_id == admin.id
    assert client.get(f"/training/{run.id}/status").json["status"] == RunStatus.QUEUED
    run_worker()
    page = client.get(f"/training/{run.id}")
    assert page.status_code == 200
    assert "macro_f1" in page.text and "v1" in page.text
    assert "<script>" not in page.text  # No inline script: charts are JSON data blocks drawn by a static file.
    blocks = re.findall(r'<script type="application/json" data-chart-for="chart-(\w+)">(.*?)</script>', page.text,
                        re.S)
    figures = {name: json.loads(body) for name, body in blocks}
    assert set(figures) == {"candidates", "compare", "support", "calibration", "confusions"}
    assert figures["support"]["data"][0]["x"]  # One point per label: its training support.
    assert "js/training_charts.js" in page.text
    listing = client.get("/training/")
    assert listing.status_code == 200 and f'href="/training/{run.id}"' in listing.text


def test_the_pages_are_in_spanish(app, client, login):
    login("admin")
    client.get("/lang/es")
    assert "Entrenamientos" in client.get("/training/").text
    assert "Modelos" in client.get("/training/models").text


def test_flask_train_without_data_reports_the_message(make_app, tmp_path):
    app = make_app(RQ_INLINE=True)
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["train", "--wait", "--draws", "1"])
        assert result.exit_code == 1
        assert "The warehouse is empty" in result.output


@pytest.mark.slow
def test_flask_train_waits_with_a_progress_bar(make_app):
    app = make_app(RQ_INLINE=True)
    with app.app_context():
        fill_warehouse(12)
        result = app.test_cli_runner().invoke(args=["train", "--wait", "--draws", "1", "--no-by-source"])
        assert result.exit_code == 0, result.output
        run = db.session.scalar(select(TrainingRun))
        assert run.config["by_source"] is False and run.metrics["by_source"] == []
        lines = [line for line in result.output.splitlines() if line[:4].strip().endswith("%")]
        percents = [int(line.split("%")[0]) for line in lines]
        assert len(percents) >= 2 and percents == sorted(percents) and lines[-1] == "100% Done"
        assert re.search(r"finished in [\d.]+ s: model v1 \(first model\); test macro-F1 0\.\d{3}", result.output)
        assert app.test_cli_runner().invoke(args=["train", "--after-ingestion"]).output.startswith(
            "A training run exists already")
