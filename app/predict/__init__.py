"""The clinician prediction page: ``GET /predict`` with the whole state in the query string."""

from flask import Blueprint

bp = Blueprint("predict", __name__)

from app.predict import routes  # noqa: E402,F401
