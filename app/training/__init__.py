"""Training: launch runs (browser or ``flask train``), follow them, compare them; the models page of the registry."""

from flask import Blueprint

bp = Blueprint("training", __name__)

from app.training import routes  # noqa: E402,F401
