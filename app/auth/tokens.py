"""Per-user API tokens: shown once at creation, stored as a SHA-256 hash, revoked on the account page.

Each web process remembers a token's owner for ``TOKEN_CACHE_SECONDS`` (the lookup was ~2.4 ms of an API
call's CPU): within that time the token is honoured without a query. Revoking a token or deactivating a user
forgets every remembered token of this process at once; another process honours a revoked token for at most
``TOKEN_CACHE_SECONDS`` more. ``0`` looks the token up on every request.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from datetime import UTC, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import inspect, select
from sqlalchemy.orm import make_transient_to_detached

from app import audit
from app.extensions import db
from app.models import ApiToken, User
from app.time import utcnow

TOKEN_PREFIX = "dxf_"
MAX_ACTIVE_TOKENS = 10
LAST_USED_RESOLUTION = timedelta(minutes=1)


class TokenError(ValueError):
    """A token request the account page refuses; the message is shown to the user."""


_remembered: dict[str, tuple[float, dict]] = {}  # token digest -> (monotonic expiry, the owner's columns)
_remembered_lock = threading.Lock()


def forget_tokens() -> None:
    """Forget every token owner this process remembers (after a revocation or an account change)."""
    with _remembered_lock:
        _remembered.clear()


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
        forget_tokens()
    return token


def active_tokens(user: User) -> list[ApiToken]:
    """Return the user's tokens that are not revoked, newest first."""
    query = select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    return list(db.session.scalars(query.order_by(ApiToken.id.desc())))


def user_for_token(raw: str) -> User | None:
    """Return the active user owning an unrevoked token, or ``None``."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 100:
        return None
    digest = _digest(raw)
    remembered = _remembered.get(digest)
    if remembered is not None and remembered[0] > time.monotonic():
        return _attached(remembered[1])
    # One query for the token and its owner.
    row = db.session.execute(
        select(ApiToken, User).join(User, User.id == ApiToken.user_id).where(ApiToken.token_hash == digest)
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
    seconds = float(current_app.config["TOKEN_CACHE_SECONDS"])
    if seconds > 0:
        columns = {attribute.key: getattr(user, attribute.key) for attribute in inspect(User).column_attrs}
        with _remembered_lock:
            _remembered[digest] = (time.monotonic() + seconds, columns)
    return user


def _attached(columns: dict) -> User:
    """Return the remembered owner as a user of this request's session, without a query."""
    user = User(**columns)
    make_transient_to_detached(user)
    return db.session.merge(user, load=False)
