"""Background jobs: list, detail with live progress, cancel and retry."""

from flask import Blueprint

bp = Blueprint("jobs", __name__)

from app.jobs import routes  # noqa: E402,F401
