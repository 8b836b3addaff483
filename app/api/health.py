"""``GET /healthz``: 200 while the web app can serve, with the state of its dependencies."""

from flask import jsonify
from sqlalchemy import text

from app.api import health_bp
from app.extensions import db, queue
from app.registry.service import serving_status


@health_bp.get("/healthz")
def healthz():
    return jsonify(status="ok", database=_database_status(), redis=_redis_status(), **_model_status())


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


def _model_status() -> dict:
    """Return ``model`` (ok, none, or refused: the champion's signature does not verify) and the version served."""
    try:
        return serving_status()
    except Exception:  # noqa: BLE001 - the database being down is reported above.
        db.session.rollback()
        return {"model": "unavailable"}
