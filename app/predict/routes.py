"""``GET /predict``: the form, and the differential once anything is entered (a plain GET, no JavaScript needed)."""

import math
from functools import partial

from flask import render_template, request
from flask_babel import get_locale
from flask_login import current_user

from app.auth.session import role_required
from app.predict import bp
from app.predict.forms import PredictForm
from app.predict.service import predict as run_prediction
from app.predict.urls import answer_url, replace_url


@bp.get("/predict")
@role_required("clinician", "admin")
def predict():
    form = PredictForm.from_args(request.args, default_lang=str(get_locale()))
    result = run_prediction(form, user=current_user, channel="page") if form.submitted and not form.errors else None
    labels = {finding.hpo_id: finding.name for finding in result.findings} if result else {}
    page = render_template(
        "predict/page.html",
        form=form,
        result=result,
        labels=labels,
        answer_url=partial(answer_url, form),
        replace_url=partial(replace_url, form),
    )
    return page, 400 if form.errors else 200


@bp.app_template_filter("exp")
def exp_filter(value: float) -> float:
    """Return e ** value (a likelihood ratio from its logarithm)."""
    return math.exp(value)
