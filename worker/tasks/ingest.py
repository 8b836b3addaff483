"""Ingest one upload into the warehouse: read, validate, anonymise, map the vocabulary, load."""

from __future__ import annotations

from app.warehouse.service import ingest_upload


def run(progress, *, upload_id: int) -> dict:
    """Load upload ``upload_id`` completely or not at all; return its counts (never patient data)."""
    return ingest_upload(upload_id, progress, job_id=progress.job_row.id)
