"""``GET /api/v1/predict`` and ``POST /api/v1/feedback``, by session or ``Authorization: Bearer <token>``."""

from flask import jsonify, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from app.api import bp
from app.auth.session import role_required
from app.extensions import csrf
from app.predict.forms import PredictForm
from app.predict.service import PredictionError, predict, record_feedback

KNOWN_PARAMETERS = {"present", "absent", "age", "sex", "temperature", "temperature_unit", "note", "lang", "top"}


@bp.get("/predict")
@role_required("clinician", "admin")
def predict_api():
    form = PredictForm.from_args(request.args, default_lang=str(get_locale()))
    unknown = sorted(set(request.args) - KNOWN_PARAMETERS)
    if unknown:
        form.errors["parameters"] = _("Unknown parameters: %(names)s.", names=", ".join(unknown))
    try:
        result = predict(form, user=current_user, channel="api")
    except PredictionError as error:
        return _invalid(error)
    return jsonify(result.to_dict())


# A bearer token cannot be sent by a cross-site form, and a session-authenticated call must send JSON, which a
# cross-site form cannot either (it needs a CORS preflight this app never grants): CSRF tokens add nothing here.
@bp.post("/feedback")
@csrf.exempt
@role_required("clinician")
def feedback():
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return jsonify(error=_("Send a JSON object: {\"prediction_id\": ..., \"diagnoses\": [...]}."),
                       errors={}), 400
    try:
        stored = record_feedback(body.get("prediction_id"), body.get("diagnoses"), user=current_user)
    except PredictionError as error:
        return _invalid(error)
    return jsonify(prediction_id=stored.prediction_id, diagnoses=stored.diagnoses), 201


def _invalid(error: PredictionError):
    """Return the 400 answer naming each invalid parameter."""
    return jsonify(error=_("Invalid request."), errors=error.errors), 400
