"""Uploads into the warehouse: receive files, ingest them in a job, report on them, delete them.

The functions web routes and commands call (each one is what a thin route needs):

* :func:`create_upload` ``(files, source, profile_name, user, *, quarantine=False) -> [Upload]``: check names,
  sizes and duplicates for the whole batch (all or nothing), keep each file as received in the raw zone, create
  its ``Upload`` row and launch an ``ingest`` job for it. Two or more text notes in a batch are packed into one
  ``notes.zip`` first (:func:`bundle_notes`): one upload, one job, one report, one row per note; a ``.zip`` of
  notes is uploaded as it is. Raises :class:`UploadRefused` (message for the admin), or :class:`UploadsPending`
  when Redis is down (the uploads stay ``pending``: :func:`start_ingest` them later).
* :func:`ingest_upload` ``(upload_id, progress) -> dict``: the job body. Loads the whole upload in one
  transaction — or nothing: a bad file, or any invalid row without quarantine, leaves the upload ``failed``
  with a clear message and an empty warehouse. With quarantine the invalid rows are skipped and listed.
* :func:`upload_report` ``(upload) -> dict``: everything the upload detail page shows.
* :func:`validation_report` ``(upload) -> bytes | None``: the downloadable CSV (row number, field, reason).
* :func:`delete_upload` ``(upload, *, user) -> dict``: remove an upload, every row it loaded, the patients
  left without cases, and its raw file; audited.
* :func:`propose_profile_for` ``(path, filename, *, name) -> SourceProfile``: guess a profile for a new source.
* Profiles: :func:`app.warehouse.profiles.save_profile`, ``get_profile``, ``list_profiles``.

Patient identifiers stay in the raw zone: rows hold pseudonyms, reports hold counts and redacted reasons,
notes files (named after patients) get a display name, and errors name that display name.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import BinaryIO

from flask import current_app
from sqlalchemy import delete, exists, func, select, text
from sqlalchemy.exc import IntegrityError

from app import audit
from app.extensions import db
from app.jobs.progress import JobCanceled
from app.models import Case, CaseDiagnosis, CaseSymptom, Note, Patient, Upload, UploadStatus
from app.time import utcnow
from app.warehouse import raw_zone
from app.warehouse.loader import WAREHOUSE_LOCK, WarehouseLoader
from app.warehouse.profiles import ProfileError, get_profile
from ml.ingest import (
    DEFAULT_CHUNKSIZE,
    DEFAULT_MAX_BYTES,
    SNIFF_BYTES,
    AnonymizationTotals,
    IngestionError,
    SourceProfile,
    StageTimer,
    TermMapper,
    WrangleSettings,
    error_summary,
    errors_to_csv,
    is_note_name,
    pack_notes,
    plan_k_anonymity,
    propose_profile,
    read_sample,
    safe_filename,
    scan,
    sniff_format,
    wrangle,
)
from ml.notes import NoteReader, reader_for
from ml.privacy import pseudonym_key
from ml.storage import spooled_with_hash

log = logging.getLogger(__name__)
# Columns a reader derives from the file name; a profile that reads them makes the name patient data.
NAME_DERIVED_COLUMNS = frozenset({"note_id", "source_ref"})


class UploadRefused(ValueError):
    """The files cannot be accepted (unsafe name, too large, already uploaded, unknown profile...)."""


class UploadsPending(RuntimeError):
    """The files were kept, but no ingest job could be queued (Redis down): ``uploads`` wait as ``pending``."""

    def __init__(self, message: str, uploads: list[Upload]) -> None:
        super().__init__(message)
        self.uploads = uploads


@dataclass
class IncomingFile:
    """A file to upload: the name it arrived with and a binary stream of its bytes."""

    name: str
    stream: BinaryIO


def _incoming(item) -> IncomingFile:
    """Accept an IncomingFile, a (name, stream) pair, or a werkzeug FileStorage."""
    if isinstance(item, IncomingFile):
        return item
    if isinstance(item, tuple):
        return IncomingFile(*item)
    return IncomingFile(item.filename or "", item.stream)


# ---------------------------------------------------------------------------------------------------------
# Receiving files
# ---------------------------------------------------------------------------------------------------------


def max_upload_bytes() -> int:
    """Return the largest file accepted for ingestion (``MAX_INGEST_BYTES``, default 500 MB)."""
    return int(current_app.config.get("MAX_INGEST_BYTES") or DEFAULT_MAX_BYTES)


def display_name(filename: str, sha256: str, file_format: str | None, profile: SourceProfile) -> str:
    """Return the name the database may keep: notes files, named after patients, get a neutral one."""
    name_is_data = file_format == "text" or bool(NAME_DERIVED_COLUMNS & set(profile.referenced_columns()))
    if not name_is_data:
        return filename
    suffix = PurePath(filename).suffix.lower()[:10]
    return f"note-{sha256[:12]}{suffix}"


def create_upload(files: Iterable, source: str, profile_name: str | None, user=None, *, quarantine: bool = False,
                  enqueue: bool = True) -> list[Upload]:
    """Keep each file in the raw zone, create its Upload row and (unless ``enqueue`` is False) its ingest job.

    ``files`` are werkzeug ``FileStorage`` objects, ``(name, stream)`` pairs or :class:`IncomingFile`. The batch
    is checked as a whole first — safe names, size limit, no file uploaded twice (same content hash) — so a
    refusal stores nothing. Raises :class:`UploadRefused` with a message for the admin.
    """
    source = (source or "").strip()
    if not source or len(source) > 100:
        raise UploadRefused("Name the source of the data (1 to 100 characters).")
    if not profile_name:
        raise UploadRefused("Choose a source profile.")
    try:
        profile = get_profile(profile_name)
    except ProfileError as error:
        raise UploadRefused(str(error)) from error
    incoming = [_incoming(item) for item in files]
    if not incoming:
        raise UploadRefused("Choose at least one file.")
    with contextlib.ExitStack() as stack:
        incoming = bundle_notes(incoming, stack)
        prepared = [_prepare(item, profile, stack) for item in incoming]
        _refuse_duplicates(prepared)
        uploads = [_store(item, source, profile_name, user, quarantine) for item in prepared]
        try:
            db.session.commit()
        except IntegrityError:  # a simultaneous upload of the same file won the unique index: refuse as above
            db.session.rollback()
            _refuse_duplicates(prepared)
            raise
    for upload in uploads:
        audit.record("upload.create", target=f"upload:{upload.id}", user=user, source=source,
                     filename=upload.filename, profile=profile_name, size=upload.file_size, quarantine=quarantine)
    db.session.commit()
    if enqueue:
        from app.jobs.service import JobsUnavailable

        try:
            for upload in uploads:
                start_ingest(upload, user=user)
        except JobsUnavailable as error:
            raise UploadsPending(str(error), uploads) from error
    return uploads


NOTES_BUNDLE_NAME = "notes.zip"


def bundle_notes(incoming: list[IncomingFile], stack: contextlib.ExitStack) -> list[IncomingFile]:
    """Pack two or more text notes of a batch into one ``notes.zip`` (one upload, one report); others stay apart.

    The zip lives in a temporary file closed with ``stack``; a selection that cannot be packed (two notes with the
    same name, a note over 10 MB) raises :class:`UploadRefused`.
    """
    notes = [item for item in incoming if is_note_name(item.name)]
    if len(notes) < 2:
        return incoming
    spool = stack.enter_context(tempfile.SpooledTemporaryFile(max_size=16 * 2**20))  # noqa: SIM115 (closed by stack)
    try:
        pack_notes(((item.name, item.stream) for item in notes), spool)
    except IngestionError as error:
        raise UploadRefused(error.message) from error
    spool.seek(0)
    return [IncomingFile(NOTES_BUNDLE_NAME, spool), *(item for item in incoming if not is_note_name(item.name))]


@dataclass
class _Prepared:
    filename: str
    display: str
    spool: BinaryIO
    sha256: str
    size: int
    file_format: str | None


def _prepare(item: IncomingFile, profile: SourceProfile, stack: contextlib.ExitStack) -> _Prepared:
    """Check one file's name and size, hash it and sniff its format."""
    try:
        filename = safe_filename(item.name)
    except IngestionError as error:
        raise UploadRefused(error.message) from error
    limit = max_upload_bytes()
    spool, sha256, size = stack.enter_context(spooled_with_hash(item.stream, max_bytes=limit))
    if size > limit:
        raise UploadRefused(f"{filename} is larger than the limit of {limit / 2**20:.0f} MB.")
    head = spool.read(SNIFF_BYTES)
    spool.seek(0)
    try:
        file_format = sniff_format(filename, head)
    except IngestionError:
        file_format = None  # the ingest job reports why, on the upload
    display = display_name(filename, sha256, file_format, profile)
    return _Prepared(filename, display, spool, sha256, size, file_format)


def _refuse_duplicates(prepared: list[_Prepared]) -> None:
    """Refuse a batch holding the same file twice, or a file already uploaded and not failed."""
    seen: dict[str, str] = {}
    for item in prepared:
        if item.sha256 in seen:
            raise UploadRefused(f"{item.display} and {seen[item.sha256]} are the same file.")
        seen[item.sha256] = item.display
        earlier = _blocking_upload(item.sha256)
        if earlier is not None:
            raise _already_uploaded(item.display, earlier)


def _blocking_upload(sha256: str) -> Upload | None:
    """Return the upload of this file (content hash) that keeps it from being accepted again, if any."""
    return db.session.scalar(
        select(Upload).where(Upload.file_sha256 == sha256, Upload.status.in_(UploadStatus.BLOCKING))
    )


def _already_uploaded(display: str, earlier: Upload | None) -> UploadRefused:
    """Return the refusal of a file another upload already holds."""
    which = f" (upload #{earlier.id}, {earlier.status})" if earlier is not None else ""
    return UploadRefused(f"{display} was already uploaded{which}; the same file is never loaded twice.")


def _commit_blocking(upload: Upload) -> None:
    """Commit an upload moved into a blocking state; refuse if another upload of its file blocks it meanwhile."""
    try:
        db.session.commit()
    except IntegrityError:  # the file was uploaded again while this upload had failed
        db.session.rollback()
        raise _already_uploaded(upload.filename, _blocking_upload(upload.file_sha256)) from None


def _store(item: _Prepared, source: str, profile_name: str, user, quarantine: bool) -> Upload:
    """Put a prepared file in the raw zone and add its Upload row."""
    key = raw_zone.put_raw(item.spool, item.sha256, item.filename)
    upload = Upload(source=source, filename=item.display, file_sha256=item.sha256, file_size=item.size,
                    storage_key=key, format=item.file_format, profile_name=profile_name, quarantine=quarantine,
                    status=UploadStatus.PENDING, launched_by=user, report={})
    db.session.add(upload)
    return upload


def start_ingest(upload: Upload, *, user=None):
    """Launch the ingest job of a pending or failed upload; return the Job (raises JobsUnavailable)."""
    from app.jobs import service as jobs

    if upload.status in (UploadStatus.QUEUED, UploadStatus.RUNNING, UploadStatus.LOADED):
        raise UploadRefused(f"Upload #{upload.id} is already {upload.status}.")
    previous = upload.status
    upload.status = UploadStatus.QUEUED
    _commit_blocking(upload)
    try:
        job = jobs.launch("ingest", user=user, upload_id=upload.id)
    except Exception:
        upload.status = previous
        db.session.commit()
        raise
    db.session.execute(Upload.__table__.update().where(Upload.id == upload.id).values(job_id=job.id))
    db.session.commit()
    return job


def propose_profile_for(path: str | Path, filename: str, *, name: str) -> SourceProfile:
    """Guess a source profile from a file's header and first rows (raises IngestionError if unreadable)."""
    sample = read_sample(path, filename=filename, n_rows=100)
    return propose_profile(list(sample.columns), sample, name=name)


# ---------------------------------------------------------------------------------------------------------
# Ingesting (the job body)
# ---------------------------------------------------------------------------------------------------------


def _settings() -> WrangleSettings:
    """Return the de-identification settings of this app."""
    config = current_app.config
    return WrangleSettings(
        key=pseudonym_key(config["PSEUDONYM_KEY"]),
        k=int(config.get("K_ANONYMITY", 5)),
        k_strategy=config.get("K_ANONYMITY_STRATEGY", "generalize"),
        chunksize=int(config.get("INGEST_CHUNKSIZE") or DEFAULT_CHUNKSIZE),
        max_bytes=max_upload_bytes(),
    )


def note_reader() -> NoteReader:
    """Return the note reader over the current vocabulary's knowledge base, built once per process."""
    return reader_for(_vocabulary().kb)


def _no_progress(percent: float, stage: str = "") -> None:
    """Stand in for a job's progress callback."""


@contextlib.contextmanager
def _renamed_errors(original: str, display: str):
    """Re-raise IngestionError naming the display name instead of a file name that may identify a patient."""
    try:
        yield
    except IngestionError as error:
        if original == display:
            raise
        message = error.message.replace(original, display)
        if PurePath(original).suffix.lower() != ".zip":  # a note's stem is its id; a zip's entries are named by number
            message = message.replace(PurePath(original).stem, "the file")
        raise IngestionError(message) from None


def ingest_upload(upload_id: int, progress: Callable[[float, str], None] | None = None, *,
                  job_id: int | None = None) -> dict:
    """Read, validate, anonymise, map and load an upload in one transaction; return a summary (no patient data).

    ``job_id`` is the ingest job running it (a retry is a new job: the upload then points at it). On failure the
    upload is marked ``failed`` with a message for the admin, nothing is loaded, and an ``IngestionError`` carrying
    that message is raised (so the job fails with it too).
    """
    progress = progress or _no_progress
    upload = db.session.get(Upload, upload_id)
    if upload is None:
        raise LookupError(f"Upload {upload_id} does not exist.")
    if upload.status == UploadStatus.LOADED:
        raise IngestionError(f"Upload #{upload.id} is already loaded.")
    upload.status, upload.error, upload.finished_at = UploadStatus.RUNNING, None, None
    upload.job_id = job_id or upload.job_id
    try:
        _commit_blocking(upload)
    except UploadRefused as refused:
        raise IngestionError(str(refused)) from None
    timer = StageTimer()
    try:
        return _ingest(upload, progress, timer)
    except JobCanceled:
        _fail(upload, "The job was cancelled; nothing was loaded.", timer)
        raise
    except IngestionError as error:
        _fail(upload, error.message, timer)
        raise IngestionError(error.message) from None
    except Exception as error:  # a bug or a database failure: the message may quote data, so keep it out
        log.error("upload %s failed: %s", upload_id, type(error).__name__)
        message = f"Ingestion stopped on an internal error ({type(error).__name__}); nothing was loaded."
        _fail(upload, message, timer)
        raise IngestionError(message) from None


def _ingest(upload: Upload, progress, timer: StageTimer) -> dict:
    """Run both passes and the load for one upload; raise IngestionError for anything the admin must fix."""
    try:
        profile = get_profile(upload.profile_name or "")
    except ProfileError as error:
        raise IngestionError(str(error)) from error
    settings = dataclasses.replace(_settings(), source_id=upload.file_sha256)
    with raw_zone.storage().local_copy(upload.storage_key) as path:
        original = raw_zone.original_name(upload.storage_key, upload.filename)
        progress(5, "Reading and validating")
        with _renamed_errors(original, upload.filename):
            scanned = scan(path, profile, filename=original, settings=settings, timer=timer)
        upload.rows_read = scanned.rows_read
        rejected = len(scanned.rejected_rows)
        upload.report = {"read": _read_summary(scanned.read_report), "validation": error_summary(scanned.errors),
                         "patients": scanned.patients_report()}
        if scanned.errors:
            upload.report_key = raw_zone.storage().put(raw_zone.report_key(upload.id),
                                                       errors_to_csv(scanned.errors).encode("utf-8"))
        if scanned.errors and not upload.quarantine:
            upload.rows_rejected = rejected
            raise IngestionError(
                f"{rejected} of {scanned.rows_read} rows have errors, so nothing was loaded. Download the "
                "validation report and fix the file, or upload it again with quarantine to load the valid rows."
            )
        plan = plan_k_anonymity(scanned.quasi, settings)
        progress(35, "Anonymising, mapping and loading")
        mapper = TermMapper(_vocabulary(), note_reader(), lang=settings.lang)
        totals = AnonymizationTotals()
        chunks = wrangle(path, profile, filename=original, settings=settings, plan=plan, mapper=mapper,
                         totals=totals, timer=timer)
        with _renamed_errors(original, upload.filename):
            counts = _load(upload, chunks, progress, timer, kept=len(plan.quasi))
    upload.status, upload.finished_at = UploadStatus.LOADED, utcnow()
    upload.rows_loaded, upload.rows_quarantined, upload.rows_rejected = counts["cases"], rejected, 0
    upload.report = {
        **upload.report,
        "anonymization": {**totals.to_dict(), **plan.to_dict(), "k_requested": settings.k,
                          "k_strategy": settings.k_strategy, "quasi_identifiers": list(settings.quasi_identifiers)},
        "vocabulary": mapper.report(),
        "load": counts,
        "timings": timer.to_dict(),
    }
    db.session.commit()
    _queue_unmapped(mapper, upload.source)
    log.info("upload %s loaded: %s cases", upload.id, counts["cases"])
    return {
        "upload_id": upload.id,
        "status": upload.status,
        "rows_read": upload.rows_read,
        "rows_loaded": upload.rows_loaded,
        "rows_quarantined": upload.rows_quarantined,
        "rows_suppressed": plan.rows_suppressed,
        "unmapped_terms": sum(len(counter) for counter in mapper.unmapped.values()),
    }


def _vocabulary():
    """Return the current vocabulary normaliser."""
    from app.vocabulary.service import current_vocabulary

    return current_vocabulary()


def _queue_unmapped(mapper: TermMapper, source: str) -> None:
    """Send the (scrubbed) texts nothing matched to the vocabulary review queue."""
    from app.vocabulary.service import record_unmapped_counts

    try:
        for kind, counts in mapper.unmapped.items():
            if counts:
                record_unmapped_counts(kind, counts, source=source)
    except Exception as error:  # the upload is loaded; a review queue hiccup must not mark it failed
        db.session.rollback()
        log.warning("unmapped terms of source %r not queued: %s", source, type(error).__name__)


def _load(upload: Upload, chunks, progress, timer: StageTimer, *, kept: int) -> dict:
    """Load every chunk in one transaction; progress is reported while loading on PostgreSQL only.

    PostgreSQL loads on a connection of its own, so progress reports (committed by the job's session) stay
    visible. SQLite allows one writer: it loads on the session's connection and reports nothing until the end.
    """
    db.session.commit()  # end the session's transaction before the load starts
    with _load_connection() as (connection, can_report):
        loader = WarehouseLoader(connection, upload_id=upload.id, source=upload.source)
        for chunk in chunks:
            started = time.perf_counter()
            loader.load(chunk)
            timer.add("load", started)
            if can_report:
                progress(35 + 60 * loader.counts["cases"] / max(kept, 1),
                         f"Loaded {loader.counts['cases']} of {kept} rows")
    return loader.counts


@contextlib.contextmanager
def _load_connection():
    """Yield (connection, whether progress may be committed meanwhile) inside one transaction."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as connection:
            yield connection, True
        return
    connection = db.session.connection()
    try:
        yield connection, False
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()


def _read_summary(report) -> dict:
    """Return what the reader found out about the file."""
    return {"format": report.format, "encoding": report.encoding, "delimiter": report.delimiter,
            "rows": report.rows, "neutralised_cells": report.neutralised_cells}


def abandon_upload(upload_id: int | None, *, job_id: int, message: str) -> None:
    """Mark the upload of a dead or cancelled ingest job failed (in the caller's transaction), so it can be
    retried or deleted; an upload another job has taken over since is left alone."""
    upload = db.session.get(Upload, upload_id) if upload_id is not None else None
    if upload is None or upload.status not in (UploadStatus.QUEUED, UploadStatus.RUNNING):
        return
    if upload.job_id not in (None, job_id):
        return
    upload.status, upload.error, upload.finished_at = UploadStatus.FAILED, message[:2000], utcnow()


def _fail(upload: Upload, message: str, timer: StageTimer) -> None:
    """Mark an upload failed with ``message``, keeping the report gathered so far; nothing stays loaded."""
    report, report_key, rows_read, rejected = upload.report, upload.report_key, upload.rows_read, upload.rows_rejected
    db.session.rollback()
    upload = db.session.get(Upload, upload.id)
    upload.status, upload.error, upload.finished_at = UploadStatus.FAILED, message[:2000], utcnow()
    upload.report = {**(report or {}), "timings": timer.to_dict()}
    upload.report_key, upload.rows_read, upload.rows_rejected, upload.rows_loaded = report_key, rows_read, rejected, 0
    db.session.commit()


# ---------------------------------------------------------------------------------------------------------
# Reports and deletion
# ---------------------------------------------------------------------------------------------------------


def upload_report(upload: Upload) -> dict:
    """Return what the upload detail page shows: identity, status, counts, error and the stage reports."""
    report = upload.report or {}
    return {
        "id": upload.id,
        "source": upload.source,
        "filename": upload.filename,
        "format": upload.format,
        "profile": upload.profile_name,
        "size": upload.file_size,
        "sha256": upload.file_sha256,
        "status": upload.status,
        "quarantine": upload.quarantine,
        "error": upload.error,
        "rows_read": upload.rows_read,
        "rows_loaded": upload.rows_loaded,
        "rows_rejected": upload.rows_rejected,
        "rows_quarantined": upload.rows_quarantined,
        "validation_report": bool(upload.report_key),
        "job_id": upload.job_id,
        "launched_by": upload.launched_by.email if upload.launched_by else None,
        "created_at": upload.created_at.isoformat() if upload.created_at else None,
        "finished_at": upload.finished_at.isoformat() if upload.finished_at else None,
        **{section: report.get(section, {}) for section in
           ("read", "validation", "patients", "anonymization", "vocabulary", "load", "timings")},
    }


def validation_report(upload: Upload) -> bytes | None:
    """Return the validation report CSV (row_number, field, reason; never cell values), or None."""
    if not upload.report_key:
        return None
    backend = raw_zone.storage()
    if not backend.exists(upload.report_key):
        return None
    with backend.open(upload.report_key) as handle:
        return handle.read()


def _job_active(upload: Upload) -> bool:
    """Return True when the upload's ingest job may still be running (a dead worker's job is not)."""
    from app.jobs.service import sync_with_rq
    from app.models import Job

    job = db.session.get(Job, upload.job_id) if upload.job_id else None
    return job is not None and sync_with_rq(job).is_active


def _lock_out_loads() -> None:
    """Take the warehouse lock exclusively for this transaction (PostgreSQL), or refuse while a load runs.

    Cases reference patients and uploads without foreign keys (migration 0004): a load in progress holds the
    lock shared, so waiting for it here guarantees that no patient it references is deleted as an orphan.
    SQLite serialises writers, which gives the same guarantee.
    """
    if db.engine.dialect.name != "postgresql":
        return
    if not db.session.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": WAREHOUSE_LOCK}):
        db.session.rollback()
        raise UploadRefused("Another upload is being loaded into the warehouse; delete this one when it has finished.")


def delete_upload(upload: Upload, *, user=None) -> dict:
    """Delete an upload and everything it loaded (and patients left without cases, and its raw file); audited."""
    if upload.status in (UploadStatus.QUEUED, UploadStatus.RUNNING) and _job_active(upload):
        raise UploadRefused(f"Upload #{upload.id} is {upload.status}; cancel its job before deleting it.")
    upload_id, storage_key, report_key = upload.id, upload.storage_key, upload.report_key
    _lock_out_loads()
    counts = {}
    cases_of_upload = select(Case.id).where(Case.upload_id == upload_id)
    for model in (Note, CaseDiagnosis, CaseSymptom):  # through their case: case_id is indexed, upload_id is not
        counts[model.__tablename__] = db.session.execute(
            delete(model).where(model.case_id.in_(cases_of_upload))).rowcount
    counts["cases"] = db.session.execute(delete(Case).where(Case.upload_id == upload_id)).rowcount
    orphans = delete(Patient).where(~exists().where(Case.patient_id == Patient.id))
    counts["patients"] = db.session.execute(orphans).rowcount
    details = {"source": upload.source, "filename": upload.filename, "cases": counts["cases"],
               "patients": counts["patients"]}
    db.session.delete(upload)
    shared = db.session.scalar(select(func.count(Upload.id)).where(Upload.storage_key == storage_key,
                                                                    Upload.id != upload_id))
    db.session.commit()
    backend = raw_zone.storage()
    if not shared:
        backend.delete(storage_key)
        backend.delete(raw_zone.name_key(storage_key))
    if report_key:
        backend.delete(report_key)
    audit.record("upload.delete", target=f"upload:{upload_id}", user=user, **details)
    db.session.commit()
    return counts


def raw_file(upload: Upload, *, user) -> tuple[bytes, str] | None:
    """Return the file as received and a safe name for it, audited; ``None`` when the raw zone no longer holds it."""
    backend = raw_zone.storage()
    if not backend.exists(upload.storage_key):
        return None
    audit.record("upload.raw_download", target=f"upload:{upload.id}", user=user)
    db.session.commit()
    with backend.open(upload.storage_key) as handle:
        content = handle.read()
    return content, safe_filename(raw_zone.original_name(upload.storage_key, upload.filename))
