"""Property tests: whatever the query string of GET /api/v1/predict, the answer is never a 5xx."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

PARAMETERS = ["present", "absent", "age", "sex", "temperature", "temperature_unit", "note", "lang", "top", "other"]
VALUES = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["fever", "fiebre", "HP:0001945", "HP:9999999", "female", "male", "F", "C", "es", "en", "-3",
                     "80", "1e309", "nan", "inf", "0", "101", "37,5"]),
    st.integers(min_value=-10**6, max_value=10**6).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
)
QUERIES = st.lists(st.tuples(st.sampled_from(PARAMETERS), VALUES), max_size=8)


@pytest.mark.slow
@pytest.mark.postgresql_only
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=QUERIES)
def test_no_query_string_yields_a_server_error(client, login, query):
    if not getattr(client, "_logged_in", False):
        login("clinician")
        client._logged_in = True
    response = client.get("/api/v1/predict", query_string=query)
    assert response.status_code in (200, 400), (query, response.status_code, response.text[:300])
    body = response.get_json()
    assert ("prediction_id" in body) if response.status_code == 200 else body["errors"]


@pytest.mark.slow
@pytest.mark.postgresql_only
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.one_of(st.none(), st.text(max_size=30), st.dictionaries(
    st.sampled_from(["prediction_id", "diagnoses", "x"]),
    st.one_of(st.text(max_size=20), st.lists(st.text(max_size=12), max_size=25), st.integers(), st.none()),
)))
def test_no_feedback_body_yields_a_server_error(client, login, body):
    if not getattr(client, "_logged_in", False):
        login("clinician")
        client._logged_in = True
    response = client.post("/api/v1/feedback", json=body)
    assert response.status_code == 400, (body, response.status_code, response.text[:300])
