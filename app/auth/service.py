"""Account services: authentication with throttling, logout, account creation and (de)activation.

Each records its audit event and commits.
"""

from __future__ import annotations

import secrets

from flask import current_app
from sqlalchemy import select

from app import audit
from app.extensions import db
from app.models import ROLES, User
from app.time import utcnow


class AccountError(ValueError):
    """An account cannot be created or changed as asked; the message says why."""


def authenticate(email: str, password: str) -> tuple[User | None, str]:
    """Check credentials; return the user and "" on success, or None and the reason ("invalid" | "locked")."""
    email = email.strip().lower()
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None or user.is_locked():
        reason = "invalid" if user is None else "locked"
    elif not user.check_password(password) or not user.active:
        _register_failure(user)
        reason = "locked" if user.is_locked() else "invalid"
    else:
        user.failed_logins = 0
        user.locked_until = None
        user.last_login_at = utcnow()
        audit.record("auth.login", target=user.email, user=user)
        db.session.commit()
        return user, ""
    audit.record("auth.login_failed", target=email, reason=reason)
    db.session.commit()
    return None, reason


def log_out(user: User) -> None:
    """Record that ``user`` logged out (the route ends the session)."""
    audit.record("auth.logout", target=user.email, user=user)
    db.session.commit()


def _register_failure(user: User) -> None:
    user.failed_logins += 1
    if user.failed_logins >= current_app.config["LOGIN_MAX_FAILURES"]:
        user.locked_until = utcnow() + current_app.config["LOGIN_LOCKOUT"]
        user.failed_logins = 0


def create_user(*, email: str, role: str, password: str | None = None, by: User | None = None,
                via: str = "admin") -> tuple[User, str]:
    """Create an active account; generate a password when none is given. Return the user and the password.

    ``by`` is the admin who asked (``None`` from the command line); ``via`` says where: "admin", "cli" or "seed".
    """
    email = email.strip().lower()
    if role not in ROLES:
        raise AccountError(f"Unknown role {role!r}; choose one of {', '.join(ROLES)}.")
    if "@" not in email or len(email) > 254:
        raise AccountError(f"{email!r} is not an e-mail address.")
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        raise AccountError(f"An account for {email} already exists.")
    password = password or secrets.token_urlsafe(12)
    if len(password) < 8:
        raise AccountError("Passwords need at least 8 characters.")
    user = User(email=email, role=role)
    user.set_password(password)
    db.session.add(user)
    audit.record("user.create", target=user.email, user=by, role=role, via=via)
    db.session.commit()
    return user, password


def set_active(user: User, active: bool, *, by: User) -> User:
    """Activate or deactivate ``user``; an admin cannot deactivate their own account."""
    if user.id == by.id and not active:
        raise AccountError("You cannot deactivate your own account.")
    user.active = active
    audit.record("user.activate" if active else "user.deactivate", target=user.email, user=by)
    db.session.commit()
    return user
