"""WSGI entry point: ``gunicorn wsgi:app``. A configuration error stops start-up with one line."""

import sys

from app import create_app
from app.registry.service import warm_up
from config import ConfigError

try:
    app = create_app()
except ConfigError as error:
    sys.exit(f"dxflow: {error}")

warm_up(app)  # Web processes load the champion at start; current_predictor() then follows promotions.
