"""Administration pages."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from app.admin import bp
from app.admin.forms import ExportForm, UserForm
from app.auth.service import AccountError, create_user, set_active
from app.auth.session import role_required
from app.extensions import db
from app.jobs.service import JobsUnavailable, launch
from app.models import AuditEvent, Job, User


@bp.get("/")
@role_required("admin")
def index():
    counts = {
        "users": db.session.scalar(select(func.count(User.id))),
        "jobs": db.session.scalar(select(func.count(Job.id))),
        "audit_events": db.session.scalar(select(func.count(AuditEvent.id))),
    }
    return render_template("admin/index.html", counts=counts)


@bp.route("/users", methods=["GET", "POST"])
@role_required("admin")
def users():
    form = UserForm()
    if form.validate_on_submit():
        try:
            user, password = create_user(email=form.email.data, role=form.role.data, by=current_user)
        except AccountError as error:
            flash(str(error), "error")
        else:
            flash(_("Account %(email)s created. Its one-time password is %(password)s", email=user.email,
                    password=password), "info")
            return redirect(url_for("admin.users"))
    elif form.is_submitted():
        return render_template("admin/users.html", form=form, users=_all_users()), 400
    return render_template("admin/users.html", form=form, users=_all_users())


@bp.post("/users/<int:user_id>/toggle")
@role_required("admin")
def toggle_user(user_id: int):
    user = db.get_or_404(User, user_id)
    try:
        set_active(user, not user.active, by=current_user)
    except AccountError:
        flash(_("You cannot deactivate your own account."), "error")
    return redirect(url_for("admin.users"))


@bp.get("/audit")
@role_required("admin", "auditor")
def audit_log():
    """The audit log has one page, the monitoring one; old links keep their filters."""
    return redirect(url_for("monitoring.audit", **request.args), code=301)


@bp.post("/audit/export")
@role_required("admin")
def export_audit():
    if not ExportForm().validate_on_submit():
        abort(400)
    try:
        job = launch("audit_export", user=current_user)
    except JobsUnavailable:
        abort(503, _("Background jobs are unavailable right now."))
    return redirect(url_for("jobs.detail", job_id=job.id))


def _all_users():
    return db.session.scalars(select(User).order_by(User.email)).all()
