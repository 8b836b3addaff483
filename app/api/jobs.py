"""JSON endpoints, authenticated by the session cookie (the pages poll them)."""

from flask import jsonify

from app.api import bp
from app.auth.session import role_required
from app.extensions import db
from app.jobs.service import sync_with_rq
from app.models import Job


@bp.get("/jobs/<int:job_id>")
@role_required("admin", "auditor")
def job_status(job_id: int):
    return jsonify(sync_with_rq(db.get_or_404(Job, job_id)).to_dict())
