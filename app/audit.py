"""Write the audit log. Every state-changing service calls :func:`record` exactly once, then commits.

The record joins the caller's transaction, so the change and its audit event are stored together or not at all.
"""

from __future__ import annotations

from flask import has_request_context, request
from flask_login import current_user

from app.extensions import db
from app.models import AuditEvent, User


def record(action: str, *, target: str = "", user: User | None = None, **details) -> AuditEvent:
    """Add an audit event for ``action`` on ``target`` by ``user`` (default: the logged-in user) to the session.

    The caller commits it with the change it records.

    ``details`` must be small and never hold patient data: ids, counts, names of files and models.
    """
    actor = user if user is not None else _request_user()
    event = AuditEvent(
        user_id=actor.id if actor else None,
        actor=actor.email if actor else "system",
        action=action,
        target=str(target)[:254],
        details=details,
        ip_address=request.remote_addr if has_request_context() else None,
    )
    db.session.add(event)
    return event


def _request_user() -> User | None:
    if has_request_context() and current_user.is_authenticated:
        return current_user._get_current_object()
    return None
