"""Administration: users, the audit log and, later, datasets, training and models."""

from flask import Blueprint

bp = Blueprint("admin", __name__)

from app.admin import routes, uploads, vocabulary  # noqa: E402,F401
