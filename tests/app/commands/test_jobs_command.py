"""``flask jobs launch``: a job launched from a shell runs in the worker like one launched from a page."""

import pytest
from sqlalchemy import select

from app.extensions import db
from app.jobs import kinds
from app.models import AuditEvent, Job, JobStatus
from app.warehouse.raw_zone import storage


def explode(progress, *, message: str) -> dict:
    """A task that always fails, for the failure path."""
    raise RuntimeError(message)


def test_launched_job_is_queued_audited_and_run_by_the_worker(app, run_worker):
    result = app.test_cli_runner().invoke(args=["jobs", "launch", "audit_export", "--arg", "action=job.launch"])
    assert result.exit_code == 0, result.output
    job = db.session.scalar(select(Job))
    assert f"Launched job {job.id} (audit_export)." in result.output
    assert job.status == JobStatus.QUEUED and job.args == {"action": "job.launch"}
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.target == f"job:{job.id}")) == "job.launch"
    run_worker()
    db.session.refresh(job)
    assert job.status == JobStatus.FINISHED and job.result["rows"] == 1
    with storage().open(job.result["file"]) as export:
        assert export.read().decode().count("job.launch") == 1


def test_wait_prints_the_outcome_and_fails_when_the_job_failed(make_app, monkeypatch):
    monkeypatch.setitem(kinds.JOB_KINDS, "explode", kinds.JobKind("tests.app.commands.test_jobs_command:explode", 30))
    app = make_app(RQ_INLINE=True)
    runner = app.test_cli_runner()
    finished = runner.invoke(args=["jobs", "launch", "audit_export", "--wait", "20"])
    assert finished.exit_code == 0, finished.output
    with app.app_context():
        job = db.session.scalar(select(Job))
        assert storage().exists(job.result["file"])
    assert f'Job {job.id} finished: {{"file": "{job.result["file"]}"' in finished.output
    failed = runner.invoke(args=["jobs", "launch", "explode", "--arg", "message=disk full", "--wait", "20"])
    assert failed.exit_code == 1 and "failed" in failed.output and "disk full" in failed.output


@pytest.mark.parametrize("args,code,message", [
    (["no-such-kind"], 1, "Unknown job kind"),
    (["audit_export", "--arg", "novalue"], 2, "is not KEY=VALUE"),
    (["audit_export", "--wait", "-1"], 2, "--wait"),
])
def test_bad_input_is_refused_clearly_and_launches_nothing(app, args, code, message):
    result = app.test_cli_runner().invoke(args=["jobs", "launch", *args])
    assert result.exit_code == code and message in result.output
    assert db.session.scalar(select(Job)) is None
