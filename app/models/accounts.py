"""Accounts: users with one role each, Argon2id password hashes and login throttling state."""

from __future__ import annotations

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


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True, index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]

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

    def is_locked(self, now: datetime | None = None) -> bool:
        """Return whether repeated failed logins currently lock the account."""
        if self.locked_until is None:
            return False
        locked_until = self.locked_until
        if locked_until.tzinfo is None:  # SQLite drops the zone; values are always stored in UTC.
            locked_until = locked_until.replace(tzinfo=UTC)
        return (now or utcnow()) < locked_until

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"
