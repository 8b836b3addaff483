"""Error pages in both languages, and JSON errors for /api/..."""

from flask import current_app, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException, InternalServerError

from app.extensions import db

TITLES = {
    400: _l("Bad request"),
    401: _l("Please log in"),
    403: _l("Forbidden"),
    404: _l("Page not found"),
    405: _l("Method not allowed"),
    413: _l("File too large"),
    429: _l("Too many requests"),
    500: _l("Something went wrong"),
    503: _l("Service unavailable"),
}
MESSAGES = {
    400: _l("The request could not be understood. Check the form and try again."),
    401: _l("You need to log in to see this."),
    403: _l("Your role does not allow this action."),
    404: _l("There is nothing at this address."),
    405: _l("This address does not accept that kind of request."),
    413: _l("The upload is larger than the limit."),
    429: _l("Too many attempts. Wait a few minutes and try again."),
    500: _l("An unexpected error happened. It has been logged."),
    503: _l("A service dxflow depends on is not answering right now."),
}


def wants_json() -> bool:
    """Return whether the request is for the JSON API."""
    return request.path.startswith("/api/")


def handle_http_error(error: HTTPException):
    code = error.code or 500
    if code >= 500:
        db.session.rollback()
    message = str(MESSAGES.get(code, error.description))
    if error.description and error.description != type(error).description:
        message = error.description  # A message the view chose is more specific than the generic one.
    if wants_json():
        return jsonify(error=str(TITLES.get(code, error.name)), message=message, status=code), code
    return render_template("errors/error.html", code=code, title=TITLES.get(code, error.name), message=message), code


def handle_unexpected_error(error: Exception):
    current_app.logger.exception("Unhandled error on %s %s", request.method, request.path)
    return handle_http_error(InternalServerError(original_exception=error))


def init_app(app) -> None:
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected_error)
