"""Account services: authentication with throttling, and account creation."""

from __future__ import annotations

import secrets

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.extensions import db
from app.models import ROLES, LoginThrottle, User
from app.models.accounts import check_password_of_nobody, utcnow


class AccountError(ValueError):
    """An account cannot be created or changed as asked; the message says why."""


def authenticate(email: str, password: str) -> tuple[User | None, str]:
    """Check credentials; return the user and "" on success, or None and the reason ("invalid" | "locked").

    Known and unknown e-mails take the same path: a password hash is verified for both (against a throw-away
    hash when there is no account) and failures are counted per e-mail, so neither the time taken nor a lockout
    tells whether an account exists.
    """
    email = email.strip().lower()[:254]
    throttle = db.session.get(LoginThrottle, email)
    if throttle is not None and throttle.is_locked():
        return None, "locked"
    user = db.session.scalar(select(User).where(User.email == email))
    valid = user.check_password(password) if user is not None else check_password_of_nobody(password)
    if not valid or not user.active:
        return None, "locked" if _register_failure(email) else "invalid"
    if throttle is not None:
        db.session.delete(throttle)
    user.last_login_at = utcnow()
    db.session.commit()
    return user, ""


def _register_failure(email: str) -> bool:
    """Count a failed login for ``email`` (atomically: attempts may run in parallel); return whether it locks."""
    now, config = utcnow(), current_app.config
    # Counts older than the lockout are forgotten: the table holds only e-mails tried recently.
    db.session.execute(delete(LoginThrottle).where(LoginThrottle.last_failure_at < now - config["LOGIN_LOCKOUT"]),
                       execution_options={"synchronize_session": False})  # rows are read again below
    insert = postgresql_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    table = LoginThrottle.__table__
    db.session.execute(insert(table).values(email=email, failures=1, last_failure_at=now).on_conflict_do_update(
        index_elements=[table.c.email], set_={"failures": table.c.failures + 1, "last_failure_at": now}))
    throttle = db.session.get(LoginThrottle, email, populate_existing=True)
    locked = throttle.failures >= config["LOGIN_MAX_FAILURES"]
    if locked:
        throttle.failures, throttle.locked_until = 0, now + config["LOGIN_LOCKOUT"]
    db.session.commit()
    return locked


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
