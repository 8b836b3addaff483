"""Login and logout pages, and the account page with its API tokens."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from app.auth import bp
from app.auth.forms import LoginForm, TokenForm
from app.auth.service import authenticate, log_out
from app.auth.tokens import TokenError, active_tokens, create_token, revoke_token
from app.security import safe_redirect_path


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("auth/login.html", form=form), status
    user, reason = authenticate(form.email.data, form.password.data)
    if user is None:
        if reason == "locked":
            flash(_("Too many failed attempts. Try again in a few minutes."), "error")
            return render_template("auth/login.html", form=form), 429
        flash(_("Invalid e-mail or password."), "error")
        return render_template("auth/login.html", form=form), 401
    login_user(user, remember=form.remember.data)
    return redirect(_safe_next(request.args.get("next")))


@bp.post("/logout")
@login_required
def logout():
    log_out(current_user._get_current_object())
    logout_user()
    flash(_("You have been logged out."), "info")
    return redirect(url_for("auth.login"))


def _safe_next(target: str | None) -> str:
    """Follow ``next`` only to a safe path on this site."""
    return safe_redirect_path(target) or url_for("main.index")


@bp.get("/account")
@login_required
def account():
    return render_template("auth/account.html", form=TokenForm(), tokens=active_tokens(current_user), new_token=None)


@bp.post("/account/tokens")
@login_required
def create_api_token():
    form = TokenForm()
    user = current_user._get_current_object()
    if not form.validate_on_submit():
        return render_template("auth/account.html", form=form, tokens=active_tokens(user), new_token=None), 400
    try:
        _token, raw = create_token(user, form.name.data)
    except TokenError as error:
        flash(str(error), "error")
        return render_template("auth/account.html", form=form, tokens=active_tokens(user), new_token=None), 400
    # The plaintext is shown once, in this response, and never stored.
    return render_template("auth/account.html", form=TokenForm(formdata=None), tokens=active_tokens(user),
                           new_token=raw), 201


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_api_token(token_id: int):
    try:
        revoke_token(current_user._get_current_object(), token_id)
    except LookupError:
        abort(404)
    flash(_("The token is revoked."), "info")
    return redirect(url_for("auth.account"))
