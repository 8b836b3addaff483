"""Home page and language switcher."""

from flask import current_app, redirect, render_template, request, session, url_for
from flask_login import login_required

from app.main import bp


@bp.get("/")
@login_required
def index():
    return render_template("main/index.html")


@bp.get("/lang/<code>")
def set_language(code: str):
    """Remember the chosen language in the session and go back where the user was."""
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    target = request.referrer or ""
    if not target.startswith(request.host_url):
        target = url_for("main.index")
    return redirect(target)
