"""Upload pages: send files from a source, follow their ingestion, read the reports, delete an upload;
and the source profiles that map each source's columns onto dxflow's canonical record."""

import json
import tempfile
from pathlib import Path

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.admin import bp
from app.admin.upload_forms import DeleteForm, ProfileForm, ProposeProfileForm, UploadForm
from app.auth.session import role_required
from app.downloads import send_download
from app.extensions import db
from app.jobs.service import JobsUnavailable
from app.models import SourceProfileRecord, Upload, UploadStatus
from app.pagination import paginate
from app.warehouse.profiles import ProfileError, list_profiles, profile_names, save_profile
from app.warehouse.service import (
    UploadRefused,
    UploadsPending,
    create_upload,
    delete_upload,
    propose_profile_for,
    raw_file,
    start_ingest,
    upload_report,
    validation_report,
)
from ml.ingest import IngestionError, safe_filename


@bp.get("/uploads")
@role_required("admin", "auditor")
def uploads():
    return _render_uploads(_upload_form())


@bp.post("/uploads")
@role_required("admin")
def create_uploads():
    form = _upload_form()
    if not form.validate_on_submit():
        return _render_uploads(form), 400
    try:
        created = create_upload(form.files.data, form.source.data, form.profile.data, current_user,
                                quarantine=form.quarantine.data)
    except UploadRefused as error:
        flash(str(error), "error")
        return _render_uploads(form), 400
    except UploadsPending:  # the files are kept as pending uploads: Start on their page once Redis is back
        flash(_("The files were received but background jobs are unavailable right now: start each pending "
                "upload from its page later, or delete it."), "error")
        return _render_uploads(_upload_form()), 503
    flash(_("%(n)s file(s) received; ingestion has started.", n=len(created)), "info")
    target = url_for("admin.upload_detail", upload_id=created[0].id) if len(created) == 1 else url_for(
        "admin.uploads")
    return redirect(target)


@bp.get("/uploads/<int:upload_id>")
@role_required("admin", "auditor")
def upload_detail(upload_id: int):
    upload = db.get_or_404(Upload, upload_id)
    return render_template("admin/upload_detail.html", upload=upload, report=upload_report(upload),
                           delete_form=DeleteForm(), start_form=DeleteForm(), can_start=_can_start(upload))


@bp.post("/uploads/<int:upload_id>/start")
@role_required("admin")
def upload_start(upload_id: int):
    """Launch the ingest job of a pending upload (one received while background jobs were unavailable)."""
    upload = db.get_or_404(Upload, upload_id)
    if not DeleteForm().validate_on_submit():
        abort(400)
    if not _can_start(upload):
        flash(_("Only pending uploads can be started; retry a failed one from its job."), "error")
        return redirect(url_for("admin.upload_detail", upload_id=upload_id))
    try:
        job = start_ingest(upload, user=current_user)
    except UploadRefused as error:
        flash(str(error), "error")
        return redirect(url_for("admin.upload_detail", upload_id=upload_id))
    except JobsUnavailable:
        abort(503, _("Background jobs are unavailable right now."))
    flash(_("Ingestion of upload %(id)s has started.", id=upload_id), "info")
    return redirect(url_for("jobs.detail", job_id=job.id))


def _can_start(upload: Upload) -> bool:
    """Return whether the upload waits for an ingest job nobody launched (it never had one)."""
    return upload.status == UploadStatus.PENDING


@bp.get("/uploads/<int:upload_id>/validation.csv")
@role_required("admin", "auditor")
def upload_validation_report(upload_id: int):
    content = validation_report(db.get_or_404(Upload, upload_id))
    if content is None:
        abort(404)
    return send_download(content, f"upload-{upload_id}-validation.csv", mimetype="text/csv")


@bp.get("/uploads/<int:upload_id>/raw")
@role_required("admin")
def upload_raw(upload_id: int):
    """Send the file as received (it holds patient identifiers: admins only, and audited)."""
    found = raw_file(db.get_or_404(Upload, upload_id), user=current_user)
    if found is None:
        abort(404)
    content, name = found
    return send_download(content, name, mimetype="application/octet-stream")


@bp.post("/uploads/<int:upload_id>/delete")
@role_required("admin")
def upload_delete(upload_id: int):
    upload = db.get_or_404(Upload, upload_id)
    if not DeleteForm().validate_on_submit():
        abort(400)
    try:
        counts = delete_upload(upload, user=current_user)
    except UploadRefused as error:
        flash(str(error), "error")
        return redirect(url_for("admin.upload_detail", upload_id=upload_id))
    flash(_("Upload %(id)s deleted with its %(cases)s cases.", id=upload_id, cases=counts["cases"]), "info")
    return redirect(url_for("admin.uploads"))


@bp.get("/profiles")
@role_required("admin", "auditor")
def profiles():
    return render_template("admin/profiles.html", profiles=list_profiles(), propose_form=ProposeProfileForm())


@bp.get("/profiles/<name>")
@role_required("admin", "auditor")
def profile_edit(name: str):
    record = db.session.scalar(select(SourceProfileRecord).where(SourceProfileRecord.name == name))
    if record is None:
        abort(404)
    form = ProfileForm()
    form.profile_json.data = json.dumps(record.profile, indent=2, ensure_ascii=False)
    return render_template("admin/profile_edit.html", name=name, form=form, record=record)


@bp.post("/profiles/<name>")
@role_required("admin")
def save_profile_edit(name: str):
    record = db.session.scalar(select(SourceProfileRecord).where(SourceProfileRecord.name == name))
    form = ProfileForm()
    if not form.validate_on_submit():
        return render_template("admin/profile_edit.html", name=name, form=form, record=record), 400
    try:
        save_profile({**form.parsed, "name": name}, user=current_user)
    except ProfileError as error:
        form.profile_json.errors.append(str(error))
        return render_template("admin/profile_edit.html", name=name, form=form, record=record), 400
    flash(_("Profile %(name)s saved.", name=name), "info")
    return redirect(url_for("admin.profiles"))


@bp.post("/profiles/propose")
@role_required("admin")
def profile_propose():
    """Guess a profile from a sample file's columns and values; the admin reviews it before saving."""
    form = ProposeProfileForm()
    if not form.validate_on_submit():
        return render_template("admin/profiles.html", profiles=list_profiles(), propose_form=form), 400
    try:
        proposal = _propose(form.sample.data, name=form.name.data.strip())
    except IngestionError as error:
        form.sample.errors.append(str(error))
        return render_template("admin/profiles.html", profiles=list_profiles(), propose_form=form), 400
    edit_form = ProfileForm(formdata=None)
    edit_form.profile_json.data = json.dumps(proposal.to_dict(), indent=2, ensure_ascii=False)
    return render_template("admin/profile_edit.html", name=proposal.name, form=edit_form, record=None,
                           confidence=getattr(proposal, "confidence", {}),
                           rows_are_patients=proposal.rows_are_patients)


def _propose(sample, *, name: str):
    """Write the sample to a private temporary file (it may hold identifiers) and propose from it."""
    filename = safe_filename(sample.filename or "sample")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / filename
        sample.save(path)
        return propose_profile_for(path, filename, name=name)


def _upload_form() -> UploadForm:
    form = UploadForm()
    form.profile.choices = profile_names()
    return form


def _render_uploads(form: UploadForm):
    uploads = paginate(select(Upload).order_by(Upload.id.desc()))
    return render_template("admin/uploads.html", form=form, uploads=uploads)
