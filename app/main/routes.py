"""Home page and language switcher."""

from urllib.parse import urlsplit

from flask import current_app, redirect, render_template, request, session, url_for
from flask_login import login_required

from app.main import bp
from app.security import safe_redirect_path


@bp.get("/")
@login_required
def index():
    return render_template("main/index.html")


@bp.get("/lang/<code>")
def set_language(code: str):
    """Remember the chosen language in the session and go back where the user was."""
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    # Only the Referer's path and query are kept: the redirect never leaves this site, whatever the Host header.
    referrer = urlsplit(request.referrer or "")
    target = safe_redirect_path(referrer.path + (f"?{referrer.query}" if referrer.query else ""))
    return redirect(target or url_for("main.index"))
