"""Per-user API tokens: shown once at creation, stored as a SHA-256 hash, revoked on the account page."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from app import audit
from app.extensions import db
from app.models import ApiToken, User
from app.time import utcnow

TOKEN_PREFIX = "dxf_"
MAX_ACTIVE_TOKENS = 10
LAST_USED_RESOLUTION = timedelta(minutes=1)


class TokenError(ValueError):
    """A token request the account page refuses; the message is shown to the user."""


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def create_token(user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token for ``user``; return the row and the plaintext, which is never stored."""
    name = (name or "").strip()[:80]
    if not name:
        raise TokenError(_("Give the token a name, e.g. the tool that will use it."))
    if len(active_tokens(user)) >= MAX_ACTIVE_TOKENS:
        raise TokenError(_("You already have %(n)s active tokens: revoke one first.", n=MAX_ACTIVE_TOKENS))
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, prefix=raw[:12], token_hash=_digest(raw))
    db.session.add(token)
    db.session.flush()
    audit.record("api_token.create", target=f"token {token.id}", user=user, name=name)
    db.session.commit()
    return token, raw


def revoke_token(user: User, token_id: int) -> ApiToken:
    """Revoke one of ``user``'s tokens."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise LookupError(token_id)
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record("api_token.revoke", target=f"token {token.id}", user=user)
        db.session.commit()
    return token


def active_tokens(user: User) -> list[ApiToken]:
    """Return the user's tokens that are not revoked, newest first."""
    query = select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    return list(db.session.scalars(query.order_by(ApiToken.id.desc())))


def user_for_token(raw: str) -> User | None:
    """Return the active user owning an unrevoked token, or ``None``."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 100:
        return None
    # One query for the token and its owner (the API path runs this on every request).
    row = db.session.execute(
        select(ApiToken, User).join(User, User.id == ApiToken.user_id).where(ApiToken.token_hash == _digest(raw))
    ).first()
    if row is None:
        return None
    token, user = row
    if token.revoked_at is not None or not user.active:
        return None
    now = utcnow()
    last = token.last_used_at
    if last is not None and last.tzinfo is None:  # SQLite drops the zone; values are stored in UTC
        last = last.replace(tzinfo=UTC)
    if last is None or now - last > LAST_USED_RESOLUTION:  # one write a minute, not one per API call
        token.last_used_at = now
        db.session.commit()
    return user
