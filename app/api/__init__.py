"""The JSON API under /api/v1, and the health check at /healthz."""

from flask import Blueprint

bp = Blueprint("api", __name__)
health_bp = Blueprint("health", __name__)

from app.api import health, jobs, openapi, predict, vocabulary  # noqa: E402,F401
