"""WSGI entry point: ``gunicorn wsgi:app``. A configuration error stops start-up with one line."""

import sys

from app import create_app
from config import ConfigError

try:
    app = create_app()
except ConfigError as error:
    sys.exit(f"dxflow: {error}")
