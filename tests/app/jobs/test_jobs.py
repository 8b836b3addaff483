"""Background jobs run in a real RQ worker (burst mode) against the real Redis."""

import csv
import io
import time

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.jobs import kinds, service
from app.models import AuditEvent, Job, JobStatus


def explode(progress, *, message: str) -> dict:
    """A task that fails halfway, for testing failure handling."""
    progress(50, "About to fail")
    raise RuntimeError(message)


def flaky(progress, *, flag_file: str) -> dict:
    """A task that succeeds only once ``flag_file`` exists."""
    from pathlib import Path

    if not Path(flag_file).exists():
        raise FileNotFoundError(f"{Path(flag_file).name} is missing")
    progress(50, "Halfway")
    return {"ok": True}


@pytest.fixture
def test_kinds(monkeypatch):
    monkeypatch.setitem(kinds.JOB_KINDS, "explode", kinds.JobKind("tests.app.jobs.test_jobs:explode", 30))
    monkeypatch.setitem(kinds.JOB_KINDS, "flaky", kinds.JobKind("tests.app.jobs.test_jobs:flaky", 30))


def test_export_job_launched_from_the_page_runs_and_shows_its_result(client, login, run_worker):
    login("admin")
    response = client.post("/admin/audit/export")
    assert response.status_code == 302
    job = db.session.scalar(select(Job).order_by(Job.id.desc()))
    assert response.headers["Location"] == f"/jobs/{job.id}"
    assert job.status == JobStatus.QUEUED and job.kind == "audit_export"
    assert "queued" in client.get(f"/jobs/{job.id}").text

    run_worker()

    status = client.get(f"/api/v1/jobs/{job.id}").get_json()
    assert status["status"] == "finished" and status["progress"] == 100
    events = db.session.scalar(select(func.count(AuditEvent.id)))
    assert status["result"]["rows"] == events == 2  # the login and the launch
    page = client.get(f"/jobs/{job.id}").text
    assert "finished" in page and f"/jobs/{job.id}/download" in page
    download = client.get(f"/jobs/{job.id}/download")
    rows = list(csv.DictReader(io.StringIO(download.text)))
    download.close()
    assert download.status_code == 200 and len(rows) == status["result"]["rows"]
    assert {"auth.login", "job.launch"} <= {row["action"] for row in rows}


def test_failed_job_records_and_shows_its_error_then_retry_succeeds(app, client, login, run_worker, test_kinds,
                                                                   tmp_path):
    admin = login("admin")
    flag = tmp_path / "flag"
    job = service.launch("flaky", user=admin, flag_file=str(flag))
    run_worker()
    db.session.refresh(job)
    assert job.status == JobStatus.FAILED
    assert job.error == "FileNotFoundError: flag is missing"
    assert "flag is missing" in client.get(f"/jobs/{job.id}").text

    flag.touch()
    response = client.post(f"/jobs/{job.id}/retry")
    retried = db.session.scalar(select(Job).where(Job.retry_of_id == job.id))
    assert response.headers["Location"] == f"/jobs/{retried.id}"
    run_worker()
    db.session.refresh(retried)
    assert retried.status == JobStatus.FINISHED and retried.result == {"ok": True} and retried.progress == 100


def test_progress_reported_by_the_task_reaches_the_row(app, login, run_worker, test_kinds):
    admin = login("admin")
    job = service.launch("explode", user=admin, message="boom")
    run_worker()
    db.session.refresh(job)
    assert job.status == JobStatus.FAILED and job.error == "RuntimeError: boom"
    assert job.progress == 100 and job.stage == "Failed" and job.finished_at is not None


def test_cancel_a_queued_job_so_the_worker_never_runs_it(app, client, login, run_worker):
    login("admin")
    client.post("/admin/audit/export")
    job = db.session.scalar(select(Job).order_by(Job.id.desc()))
    assert client.post(f"/jobs/{job.id}/cancel").status_code == 302
    run_worker()
    db.session.refresh(job)
    assert job.status == JobStatus.CANCELED and job.result is None
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.target == f"job:{job.id}")
                             .order_by(AuditEvent.id.desc())) == "job.cancel"


def test_a_running_job_stops_at_its_next_progress_report_when_cancelled(app, login, test_kinds):
    from app.jobs.progress import JobCanceled, Progress

    admin = login("admin")
    job = service.launch("explode", user=admin, message="never")
    job.status = JobStatus.RUNNING
    job.cancel_requested = True
    db.session.commit()
    with pytest.raises(JobCanceled):
        Progress(job)(10, "working")


def test_finished_jobs_cannot_be_cancelled_and_running_ones_cannot_be_retried(app, client, login, run_worker):
    login("admin")
    client.post("/admin/audit/export")
    job = db.session.scalar(select(Job).order_by(Job.id.desc()))
    assert "Only failed or cancelled" in client.post(f"/jobs/{job.id}/retry", follow_redirects=True).text
    run_worker()
    assert "Only queued or running" in client.post(f"/jobs/{job.id}/cancel", follow_redirects=True).text


def test_jobs_run_inline_without_a_worker_when_configured(make_app, make_user):
    app = make_app(RQ_INLINE=True)
    with app.app_context():
        admin = make_user("admin")
        job = service.launch("audit_export", user=admin)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            db.session.refresh(job)
            if job.status in JobStatus.DONE:
                break
            time.sleep(0.1)
        assert job.status == JobStatus.FINISHED and job.result["rows"] >= 0


def test_unknown_job_kind_is_refused(app):
    with pytest.raises(ValueError, match="Unknown job kind"):
        service.launch("no-such-kind")
