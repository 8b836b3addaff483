"""Export the audit log to a CSV file in the shared store; the work is :func:`app.admin.service.export_audit_log`."""

from __future__ import annotations

from app.admin.service import export_audit_log


def run(progress, *, action: str | None = None) -> dict:
    """Write every audit event (optionally of one action) to ``exports/audit-<uuid>.csv``; return its key."""
    return export_audit_log(progress, action=action)
