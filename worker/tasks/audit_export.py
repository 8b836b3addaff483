"""Export the audit log to a CSV file under the instance folder."""

from __future__ import annotations

import csv
import json
import uuid
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent

BATCH_SIZE = 500
FIELDS = ("id", "created_at", "actor", "action", "target", "details", "ip_address")


def run(progress, *, action: str | None = None) -> dict:
    """Write every audit event (optionally of one action) to ``exports/audit-<uuid>.csv``; return its path."""
    query = select(AuditEvent).order_by(AuditEvent.id)
    if action:
        query = query.where(AuditEvent.action == action)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    out_dir = Path(current_app.instance_path) / "exports"
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"audit-{uuid.uuid4().hex[:12]}.csv"
    written, last_id = 0, 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(FIELDS)
        # Keyset pages, not one cursor: progress() commits between pages.
        while batch := db.session.scalars(query.where(AuditEvent.id > last_id).limit(BATCH_SIZE)).all():
            writer.writerows(_row(event) for event in batch)
            written, last_id = written + len(batch), batch[-1].id
            progress(100 * written / max(total, 1), f"Exported {written} of {total} events")
    return {"file": str(path.relative_to(current_app.instance_path)), "rows": written}


def _row(event: AuditEvent) -> list:
    return [event.id, event.created_at.isoformat(), event.actor, event.action, event.target,
            json.dumps(event.details, sort_keys=True), event.ip_address or ""]
