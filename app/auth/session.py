"""Flask-Login wiring (sessions revoked at logout) and the ``role_required`` decorator."""

from __future__ import annotations

from functools import wraps

from flask import abort, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.extensions import db, login_manager


def init_login(app) -> None:
    """Bind Flask-Login and say where to send anonymous users."""
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.blueprint_login_views = {"api": None}  # The JSON API answers 401 instead of redirecting.
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.request_loader(load_user_from_token)


@login_manager.user_loader
def load_user(user_id: str):
    """Return the user a session names (``"<id>:<session version>"``), or None once that version is revoked."""
    from app.models import User

    user_key, _, version = user_id.partition(":")
    if not (user_key.isdigit() and version.isdigit()):
        return None
    user = db.session.get(User, int(user_key))
    return user if user is not None and user.session_version == int(version) else None


def load_user_from_token(req):
    """Return the user of an ``Authorization: Bearer`` API token, for requests under /api/ only."""
    if not request.path.startswith("/api/"):
        return None
    scheme, _, raw = req.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        return None
    from app.auth.tokens import user_for_token

    return user_for_token(raw.strip())


def role_required(*roles: str):
    """Allow the view only to logged-in users holding one of ``roles``; others get 401/403."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
