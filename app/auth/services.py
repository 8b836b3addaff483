"""Account services: authentication with throttling, and account creation."""

from __future__ import annotations

import secrets

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.models import ROLES, User
from app.models.accounts import utcnow


class AccountError(ValueError):
    """An account cannot be created or changed as asked; the message says why."""


def authenticate(email: str, password: str) -> tuple[User | None, str]:
    """Check credentials; return the user and "" on success, or None and the reason ("invalid" | "locked")."""
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        return None, "invalid"
    if user.is_locked():
        return None, "locked"
    if not user.check_password(password) or not user.active:
        _register_failure(user)
        return None, "locked" if user.is_locked() else "invalid"
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = utcnow()
    db.session.commit()
    return user, ""


def _register_failure(user: User) -> None:
    user.failed_logins += 1
    if user.failed_logins >= current_app.config["LOGIN_MAX_FAILURES"]:
        user.locked_until = utcnow() + current_app.config["LOGIN_LOCKOUT"]
        user.failed_logins = 0
    db.session.commit()


def create_user(*, email: str, role: str, password: str | None = None) -> tuple[User, str]:
    """Create an active account; generate a password when none is given. Return the user and the password."""
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
    db.session.commit()
    return user, password
