"""Administration services: accounts and the audit log export.

Each function that changes state writes its audit record and commits; routes and commands only call them.
The audit export writes a CSV file to the shared store (``STORAGE_URL``, under ``exports/``) — the one the raw
zone uses (a local folder, or S3/MinIO), so a worker on any host writes where the web app can read it back.
"""

from __future__ import annotations

import io
import json
import tempfile
import uuid

from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent
from app.warehouse.raw_zone import storage
from ml import safe_csv

EXPORT_BATCH_SIZE = 500
EXPORT_FIELDS = ("id", "created_at", "actor", "action", "target", "details", "ip_address")


def export_audit_log(progress, *, action: str | None = None) -> dict:
    """Write every audit event (optionally of one action) to ``exports/audit-<uuid>.csv``; return its key."""
    query = select(AuditEvent).order_by(AuditEvent.id)
    if action:
        query = query.where(AuditEvent.action == action)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    written, last_id = 0, 0
    with tempfile.TemporaryFile() as spool:
        text = io.TextIOWrapper(spool, encoding="utf-8", newline="")
        writer = safe_csv.writer(text)  # targets of failed logins are whatever the visitor typed
        writer.writerow(EXPORT_FIELDS)
        # Keyset pages, not one cursor: progress() commits between pages.
        while batch := db.session.scalars(query.where(AuditEvent.id > last_id).limit(EXPORT_BATCH_SIZE)).all():
            writer.writerows(_row(event) for event in batch)
            written, last_id = written + len(batch), batch[-1].id
            progress(100 * written / max(total, 1), f"Exported {written} of {total} events")
        text.flush()
        spool.seek(0)
        key = storage().put(f"exports/audit-{uuid.uuid4().hex[:12]}.csv", spool)
        text.detach()
    return {"file": key, "rows": written}


def _row(event: AuditEvent) -> list:
    return [event.id, event.created_at.isoformat(), event.actor, event.action, event.target,
            json.dumps(event.details, sort_keys=True), event.ip_address or ""]
