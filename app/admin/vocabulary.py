"""The vocabulary review page: texts the normaliser could not map, and the admins' decisions on them."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from app.admin import bp
from app.admin.vocabulary_forms import IgnoreTermForm, MapTermForm
from app.auth.session import role_required
from app.extensions import db
from app.models.vocabulary import TERM_KINDS, TermStatus, UnmappedTerm
from app.pagination import paginate
from app.vocabulary.service import ignore_term, map_term, suggestions

LABELS = {
    "symptom": _l("symptom"),
    "disease": _l("disease"),
    "pending": _l("pending"),
    "mapped": _l("mapped"),
    "ignored": _l("ignored"),
}


@bp.get("/vocabulary")
@role_required("admin", "auditor")
def vocabulary():
    return _render_queue()


@bp.post("/vocabulary/<int:term_id>/map")
@role_required("admin")
def map_vocabulary_term(term_id: int):
    term = db.get_or_404(UnmappedTerm, term_id)
    form = MapTermForm(kind=term.kind)
    if not form.validate_on_submit():
        for error in form.target.errors or form.errors.get("csrf_token", []):
            flash(error, "error")
        return _render_queue(), 400
    map_term(term, form.resolved_id, user=current_user)
    flash(_("“%(text)s” now maps to %(id)s.", text=term.example, id=term.mapped_id), "info")
    return redirect(url_for("admin.vocabulary", **_filters()))


@bp.post("/vocabulary/<int:term_id>/ignore")
@role_required("admin")
def ignore_vocabulary_term(term_id: int):
    term = db.get_or_404(UnmappedTerm, term_id)
    if not IgnoreTermForm().validate_on_submit():
        flash(_("The form expired. Try again."), "error")
        return _render_queue(), 400
    ignore_term(term, user=current_user)
    flash(_("“%(text)s” is ignored from now on.", text=term.example), "info")
    return redirect(url_for("admin.vocabulary", **_filters()))


def _filters() -> dict:
    """Return the page's filters from the query string (or the form that posted back), with defaults."""
    kind = request.args.get("kind", "")
    status = request.args.get("status", TermStatus.PENDING)
    return {"kind": kind if kind in TERM_KINDS else "", "status": status if status in TermStatus.ALL else "pending"}


def _render_queue():
    filters = _filters()
    query = select(UnmappedTerm).where(UnmappedTerm.status == filters["status"])
    if filters["kind"]:
        query = query.where(UnmappedTerm.kind == filters["kind"])
    query = query.order_by(UnmappedTerm.count.desc(), UnmappedTerm.id)
    terms = paginate(query)
    can_decide = current_user.has_role("admin")
    guesses = {term.id: suggestions(term) for term in terms.items} if can_decide else {}
    return render_template(
        "admin/vocabulary.html",
        terms=terms,
        filters=filters,
        kinds=TERM_KINDS,
        statuses=TermStatus.ALL,
        guesses=guesses,
        can_decide=can_decide,
        labels=LABELS,
    )
