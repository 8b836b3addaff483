"""Monitoring: drift and live performance of the serving model, alerts, retraining, the auditors' dashboard."""

from flask import Blueprint

bp = Blueprint("monitoring", __name__)

from app.monitoring import routes  # noqa: E402,F401
