"""EDA pages: admins and auditors read the analysis; admins launch its computation."""

from __future__ import annotations

from functools import cache
from importlib.metadata import version
from importlib.resources import files

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.session import role_required
from app.eda import bp, service
from app.eda.charts import all_charts
from app.eda.forms import ComputeForm
from app.jobs.service import JobsUnavailable

PLOTLY_MAX_AGE = 7 * 24 * 3600


@bp.get("/")
@role_required("admin", "auditor")
def index():
    state = service.current_state()
    charts = all_charts(state.summary) if state.summary else {}
    return render_template("eda/index.html", state=state, charts=charts, form=ComputeForm())


@bp.post("/compute")
@role_required("admin")
def compute():
    if not ComputeForm().validate_on_submit():
        abort(400)
    try:
        job = service.start_compute(user=current_user)
    except service.EmptyWarehouse:
        flash(_("The warehouse is empty: there is nothing to analyse."), "info")
        return redirect(url_for("eda.index"))
    except JobsUnavailable:
        abort(503, _("Background jobs are unavailable right now."))
    return redirect(url_for("jobs.detail", job_id=job.id))


@bp.get("/plotly.min.js")
def plotly_js():
    """Serve the plotly bundle of the installed plotly package (no CDN), cached by the browser."""
    response = Response(_plotly_bundle(), mimetype="text/javascript")
    response.set_etag(f"plotly-{version('plotly')}")
    response.cache_control.public = True
    response.cache_control.max_age = PLOTLY_MAX_AGE
    return response.make_conditional(request)


@cache
def _plotly_bundle() -> bytes:
    return (files("plotly") / "package_data" / "plotly.min.js").read_bytes()
