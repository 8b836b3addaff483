"""The warehouse: uploads and their lineage, source profiles, and the anonymous clinical tables.

Nothing here holds a patient identifier: patients are keyed by their HMAC pseudonym, dates are reduced to a
year, ages to an age group, ZIP codes to three digits, notes are scrubbed. Every clinical row carries the
``upload_id`` it came from, so deleting an upload deletes exactly what it loaded (and the patients left without
cases). Raw files stay in the raw zone (``app.warehouse.raw_zone``), referenced by ``storage_key``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.accounts import User
from app.time import utcnow

# The rows under a case (symptoms, diagnoses, notes) carry their case_id (indexed: training reads symptoms by
# case) and their upload_id (lineage), without foreign keys. Only the loader writes them, in the same transaction
# as the cases it has just created, and only delete_upload removes them, through their cases. A per-row foreign
# key check would cost several times the rest of the load (measured in bench/bench_ingest.py; ~500,000 child
# rows per 100,000 cases), and the issue asks for 20,000 rows/s.
CHILD_ROWS_NOTE = "case_symptoms, case_diagnoses and notes reference cases without a foreign key"

# Cases reference their patient and upload without foreign keys either (migration 0004): the two per-row checks
# were half of the load time. The loader takes the ids of the patients it has just merged and checks its upload
# once, holding app.warehouse.loader.WAREHOUSE_LOCK shared; delete_upload deletes under that lock, exclusively,
# so a deletion never removes a patient or an upload that a load in progress references.
CASES_NOTE = "cases reference patients and uploads without a foreign key"


class UploadStatus:
    PENDING = "pending"  # stored in the raw zone, no job yet
    QUEUED = "queued"
    RUNNING = "running"
    LOADED = "loaded"
    FAILED = "failed"

    ALL = (PENDING, QUEUED, RUNNING, LOADED, FAILED)
    # A file whose upload is in one of these states is not accepted again (same content hash).
    BLOCKING = (PENDING, QUEUED, RUNNING, LOADED)


class Upload(db.Model):
    """One file received from one source, and what its ingestion did."""

    __tablename__ = "uploads"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(100), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    file_sha256: Mapped[str] = mapped_column(String(64), index=True)
    file_size: Mapped[int] = mapped_column(BigInteger, default=0)
    storage_key: Mapped[str] = mapped_column(String(255))
    format: Mapped[str | None] = mapped_column(String(16))
    profile_name: Mapped[str | None] = mapped_column(String(100))
    quarantine: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(16), default=UploadStatus.PENDING, index=True)
    rows_read: Mapped[int] = mapped_column(default=0)
    rows_loaded: Mapped[int] = mapped_column(default=0)
    rows_rejected: Mapped[int] = mapped_column(default=0)
    rows_quarantined: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)
    report: Mapped[dict] = mapped_column(JSON, default=dict)
    report_key: Mapped[str | None] = mapped_column(String(255))
    launched_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    finished_at: Mapped[datetime | None]

    launched_by: Mapped[User | None] = relationship()


class SourceProfileRecord(db.Model):
    """A source profile (``ml.ingest.SourceProfile.to_dict()``) as stored and edited by admins."""

    __tablename__ = "source_profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    profile: Mapped[dict] = mapped_column(JSON, default=dict)
    builtin: Mapped[bool] = mapped_column(default=False)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    updated_by: Mapped[User | None] = relationship()


class Patient(db.Model):
    """One person across sources, known only by a keyed pseudonym."""

    __tablename__ = "patients"

    id: Mapped[int] = mapped_column(primary_key=True)
    pseudonym: Mapped[str] = mapped_column(String(32), unique=True)
    sex: Mapped[str | None] = mapped_column(String(16))
    # "*" once two uploads disagree or k-anonymity generalised it.
    zip3: Mapped[str | None] = mapped_column(String(8))


class Case(db.Model):
    """One visit (one source record): when, how old, vitals in SI units."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(index=True)  # see CASES_NOTE
    upload_id: Mapped[int] = mapped_column(index=True)  # see CASES_NOTE
    source: Mapped[str] = mapped_column(String(100))
    row_number: Mapped[int | None]
    year: Mapped[str | None] = mapped_column(String(8))  # "2024", or a decade ("2020s") after generalisation
    age_group: Mapped[str | None] = mapped_column(String(16))
    temperature_c: Mapped[float | None]
    temperature_band: Mapped[str | None] = mapped_column(String(24))
    weight_kg: Mapped[float | None]
    height_cm: Mapped[float | None]

    patient: Mapped[Patient] = relationship(primaryjoin="foreign(Case.patient_id) == Patient.id")


class CaseSymptom(db.Model):
    """An HPO phenotype recorded present or absent in a case, with its severity when the source gave one."""

    __tablename__ = "case_symptoms"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(index=True)  # see CHILD_ROWS_NOTE
    upload_id: Mapped[int]
    hpo_id: Mapped[str] = mapped_column(String(16))
    present: Mapped[bool] = mapped_column(default=True)
    severity: Mapped[float | None]


class CaseDiagnosis(db.Model):
    """A diagnosis of a case, as a dxflow disease id (``ICD10:K21.9``, ``ORPHA:558``, ``OMIM:154700``)."""

    __tablename__ = "case_diagnoses"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(index=True)  # see CHILD_ROWS_NOTE
    upload_id: Mapped[int]
    disease_id: Mapped[str] = mapped_column(String(64))
    code_system: Mapped[str] = mapped_column(String(16))


class Note(db.Model):
    """The scrubbed free text of a case."""

    __tablename__ = "notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(index=True)  # see CHILD_ROWS_NOTE
    upload_id: Mapped[int]
    text: Mapped[str] = mapped_column(Text)


# Training reads the cases of one disease (and of one upload, and the symptoms of each case: indexed above).
Index("ix_case_diagnoses_disease_id_case_id", CaseDiagnosis.disease_id, CaseDiagnosis.case_id)

# The same file (content hash) is never accepted twice while an upload of it blocks (see UploadStatus.BLOCKING):
# the database refuses the second of two simultaneous uploads that both passed _refuse_duplicates.
_BLOCKING = Upload.status.in_(UploadStatus.BLOCKING)
Index("uq_uploads_file_sha256_blocking", Upload.file_sha256, unique=True, postgresql_where=_BLOCKING,
      sqlite_where=_BLOCKING)

WAREHOUSE_TABLES = (Note, CaseDiagnosis, CaseSymptom, Case)
