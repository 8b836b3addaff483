"""Values every template sees: the navigation for the user's role and whether jobs can run."""

from __future__ import annotations

from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.extensions import queue

# (endpoint, label, roles allowed); later blueprints add their entries here.
NAVIGATION = [
    ("main.index", _l("Home"), ("clinician", "admin", "auditor")),
    ("predict.predict", _l("Differential diagnosis"), ("clinician", "admin")),
    ("admin.index", _l("Administration"), ("admin",)),
    ("monitoring.audit", _l("Audit log"), ("admin", "auditor")),
    ("jobs.index", _l("Jobs"), ("admin", "auditor")),
    ("training.runs", _l("Training"), ("admin", "auditor")),
    ("admin.vocabulary", _l("Vocabulary"), ("admin", "auditor")),
    ("admin.uploads", _l("Uploads"), ("admin", "auditor")),
    ("eda.index", _l("Data analysis"), ("admin", "auditor")),
    ("monitoring.dashboard", _l("Monitoring"), ("admin", "auditor")),
]


def navigation_for(user) -> list[tuple[str, str]]:
    """Return the (endpoint, label) pairs the user's role may open."""
    if not user.is_authenticated:
        return []
    return [(endpoint, label) for endpoint, label, roles in NAVIGATION if user.role in roles]


def init_app(app) -> None:
    @app.context_processor
    def inject_layout():
        return {
            "navigation": navigation_for(current_user),
            "jobs_available": queue.available(),
            "current_locale": str(get_locale()),
            "languages": current_app.config["LANGUAGES"],
        }
