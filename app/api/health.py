"""``GET /healthz``: 200 while the web app can serve, with the state of its dependencies."""

from flask import jsonify
from sqlalchemy import text

from app.api import health_bp
from app.extensions import db, queue


@health_bp.get("/healthz")
def healthz():
    return jsonify(status="ok", database=_database_status(), redis=_redis_status(), model=_model_status())


def _database_status() -> str:
    try:
        db.session.execute(text("SELECT 1"))
        return "ok"
    except Exception:  # noqa: BLE001 - any failure means "down" for a health check.
        db.session.rollback()
        return "unavailable"


def _redis_status() -> str:
    if queue.inline:
        return "inline"
    queue.forget_availability()
    return "ok" if queue.available() else "unavailable"


def _model_status() -> str:
    # The model registry arrives with the training issue; until a champion exists there is none.
    return "none"
