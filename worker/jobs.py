"""The entry point RQ calls for every dxflow job.

``run(job_id)`` builds (or reuses) an app context, looks up the job kind on its ``Job`` row, runs the task, and
records progress, result and errors on the row and in RQ's ``job.meta``. Progress reaches 100 in a ``finally``.
"""

from __future__ import annotations

import importlib
import logging
import traceback
from contextlib import contextmanager

from flask import current_app, has_app_context
from rq import get_current_job

from app.jobs.kinds import JOB_KINDS
from app.jobs.progress import JobCanceled, Progress

log = logging.getLogger(__name__)
_app = None


def use_app(app) -> None:
    """Make ``app`` the one job entry points use when no context is active (a worker sets it before forking)."""
    global _app
    _app = app


@contextmanager
def app_context():
    """Yield inside an app context: the caller's, or one built once per worker process."""
    global _app
    if has_app_context():
        yield current_app._get_current_object()
        return
    if _app is None:
        from app import create_app

        _app = create_app()
    with _app.app_context():
        yield _app


def load_task(kind: str):
    """Import the task function registered for ``kind``."""
    module_name, _, function_name = JOB_KINDS[kind].task.partition(":")
    return getattr(importlib.import_module(module_name), function_name)


def run(job_id: int) -> dict | None:
    """Run the dxflow job ``job_id``; RQ enqueues this function with the row id only."""
    with app_context():
        from app.extensions import db
        from app.models import Job, JobStatus
        from app.time import utcnow

        job_row = db.session.get(Job, job_id)
        if job_row is None:
            raise LookupError(f"Job {job_id} does not exist.")
        if job_row.status == JobStatus.CANCELED:
            return None
        job_row.status, job_row.started_at, job_row.stage = JobStatus.RUNNING, utcnow(), "Starting"
        db.session.commit()
        progress = Progress(job_row)
        try:
            result = load_task(job_row.kind)(progress, **job_row.args)
        except JobCanceled:
            db.session.rollback()
            _finish(job_row, status=JobStatus.CANCELED, stage="Cancelled")
            return None
        except Exception as exc:
            db.session.rollback()
            log.error("job %s (%s) failed: %s", job_id, job_row.kind, traceback.format_exc(limit=5))
            _finish(job_row, status=JobStatus.FAILED, stage="Failed", error=f"{type(exc).__name__}: {exc}")
            raise
        _finish(job_row, status=JobStatus.FINISHED, stage="Done", result=result)
        return result


def _finish(job_row, *, status: str, stage: str, result=None, error=None) -> None:
    from app.extensions import db
    from app.time import utcnow

    db.session.refresh(job_row)
    job_row.status, job_row.stage, job_row.finished_at = status, stage, utcnow()
    job_row.progress = 100
    job_row.result, job_row.error = result, error
    db.session.commit()
    rq_job = get_current_job()
    if rq_job is not None:
        rq_job.meta.update(progress=100, stage=stage)
        rq_job.save_meta()
