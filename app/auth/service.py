"""Account services: authentication with throttling, logout, account creation and (de)activation.

Each records its audit event and commits.
"""

from __future__ import annotations

import secrets

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app import audit
from app.auth.tokens import forget_tokens
from app.extensions import db
from app.models import ROLES, LoginThrottle, User
from app.models.accounts import check_password_of_nobody
from app.time import utcnow


class AccountError(ValueError):
    """An account cannot be created or changed as asked; the message says why."""


def authenticate(email: str, password: str) -> tuple[User | None, str]:
    """Check credentials, audited; return the user and "" on success, or None and the reason ("invalid" | "locked").

    Known and unknown e-mails take the same path: a password hash is verified for both (against a throw-away
    hash when there is no account) and failures are counted per e-mail, so neither the time taken nor a lockout
    tells whether an account exists.
    """
    email = email.strip().lower()[:254]
    throttle = db.session.get(LoginThrottle, email)
    if throttle is not None and throttle.is_locked():
        reason = "locked"
    else:
        user = db.session.scalar(select(User).where(User.email == email))
        valid = user.check_password(password) if user is not None else check_password_of_nobody(password)
        if valid and user.active:
            if throttle is not None:
                db.session.delete(throttle)
            user.last_login_at = utcnow()
            audit.record("auth.login", target=user.email, user=user)
            db.session.commit()
            return user, ""
        reason = "locked" if _register_failure(email) else "invalid"
    # The target is whatever the visitor typed: stored as given, neutralised by the CSV writer on export.
    audit.record("auth.login_failed", target=email, reason=reason)
    db.session.commit()
    return None, reason


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
    return locked


def log_out(user: User) -> None:
    """End every session and remember-me cookie of ``user`` issued so far, audited (the route clears this one)."""
    user.session_version += 1
    audit.record("auth.logout", target=user.email, user=user)
    db.session.commit()
    forget_tokens()


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
    forget_tokens()  # a deactivated user's tokens stop working in this process at once
    return user
