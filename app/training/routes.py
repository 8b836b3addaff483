"""Training pages: runs (list, detail with charts, launch, cancel, retry) and models (promote, roll back)."""

from flask import abort, current_app, flash, jsonify, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.auth.session import role_required
from app.extensions import db
from app.jobs.service import JobsUnavailable
from app.models import ModelVersion, TrainingRun
from app.pagination import paginate
from app.registry import service as registry
from app.training import bp, service
from app.training.charts import run_charts
from app.training.forms import TrainForm
from ml.registry import BundleSignatureError


def _plotly_src() -> str | None:
    """Return the URL of the plotly bundle the EDA blueprint serves from the installed package (None without it)."""
    return url_for("eda.plotly_js") if "eda.plotly_js" in current_app.view_functions else None


@bp.get("/")
@role_required("admin", "auditor")
def runs():
    page = paginate(select(TrainingRun).order_by(TrainingRun.id.desc()))
    return render_template("training/runs.html", runs=page, form=TrainForm(), charts=run_charts(list(page.items)),
                           plotly_src=_plotly_src())


@bp.post("/")
@role_required("admin")
def launch():
    form = TrainForm()
    if not form.validate():
        abort(400)
    try:
        run = service.launch_training(reason=form.reason.data or "launched from the browser", by=current_user,
                                      config=form.to_config())
    except JobsUnavailable as error:
        flash(str(error), "error")
        return redirect(url_for("training.runs"))
    flash(_("Training run %(id)s launched.", id=run.id), "info")
    return redirect(url_for("training.run_detail", run_id=run.id))


@bp.get("/<int:run_id>")
@role_required("admin", "auditor")
def run_detail(run_id: int):
    run = db.get_or_404(TrainingRun, run_id)
    others = db.session.scalars(select(TrainingRun).where(TrainingRun.metrics.is_not(None), TrainingRun.id != run.id)
                                .order_by(TrainingRun.id.desc()).limit(5)).all()
    return render_template("training/run.html", run=run, charts=run_charts([run, *others]),
                           plotly_src=_plotly_src())


@bp.get("/<int:run_id>/status")
@role_required("admin", "auditor")
def run_status(run_id: int):
    return jsonify(db.get_or_404(TrainingRun, run_id).to_dict())


@bp.post("/<int:run_id>/cancel")
@role_required("admin")
def cancel(run_id: int):
    run = db.get_or_404(TrainingRun, run_id)
    try:
        service.cancel_run(run, user=current_user)
        flash(_("Training run %(id)s cancelled.", id=run.id), "info")
    except ValueError:
        flash(_("Only queued or running training runs can be cancelled."), "error")
    return redirect(url_for("training.run_detail", run_id=run.id))


@bp.post("/<int:run_id>/retry")
@role_required("admin")
def retry(run_id: int):
    run = db.get_or_404(TrainingRun, run_id)
    try:
        new = service.retry_run(run, user=current_user)
    except ValueError:
        flash(_("Only failed or cancelled training runs can be retried."), "error")
        return redirect(url_for("training.run_detail", run_id=run.id))
    except JobsUnavailable as error:
        flash(str(error), "error")
        return redirect(url_for("training.run_detail", run_id=run.id))
    return redirect(url_for("training.run_detail", run_id=new.id))


@bp.get("/models")
@role_required("admin", "auditor")
def models():
    versions = paginate(select(ModelVersion).order_by(ModelVersion.version.desc()))
    return render_template("training/models.html", versions=versions)


@bp.post("/models/<int:version>/promote")
@role_required("admin")
def promote(version: int):
    model = db.one_or_404(select(ModelVersion).where(ModelVersion.version == version))
    try:
        registry.promote(model, user=current_user, reason="promoted from the models page")
        flash(_("Model v%(version)s is the champion.", version=model.version), "info")
    except BundleSignatureError:
        flash(_("Model v%(version)s was refused: its signature does not verify.", version=model.version), "error")
    return redirect(url_for("training.models"))


@bp.post("/models/rollback")
@role_required("admin")
def rollback():
    try:
        model = registry.rollback(user=current_user)
        flash(_("Rolled back: model v%(version)s is the champion again.", version=model.version), "info")
    except ValueError as error:
        flash(str(error), "error")
    except BundleSignatureError:
        flash(_("The earlier model was refused: its signature does not verify."), "error")
    return redirect(url_for("training.models"))
