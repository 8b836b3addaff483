"""Monitoring pages: admins and auditors read the dashboard and the audit log; admins act (check, acknowledge,
thresholds)."""

from __future__ import annotations

from dataclasses import asdict

from flask import Response, abort, flash, redirect, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.admin.forms import ExportForm
from app.auth.session import role_required
from app.extensions import db
from app.jobs.service import JobsUnavailable
from app.models import MonitoringAlert
from app.monitoring import bp, charts, service
from app.monitoring.forms import AcknowledgeForm, AuditFilterForm, RunForm, ThresholdsForm
from app.pagination import paginate


@bp.get("/")
@role_required("admin", "auditor")
def dashboard():
    runs, alerts = service.recent_runs(), service.recent_alerts()
    figures = {
        "chart-volume": charts.volume_chart(runs),
        "chart-drift": charts.drift_heatmap(runs),
        "chart-performance": charts.performance_chart(runs),
        "chart-alerts": charts.alert_timeline(alerts),
        "chart-models": charts.model_timeline(service.model_versions()),
    }
    return render_template("monitoring/dashboard.html", runs=runs[::-1][:20], alerts=alerts, charts=figures,
                           run_form=RunForm(), ack_form=AcknowledgeForm())


@bp.post("/run")
@role_required("admin")
def run_now():
    if not RunForm().validate_on_submit():
        abort(400)
    try:
        job = service.launch_check(user=current_user)
    except JobsUnavailable:
        abort(503, _("Background jobs are unavailable right now."))
    return redirect(url_for("jobs.detail", job_id=job.id))


@bp.post("/alerts/<int:alert_id>/acknowledge")
@role_required("admin")
def acknowledge(alert_id: int):
    alert = db.get_or_404(MonitoringAlert, alert_id)
    if not AcknowledgeForm().validate_on_submit():
        abort(400)
    try:
        service.acknowledge(alert, user=current_user)
        flash(_("Alert acknowledged."), "success")
    except ValueError:
        flash(_("This alert is already acknowledged."), "info")
    return redirect(url_for("monitoring.dashboard"))


@bp.route("/thresholds", methods=["GET", "POST"])
@role_required("admin", "auditor")
def thresholds():
    current = asdict(service.thresholds())
    form = ThresholdsForm(data=current) if request.method == "GET" else ThresholdsForm()
    if request.method == "POST":
        if current_user.role != "admin":
            abort(403)
        if not form.validate_on_submit():
            return render_template("monitoring/thresholds.html", form=form, current=current), 400
        service.update_thresholds(form.values(), user=current_user)
        flash(_("Thresholds saved."), "success")
        return redirect(url_for("monitoring.thresholds"))
    return render_template("monitoring/thresholds.html", form=form, current=current)


def _audit_filters() -> tuple[AuditFilterForm, dict]:
    form = AuditFilterForm(request.args)
    if not form.validate():
        abort(400)
    return form, {"action": (form.action.data or "").strip() or None, "actor": (form.actor.data or "").strip() or None,
                  "since": form.since.data, "until": form.until.data}


@bp.get("/audit")
@role_required("admin", "auditor")
def audit():
    form, filters = _audit_filters()
    events = paginate(service.audit_query(**filters))
    return render_template("monitoring/audit.html", form=form, events=events, export_form=ExportForm(),
                           csv_args={key: value for key, value in request.args.items() if key != "page"})


@bp.get("/audit.csv")
@role_required("admin", "auditor")
def audit_csv():
    _form, filters = _audit_filters()
    response = Response(stream_with_context(service.audit_csv(service.audit_query(**filters))),
                        mimetype="text/csv")
    response.headers["Content-Disposition"] = "attachment; filename=audit-log.csv"
    return response
