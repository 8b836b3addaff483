"""Source profiles stored in the database: the built-in ones for the demo sources, and the admins' own."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select

from app import audit
from app.extensions import db
from app.models import SourceProfileRecord
from app.time import utcnow
from ml.ingest import SourceProfile
from ml.synthetic import BUILTIN_PROFILES


class ProfileError(ValueError):
    """A profile is unknown or invalid; the message says why."""


def get_profile(name: str) -> SourceProfile:
    """Return the profile called ``name``: the stored one, else the built-in one; raise ProfileError."""
    record = db.session.scalar(select(SourceProfileRecord).where(SourceProfileRecord.name == name))
    if record is not None:
        return SourceProfile.from_dict(record.profile)
    if name in BUILTIN_PROFILES:
        return BUILTIN_PROFILES[name]
    raise ProfileError(f"There is no source profile called {name!r}.")


def profile_names() -> list[str]:
    """Return the names of every usable profile (stored and built-in), sorted."""
    stored = db.session.scalars(select(SourceProfileRecord.name)).all()
    return sorted({*stored, *BUILTIN_PROFILES})


def list_profiles() -> list[SourceProfileRecord]:
    """Return the stored profiles, storing the built-in ones first so the admin page can edit them."""
    ensure_builtin_profiles()
    return list(db.session.scalars(select(SourceProfileRecord).order_by(SourceProfileRecord.name)))


def ensure_builtin_profiles() -> None:
    """Store each built-in profile that is not in the database yet."""
    stored = set(db.session.scalars(select(SourceProfileRecord.name)))
    missing = [profile for name, profile in BUILTIN_PROFILES.items() if name not in stored]
    for profile in missing:
        db.session.add(SourceProfileRecord(name=profile.name, profile=profile.to_dict(), builtin=True))
    if missing:
        db.session.commit()


def save_profile(data: Mapping | SourceProfile, *, user=None) -> SourceProfileRecord:
    """Create or replace the profile named in ``data`` (a ``SourceProfile`` or its dict); audited.

    Raises ProfileError with a message for the admin when the profile is invalid (unknown fields, a bad
    layout, a mapping onto a non-canonical field).
    """
    try:
        profile = data if isinstance(data, SourceProfile) else SourceProfile.from_dict(dict(data))
    except (TypeError, ValueError) as error:
        raise ProfileError(f"Invalid source profile: {error}") from error
    name = (profile.name or "").strip()
    if not name or len(name) > 100:
        raise ProfileError("A source profile needs a name of 1 to 100 characters.")
    profile.name = name
    record = db.session.scalar(select(SourceProfileRecord).where(SourceProfileRecord.name == name))
    created = record is None
    if created:
        record = SourceProfileRecord(name=name, builtin=name in BUILTIN_PROFILES)
        db.session.add(record)
    record.profile, record.updated_by, record.updated_at = profile.to_dict(), user, utcnow()
    audit.record("profile.create" if created else "profile.update", target=f"profile:{name}", user=user)
    db.session.commit()
    return record
