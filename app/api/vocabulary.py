"""Term and disease autocomplete for forms: ``GET /api/v1/terms?q=fieb&lang=es`` and ``/api/v1/diseases?q=``."""

from flask import abort, jsonify, request
from flask_babel import get_locale
from flask_babel import gettext as _

from app.api import bp
from app.auth.session import role_required
from app.vocabulary.service import current_vocabulary

MAX_QUERY_CHARS = 200
LANGUAGES = ("en", "es")
DEFAULT_LIMIT, MAX_LIMIT = 10, 50


@bp.get("/terms")
@role_required("clinician", "admin", "auditor")
def terms():
    return jsonify(_complete("symptom"))


@bp.get("/diseases")
@role_required("clinician", "admin", "auditor")
def diseases():
    return jsonify(_complete("disease"))


def _complete(kind: str) -> list[dict]:
    """Validate ``q``, ``lang`` and ``limit`` and return the best completions."""
    query = request.args.get("q", "").strip()
    if not query:
        abort(400, _("Give the text to complete in the q parameter."))
    if len(query) > MAX_QUERY_CHARS:
        abort(400, _("The q parameter is longer than %(n)s characters.", n=MAX_QUERY_CHARS))
    lang = request.args.get("lang") or str(get_locale())
    if lang not in LANGUAGES:
        abort(400, _("lang must be one of: %(langs)s.", langs=", ".join(LANGUAGES)))
    limit = _limit(request.args.get("limit"))
    if limit is None or not 1 <= limit <= MAX_LIMIT:
        abort(400, _("limit must be a number from 1 to %(n)s.", n=MAX_LIMIT))
    return current_vocabulary().autocomplete(query, lang=lang, limit=limit, kind=kind)


def _limit(raw: str | None) -> int | None:
    """Return the ``limit`` parameter as a number (the default when absent), or None when it is not one."""
    if raw is None:
        return DEFAULT_LIMIT
    try:
        return int(raw)
    except ValueError:
        return None
