"""The prediction page and JSON API: partial inputs, units, bad values, direction, logging, feedback, tokens."""

from __future__ import annotations

import re

import pytest
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate
from sqlalchemy import select

from app.api.openapi import SPEC
from app.extensions import db
from app.models import ApiToken, AuditEvent, Prediction, PredictionFeedback
from app.predict.log import flush_predictions

RESULT_SCHEMA = SPEC["paths"]["/api/v1/predict"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]


@pytest.fixture
def clinician(client, login):
    return login("clinician")


def api(client, **params):
    response = client.get("/api/v1/predict", query_string=params)
    assert response.status_code < 500, response.text
    return response


def test_one_symptom_ranks_validates_and_is_logged_as_codes(client, clinician):
    response = api(client, present="fever", top=5)
    assert response.status_code == 200
    body = response.get_json()
    OAS30Validator(RESULT_SCHEMA).validate(body)
    assert body["model_version"] == "knowledge-only" and body["kb_version"]
    assert body["findings"] == [{"text": "fever", "hpo_id": "HP:0001945", "name": "Fever", "present": True,
                                 "how": "exact"}]
    assert [p["rank"] for p in body["predictions"]] == [1, 2, 3, 4, 5]
    probabilities = [p["probability"] for p in body["predictions"]]
    assert probabilities == sorted(probabilities, reverse=True) and 0 < probabilities[0] <= 1
    assert body["predictions"][0]["evidence"][0]["hpo_id"] == "HP:0001945"
    assert len(body["questions"]) == 5
    assert all(q["information_gain"] > 0 and q["hpo_id"] != "HP:0001945" for q in body["questions"])
    assert {w["code"] for w in body["warnings"]} == {"thin"}  # one finding is thin information
    flush_predictions()  # the log is written off the request (app/predict/log.py)
    row = db.session.get(Prediction, body["prediction_id"])
    assert row.inputs["present"] == ["HP:0001945"] and row.channel == "api"
    assert row.outputs[0][0] == body["predictions"][0]["disease_id"] and row.latency_ms > 0
    assert "fever" not in str(row.inputs) and str(clinician.id) not in row.user_pseudonym
    assert row.model_version == "knowledge-only"


def test_spanish_free_text_gives_spanish_names(client, clinician):
    body = api(client, present=["fiebre", "tos", "dolor de cabeza"], lang="es").get_json()
    assert [f["hpo_id"] for f in body["findings"]] == ["HP:0001945", "HP:0012735", "HP:0002315"]
    assert body["findings"][0]["name"] == "Fiebre"
    names = {p["disease_id"]: p["name"] for p in body["predictions"]}
    assert "Resfriado común" in names.values() or "Gripe" in " ".join(names.values())


def test_only_absent_symptoms_still_rank(client, clinician):
    body = api(client, absent="cough").get_json()
    assert body["findings"][0]["present"] is False and len(body["predictions"]) == 10
    assert "thin" in {w["code"] for w in body["warnings"]}


def test_only_a_note_is_read_for_findings_and_its_text_is_never_stored(client, clinician):
    body = api(client, note="Fever for three days, no cough. Possible headache.").get_json()
    found = {(f["hpo_id"], f["present"], f["how"]) for f in body["findings"]}
    assert ("HP:0001945", True, "note") in found and ("HP:0012735", False, "note") in found
    assert "HP:0002315" not in {hpo for hpo, _, _ in found}  # "possible": uncertain, not used
    assert "note_uncertain" in {w["code"] for w in body["warnings"]} and len(body["predictions"]) == 10
    flush_predictions()  # the log is written off the request (app/predict/log.py)
    row = db.session.get(Prediction, body["prediction_id"])
    assert row.inputs["note"] is True and row.inputs["present"] == ["HP:0001945"]
    assert row.inputs["absent"] == ["HP:0012735"] and "three days" not in str(row.inputs)


def test_fahrenheit_is_converted(client, clinician):
    hot = api(client, temperature="102.2", temperature_unit="F").get_json()
    assert hot["findings"] == [{"text": "102.2 °F", "hpo_id": "HP:0001945", "name": "Fever", "present": True,
                                "how": "temperature"}]
    flush_predictions()  # the log is written off the request (app/predict/log.py)
    assert db.session.get(Prediction, hot["prediction_id"]).inputs["temperature_c"] == 39.0
    normal = api(client, temperature="98.6", temperature_unit="F", present="cough").get_json()
    assert {"hpo_id": "HP:0001945", "present": False} in [
        {"hpo_id": f["hpo_id"], "present": f["present"]} for f in normal["findings"]]


@pytest.mark.parametrize(
    "params,field,words",
    [
        ({"present": "fever", "age": "-3"}, "age", "between 0 and 125"),
        ({"present": "fever", "temperature": "80"}, "temperature", "80 °C is not plausible"),
        ({"present": [f"symptom {i}" for i in range(5000)]}, "present", "At most 100"),
        ({"present": "fever", "sex": "unicorn"}, "sex", "female, male, other, unknown"),
        ({"note": "x" * 1_000_000}, "note", "longer than 5,000"),
        ({"present": "fever", "top": "0"}, "top", "1 to 100"),
        ({"present": "fever", "temperature_unit": "K"}, "temperature_unit", "C or F"),
        ({"present": "fever", "colour": "red"}, "parameters", "colour"),
        ({}, "present", "at least one input"),
    ],
)
def test_bad_values_get_clear_messages(client, clinician, params, field, words):
    response = api(client, **params)
    assert response.status_code == 400
    assert words in response.get_json()["errors"][field]
    page = client.get("/predict", query_string={k: v for k, v in params.items() if k != "colour"})
    if params and "colour" not in params:
        assert page.status_code == 400 and words in page.text


def test_a_hallmark_raises_its_disease(client, clinician):
    def marfan(present):
        body = api(client, present=present, top=100).get_json()
        # One row per disease: Marfan syndrome's row is OMIM:154700 or its ORPHA twin, whichever ranks higher.
        found = [p for p in body["predictions"] if "OMIM:154700" in (p["disease_id"], *p["same_disease"])]
        assert found, "Marfan syndrome is not in the first 100"
        return found[0]

    before = marfan(["arachnodactyly", "tall stature"])
    after = marfan(["arachnodactyly", "tall stature", "ectopia lentis"])
    assert after["probability"] > before["probability"] and after["rank"] <= before["rank"]
    lens = [e for e in after["evidence"] if e["hpo_id"] == "HP:0001083"]
    assert lens and lens[0]["log_lr"] > 0


def test_unknown_entries_come_back_with_suggestions(client, clinician):
    body = api(client, present=["fever", "dolor"], lang="es").get_json()
    (warning,) = [w for w in body["warnings"] if w["code"] == "unrecognised"]
    assert warning["text"] == "dolor" and warning["suggestions"] and "Did you mean" in warning["message"]
    page = client.get("/predict", query_string={"present": ["fiebre", "dolor"], "lang": "es"},
                      headers={"Accept-Language": "es"}).text
    assert "no se ha reconocido" in page and "¿Quiso decir" in page


def test_page_shows_the_result_and_a_question_link_reranks(client, clinician):
    page = client.get("/predict", query_string={"present": "fever", "absent": "cough"})
    assert page.status_code == 200
    text = page.text
    assert 'class="ranking"' in text and "<meter" in text and "Next questions" in text
    assert "decision support, not a diagnosis" in text.lower()
    assert "Knowledge-informed ranking only: no trained model yet." in text
    links = re.findall(r'href="(/predict\?[^"]+)">Present</a>', text)
    assert len(links) == 5
    answered = client.get(links[0].replace("&amp;", "&"))
    assert answered.status_code == 200
    assert answered.text.count('class="chip yes"') == 2  # fever and the answered question
    flush_predictions()  # the log is written off the request (app/predict/log.py)
    logged = db.session.scalars(select(Prediction).order_by(Prediction.created_at)).all()
    assert len(logged) == 2 and len(logged[1].inputs["present"]) == 2
    assert logged[1].inputs["absent"] == ["HP:0012735"]


def test_home_page_leads_a_clinician_to_the_prediction(client, clinician):
    page = client.get("/").text
    assert 'href="/predict"' in page


def test_feedback_is_stored_for_a_prediction(client, clinician):
    prediction_id = api(client, present="fever").get_json()["prediction_id"]
    response = client.post("/api/v1/feedback", json={"prediction_id": prediction_id, "diagnoses": ["ICD10:J00"]})
    assert response.status_code == 201, response.text
    (row,) = db.session.scalars(select(PredictionFeedback)).all()
    assert row.prediction_id == prediction_id and row.diagnoses == ["ICD10:J00"]
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "prediction.feedback"))
    bad = client.post("/api/v1/feedback", json={"prediction_id": "nope", "diagnoses": ["NOT:1"]})
    assert bad.status_code == 400 and set(bad.get_json()["errors"]) == {"prediction_id", "diagnoses"}


def test_api_tokens_are_hashed_work_as_bearer_and_can_be_revoked(app, client, clinician):
    created = client.post("/auth/account/tokens", data={"name": "EHR plug-in"})
    assert created.status_code == 201
    raw = re.search(r'id="new-token">([^<]+)<', created.text).group(1)
    (token,) = db.session.scalars(select(ApiToken)).all()
    assert raw not in (token.token_hash, token.prefix) and raw.startswith(token.prefix)
    other = app.test_client()  # no session: the token alone
    headers = {"Authorization": f"Bearer {raw}"}
    answer = other.get("/api/v1/predict?present=fever", headers=headers)
    assert answer.status_code == 200 and "Set-Cookie" not in answer.headers
    assert other.get("/predict", headers=headers).status_code == 302  # pages never accept a token
    assert other.get("/api/v1/predict?present=fever", headers={"Authorization": "Bearer dxf_wrong"}).status_code == 401
    assert client.post(f"/auth/account/tokens/{token.id}/revoke").status_code == 302
    assert other.get("/api/v1/predict?present=fever", headers=headers).status_code == 401


def test_openapi_document_is_valid_and_describes_the_parameters(client):
    spec = client.get("/api/openapi.json").get_json()
    validate(spec)
    names = {p["name"] for p in spec["paths"]["/api/v1/predict"]["get"]["parameters"]}
    assert names == {"present", "absent", "age", "sex", "temperature", "temperature_unit", "note", "lang", "top"}


def test_fever_entered_as_text_and_as_a_temperature_is_one_finding(client, clinician):
    body = api(client, present="fever", temperature="38.6").get_json()
    OAS30Validator(RESULT_SCHEMA).validate(body)
    assert body["findings"] == [{"text": "fever; 38.6 °C", "hpo_id": "HP:0001945", "name": "Fever", "present": True,
                                 "how": "exact+temperature"}]
    flush_predictions()  # the log is written off the request (app/predict/log.py)
    assert db.session.get(Prediction, body["prediction_id"]).inputs["present"] == ["HP:0001945"]
    page = client.get("/predict", query_string={"present": "fever", "temperature": "38.6"}).text
    understood = page.split("Understood as:", 1)[1].split("</p>", 1)[0]
    assert understood.count('class="chip yes"') == 1 and understood.count("Fever") == 1
    assert "fever: exact; 38.6 °C: temperature" in understood  # how it was understood, from both inputs


def _marfan_presentation(kb) -> list[str]:
    frequencies = kb.disease("OMIM:154700").frequencies
    return [term for term, _ in sorted(frequencies.items(), key=lambda item: (-item[1], item[0]))[:6]]


def test_each_prediction_lists_its_genes_and_the_same_diseases_other_codes(client, clinician):
    from app.vocabulary.service import current_vocabulary

    kb = current_vocabulary().kb
    body = client.get("/api/v1/predict", query_string=[("present", t) for t in _marfan_presentation(kb)]).get_json()
    OAS30Validator(RESULT_SCHEMA).validate(body)
    by_id = {p["disease_id"]: p for p in body["predictions"]}
    marfan = by_id["OMIM:154700"]
    assert marfan["genes"] == ["FBN1"]
    assert marfan["same_disease"] == ["ORPHA:558"]
    assert marfan["codes"]["omim"] == "OMIM:154700" and marfan["codes"]["orpha"] == "ORPHA:558"
    if "ORPHA:558" in by_id:  # the ORPHA entry of the same disease shows the same genes and the OMIM code
        assert by_id["ORPHA:558"]["genes"] == ["FBN1"] and by_id["ORPHA:558"]["codes"]["omim"] == "OMIM:154700"
    assert all(p["genes"] == sorted(set(p["genes"])) for p in body["predictions"])


@pytest.mark.parametrize(
    ("lang", "label"), [("en", "Genes (for genetic testing):"), ("es", "Genes (para el estudio genético):")])
def test_the_result_page_shows_the_genes_to_test_and_the_other_codes(client, clinician, lang, label):
    from app.vocabulary.service import current_vocabulary

    kb = current_vocabulary().kb
    params = [("present", t) for t in _marfan_presentation(kb)] + [("lang", lang)]
    page = client.get("/predict", query_string=params, headers={"Accept-Language": lang}).text
    item = next(part for part in page.split('<li class="disease">')[1:] if "OMIM:154700" in part)
    assert label in item and '<code class="gene">FBN1</code>' in item
    assert "<code>ORPHA:558</code>" in item and "<code>OMIM:154700</code>" in item
