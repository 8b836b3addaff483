"""Spanish and English: the switcher's choice first, then the browser's Accept-Language."""

from flask import current_app, has_request_context, request, session
from flask_babel import lazy_gettext as _l

from app.extensions import babel


def select_locale() -> str:
    """Pick the locale for this request (the default outside one: commands and jobs)."""
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    languages = current_app.config["LANGUAGES"]
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def init_app(app) -> None:
    """Bind Flask-Babel with dxflow's locale selector and catalogues."""
    babel.init_app(app, locale_selector=select_locale, default_translation_directories="translations")


# Words that reach templates as data (roles, job states); listed so the extractor puts them in the catalogue.
DATA_WORDS = (
    _l("clinician"), _l("admin"), _l("auditor"),
    _l("queued"), _l("running"), _l("finished"), _l("failed"), _l("canceled"),
)
