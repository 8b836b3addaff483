"""Accounts: users with one role each, Argon2id password hashes, session versions and login throttling state."""

from __future__ import annotations

import contextlib
import secrets
from datetime import UTC, datetime
from functools import cache

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_login import UserMixin
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.time import utcnow

ROLES = ("clinician", "admin", "auditor")


@cache
def password_hasher(profile: str) -> PasswordHasher:
    """Return an Argon2id hasher with the named argon2-cffi parameter profile (e.g. RFC_9106_LOW_MEMORY)."""
    return PasswordHasher.from_parameters(getattr(profiles, profile))


@cache
def _dummy_hash(profile: str) -> str:
    return password_hasher(profile).hash(secrets.token_urlsafe(16))


def check_password_of_nobody(password: str) -> bool:
    """Verify ``password`` against a throw-away hash, so an unknown e-mail costs the time of a known one; False."""
    profile = current_app.config["PASSWORD_HASH_PROFILE"]
    with contextlib.suppress(VerificationError, InvalidHashError):
        password_hasher(profile).verify(_dummy_hash(profile), password)
    return False


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True, index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    # Every session cookie carries it (see get_id); logging out bumps it, so no earlier cookie is accepted again.
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")

    def set_password(self, password: str) -> None:
        """Store an Argon2id hash of ``password``."""
        self.password_hash = password_hasher(current_app.config["PASSWORD_HASH_PROFILE"]).hash(password)

    def check_password(self, password: str) -> bool:
        """Return whether ``password`` matches the stored hash."""
        try:
            # The hash carries its own parameters, so any profile verifies it.
            return password_hasher("RFC_9106_LOW_MEMORY").verify(self.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users.
        return self.active

    def has_role(self, *roles: str) -> bool:
        """Return whether the user holds one of ``roles``."""
        return self.role in roles

    def get_id(self) -> str:
        """Return what the session keeps: the id and the session version (``"12:3"``)."""
        return f"{self.id}:{self.session_version}"

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class LoginThrottle(db.Model):
    """Failed logins per e-mail, whether or not an account has it (the answer must not tell which)."""

    __tablename__ = "login_throttles"

    email: Mapped[str] = mapped_column(String(254), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    last_failure_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    def is_locked(self, now: datetime | None = None) -> bool:
        """Return whether repeated failed logins currently lock this e-mail."""
        if self.locked_until is None:
            return False
        locked_until = self.locked_until
        if locked_until.tzinfo is None:  # SQLite drops the zone; values are always stored in UTC.
            locked_until = locked_until.replace(tzinfo=UTC)
        return (now or utcnow()) < locked_until
