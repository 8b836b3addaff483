"""``GET /api/openapi.json``: the OpenAPI 3 description of the prediction API (validated in the tests)."""

from flask import jsonify

from app.api import health_bp
from app.predict.forms import DEFAULT_TOP, LANGUAGES, MAX_AGE, MAX_FINDINGS, MAX_NOTE_CHARS, MAX_TOP, SEXES, UNITS


def _array_of(schema: dict) -> dict:
    return {"type": "array", "items": schema}


_STRING = {"type": "string"}
_NULLABLE_STRING = {"type": "string", "nullable": True}
_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": _STRING, "errors": {"type": "object", "additionalProperties": _STRING}},
}
_FINDING = {
    "type": "object",
    "required": ["text", "hpo_id", "present", "how"],
    "properties": {"text": {**_STRING, "description": "The input(s) understood as this finding, joined by '; ' "
                            "when several meant the same (the text 'fever' and a temperature of 38.6 °C)"},
                   "hpo_id": _STRING, "name": _STRING, "present": {"type": "boolean"},
                   "how": {**_STRING, "description": "How: exact, synonym, fuzzy, id, temperature, note, ...; "
                           "joined by '+' for a finding understood from several inputs"}},
}
_EVIDENCE = {
    "type": "object",
    "required": ["hpo_id", "present", "log_lr"],
    "properties": {"hpo_id": _STRING, "name": _STRING, "present": {"type": "boolean"}, "log_lr": {"type": "number"}},
}
_PREDICTION = {
    "type": "object",
    "required": ["rank", "disease_id", "name", "codes", "same_disease", "genes", "orphan", "probability", "evidence"],
    "properties": {
        "rank": {"type": "integer", "minimum": 1},
        "disease_id": _STRING,
        "name": _STRING,
        "codes": {"type": "object", "description": "The disease's codes, taken from its other entries (same_disease) "
                  "when its own id is of another source",
                  "properties": {"icd10": _NULLABLE_STRING, "orpha": _NULLABLE_STRING, "omim": _NULLABLE_STRING}},
        "same_disease": {**_array_of(_STRING), "description": "The other entries (OMIM, ORPHA, DECIPHER, ICD10) "
                         "naming the same disease"},
        "genes": {**_array_of(_STRING), "description": "HGNC symbols of the genes associated with the disease "
                  "(under any of its entries): which genetic test to order"},
        "orphan": {"type": "boolean"},
        "probability": {"type": "number", "minimum": 0, "maximum": 1},
        "evidence": _array_of(_EVIDENCE),
    },
}
_QUESTION = {
    "type": "object",
    "required": ["hpo_id", "name", "information_gain"],
    "properties": {"hpo_id": _STRING, "name": _STRING, "information_gain": {"type": "number", "minimum": 0}},
}
_WARNING = {"type": "object", "required": ["code", "message"], "properties": {"code": _STRING, "message": _STRING}}
_RESULT = {
    "type": "object",
    "required": ["prediction_id", "model_version", "kb_version", "findings", "predictions", "questions", "warnings"],
    "properties": {
        "prediction_id": _STRING,
        "model_version": _STRING,
        "kb_version": _STRING,
        "findings": _array_of(_FINDING),
        "predictions": _array_of(_PREDICTION),
        "questions": _array_of(_QUESTION),
        "warnings": _array_of(_WARNING),
    },
}


def _query(name: str, schema: dict, description: str, *, explode: bool = False) -> dict:
    parameter = {"name": name, "in": "query", "required": False, "schema": schema, "description": description}
    if explode:
        parameter.update(style="form", explode=True)
    return parameter


def _responses(ok: dict, ok_status: str = "200") -> dict:
    error = {"description": "", "content": {"application/json": {"schema": _ERROR}}}
    return {
        ok_status: {"description": "OK", "content": {"application/json": {"schema": ok}}},
        "400": {**error, "description": "Invalid parameters, each named in errors"},
        "401": {**error, "description": "Not logged in and no valid bearer token"},
        "403": {**error, "description": "The user's role may not call this"},
    }


SPEC = {
    "openapi": "3.0.3",
    "info": {"title": "dxflow prediction API", "version": "1",
             "description": "Decision support, not a diagnosis. Authenticate with the session cookie or "
                            "Authorization: Bearer <token> (tokens are created on the account page)."},
    "servers": [{"url": "/"}],
    "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"},
                                       "session": {"type": "apiKey", "in": "cookie", "name": "session"}}},
    "security": [{"bearer": []}, {"session": []}],
    "paths": {
        "/api/v1/predict": {
            "get": {
                "operationId": "predict",
                "summary": "Rank diseases for a set of findings",
                "parameters": [
                    _query("present", _array_of({"type": "string", "maxLength": 200}),
                           f"Present findings: text in English or Spanish, or HPO ids (at most {MAX_FINDINGS}).",
                           explode=True),
                    _query("absent", _array_of({"type": "string", "maxLength": 200}),
                           "Absent findings, as for present.", explode=True),
                    _query("age", {"type": "number", "minimum": 0, "maximum": MAX_AGE}, "Age in years."),
                    _query("sex", {"type": "string", "enum": list(SEXES)}, "Sex."),
                    _query("temperature", {"type": "number"}, "Body temperature, in temperature_unit."),
                    _query("temperature_unit", {"type": "string", "enum": list(UNITS), "default": "C"}, "C or F."),
                    _query("note", {"type": "string", "maxLength": MAX_NOTE_CHARS}, "A free-text note."),
                    _query("lang", {"type": "string", "enum": list(LANGUAGES)}, "Language of texts and names."),
                    _query("top", {"type": "integer", "minimum": 1, "maximum": MAX_TOP, "default": DEFAULT_TOP},
                           "How many diseases to return."),
                ],
                "responses": _responses(_RESULT),
            }
        },
        "/api/v1/feedback": {
            "post": {
                "operationId": "feedback",
                "summary": "Record the confirmed diagnoses of a prediction (clinicians)",
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object",
                    "required": ["prediction_id", "diagnoses"],
                    "properties": {"prediction_id": _STRING,
                                   "diagnoses": {**_array_of(_STRING), "minItems": 1, "maxItems": 20}},
                }}}},
                "responses": _responses({"type": "object", "required": ["prediction_id", "diagnoses"], "properties": {
                    "prediction_id": _STRING, "diagnoses": _array_of(_STRING)}}, "201"),
            }
        },
    },
}


@health_bp.get("/api/openapi.json")
def openapi():
    return jsonify(SPEC)
