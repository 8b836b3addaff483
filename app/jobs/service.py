"""Launch, cancel, retry and synchronise background jobs.

Jobs are enqueued by kind and plain arguments (ids, paths, names), never ORM objects. The worker runs
:data:`app.jobs.kinds.ENTRY_POINT` (``worker.jobs.run(job_id)``, named here, never imported), which looks up the
kind on the ``Job`` row. Progress flows worker → ``job.meta`` and the ``Job`` row; :func:`sync_with_rq` catches
what the worker could not report itself (a killed work horse).
"""

from __future__ import annotations

import contextlib
import threading
import uuid

from flask import current_app
from redis.exceptions import RedisError
from rq.command import send_stop_job_command
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job as RQJob
from rq.job import JobStatus as RQStatus
from rq.registry import StartedJobRegistry
from rq.utils import import_attribute

from app import audit
from app.extensions import db, queue
from app.jobs.kinds import ENTRY_POINT, JOB_KINDS, timeout_for
from app.models import Job, JobStatus
from app.time import utcnow


class JobsUnavailable(RuntimeError):
    """Redis does not answer, so no job can be queued now."""


def launch(kind: str, *, user=None, retry_of: Job | None = None, **args) -> Job:
    """Record a Job row for ``kind`` with ``args`` and hand it to the worker (or a thread, inline)."""
    if kind not in JOB_KINDS:
        raise ValueError(f"Unknown job kind {kind!r}.")
    if not queue.available():
        raise JobsUnavailable("Background jobs are unavailable: Redis does not answer.")
    job = Job(rq_id=uuid.uuid4().hex, kind=kind, args=args, launched_by=user,
              retry_of_id=retry_of.id if retry_of else None)
    db.session.add(job)
    db.session.flush()  # The audit record names the row's id.
    audit.record("job.launch", target=f"job:{job.id}", user=user, kind=kind, retry_of=job.retry_of_id)
    db.session.commit()
    if queue.inline:
        _start_inline(job.id)
    else:
        queue.rq.enqueue(ENTRY_POINT, job.id, job_id=job.rq_id, job_timeout=timeout_for(kind),
                         meta={"kind": kind}, description=f"{kind} #{job.id}")
    return job


def _start_inline(job_id: int) -> None:
    run = import_attribute(ENTRY_POINT)  # By name, as RQ itself would: the web app does not import the worker.
    app = current_app._get_current_object()

    def target():
        # The Job row records any failure; the thread has nobody else to tell.
        with app.app_context(), contextlib.suppress(Exception):
            run(job_id)

    threading.Thread(target=target, name=f"dxflow-job-{job_id}", daemon=True).start()


def cancel(job: Job, *, user=None) -> Job:
    """Stop a queued or running job; the worker also checks the flag at every progress report."""
    if not job.is_active:
        raise ValueError("Only queued or running jobs can be cancelled.")
    job.cancel_requested = True
    if not queue.inline:
        _cancel_in_rq(job)
    job.status = JobStatus.CANCELED
    job.finished_at = utcnow()
    job.stage = "Cancelled"
    _ended_without_its_task(job, "The job was cancelled; nothing was loaded.")
    audit.record("job.cancel", target=f"job:{job.id}", user=user, kind=job.kind)
    db.session.commit()
    return job


def _cancel_in_rq(job: Job) -> None:
    try:
        rq_job = RQJob.fetch(job.rq_id, connection=queue.redis)
        if rq_job.get_status(refresh=True) == RQStatus.STARTED:
            send_stop_job_command(queue.redis, job.rq_id)
        else:
            rq_job.cancel()
    except (NoSuchJobError, InvalidJobOperation, RedisError):
        pass  # Already gone from Redis: the flag on the row is what the worker checks.


def retry(job: Job, *, user=None) -> Job:
    """Launch a new job with the same kind and arguments as a failed or cancelled one."""
    if job.status not in (JobStatus.FAILED, JobStatus.CANCELED):
        raise ValueError("Only failed or cancelled jobs can be retried.")
    return launch(job.kind, user=user, retry_of=job, **job.args)


def sync_with_rq(job: Job) -> Job:
    """Mark the row (and what it worked on) failed when RQ knows the job died without the worker reporting it.

    A work horse killed with its worker (``kill -9``, a crashed host) stops heartbeating; RQ's
    ``StartedJobRegistry.cleanup`` moves such an abandoned job to failed once its heartbeat expires (90 s with RQ's
    defaults). Workers run that cleanup only every few minutes, so the sync runs it first.
    """
    if not job.is_active or queue.inline or not queue.available():
        return job
    try:
        StartedJobRegistry(queue.queue_name, connection=queue.redis).cleanup()
        rq_job = RQJob.fetch(job.rq_id, connection=queue.redis)
        status = rq_job.get_status(refresh=True)
    except NoSuchJobError:
        return job
    except RedisError:
        return job
    if status in (RQStatus.FAILED, RQStatus.STOPPED) and job.status == JobStatus.RUNNING:
        db.session.refresh(job)
        if job.is_active:
            result = rq_job.latest_result()
            job.status = JobStatus.FAILED
            job.error = job.error or _last_line(result.exc_string if result else "")
            job.finished_at = utcnow()
            _ended_without_its_task(job, job.error)
            db.session.commit()
    return job


def _ended_without_its_task(job: Job, message: str) -> None:
    """Let what the job worked on know it ended without its task finishing (an ingest job's upload fails)."""
    if job.kind == "ingest":
        from app.warehouse.service import abandon_upload  # app → app: the jobs package stays free of warehouse

        abandon_upload(job.args.get("upload_id"), job_id=job.id, message=message)


def _last_line(text: str) -> str:
    lines = [line for line in (text or "").strip().splitlines() if line.strip()]
    return lines[-1] if lines else "The worker stopped without reporting an error."
