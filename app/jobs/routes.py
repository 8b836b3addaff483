"""Job pages: list, detail (with a progress bar polling /api/v1/jobs/<id>), cancel, retry, result download."""

from pathlib import PurePosixPath

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.auth.session import role_required
from app.downloads import send_download
from app.extensions import db
from app.jobs import bp, service
from app.models import Job
from app.pagination import paginate
from app.warehouse.raw_zone import storage


@bp.get("/")
@role_required("admin", "auditor")
def index():
    jobs = paginate(select(Job).order_by(Job.id.desc()))
    return render_template("jobs/index.html", jobs=jobs)


@bp.get("/<int:job_id>")
@role_required("admin", "auditor")
def detail(job_id: int):
    job = service.sync_with_rq(db.get_or_404(Job, job_id))
    return render_template("jobs/detail.html", job=job)


@bp.post("/<int:job_id>/cancel")
@role_required("admin")
def cancel(job_id: int):
    job = db.get_or_404(Job, job_id)
    try:
        service.cancel(job, user=current_user)
        flash(_("Job %(id)s cancelled.", id=job.id), "info")
    except ValueError:
        flash(_("Only queued or running jobs can be cancelled."), "error")
    return redirect(url_for("jobs.detail", job_id=job.id))


@bp.post("/<int:job_id>/retry")
@role_required("admin")
def retry(job_id: int):
    job = db.get_or_404(Job, job_id)
    try:
        new_job = service.retry(job, user=current_user)
    except ValueError:
        flash(_("Only failed or cancelled jobs can be retried."), "error")
        return redirect(url_for("jobs.detail", job_id=job.id))
    except service.JobsUnavailable:
        abort(503, _("Background jobs are unavailable right now."))
    flash(_("Job %(id)s queued again as job %(new)s.", id=job.id, new=new_job.id), "info")
    return redirect(url_for("jobs.detail", job_id=new_job.id))


@bp.get("/<int:job_id>/download")
@role_required("admin", "auditor")
def download(job_id: int):
    """Send the file a job wrote to the shared store (``exports/…``; never the raw zone's patient files)."""
    job = db.get_or_404(Job, job_id)
    key = (job.result or {}).get("file") or ""
    backend = storage()
    if not key.startswith("exports/") or not backend.exists(key):
        abort(404)
    with backend.open(key) as handle:
        content = handle.read()
    return send_download(content, PurePosixPath(key).name, mimetype="text/csv")
