"""How a running job reports progress to its ``Job`` row and RQ's ``job.meta``, and learns it was cancelled."""

from __future__ import annotations

from rq import get_current_job

from app.extensions import db


class JobCanceled(Exception):
    """An admin cancelled the job while it ran."""


class Progress:
    """Report progress of one job to its row and to RQ's job.meta; raise JobCanceled when asked to stop."""

    def __init__(self, job_row):
        self.job_row = job_row

    def __call__(self, percent: float, stage: str = "") -> None:
        db.session.refresh(self.job_row)
        if self.job_row.cancel_requested:
            raise JobCanceled(f"Job {self.job_row.id} was cancelled.")
        self.job_row.progress = max(0, min(100, int(percent)))
        self.job_row.stage = stage[:200]
        db.session.commit()
        rq_job = get_current_job()
        if rq_job is not None:
            rq_job.meta.update(progress=self.job_row.progress, stage=self.job_row.stage)
            rq_job.save_meta()
