"""The EDA pages: the warehouse as a Dataset, the job that computes the analysis and its cache per snapshot."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from app.eda.service import summary_key
from app.extensions import db
from app.models import Case, CaseDiagnosis, CaseSymptom, Job, JobStatus, Patient
from app.warehouse.raw_zone import storage
from app.warehouse.snapshot import current_snapshot_id, load_dataset
from ml.dataset import snapshot_id
from tests.conftest import PASSWORD

FEVER, COUGH, RASH = "HP:0001945", "HP:0012735", "HP:0000988"


def add_case(source: str, *, sex: str | None, present=(), absent=(), diagnoses=(), temperature=37.0) -> Case:
    """Insert one case (with its patient, findings and diagnoses) straight into the warehouse tables."""
    patient = Patient(pseudonym=f"p{db.session.query(Patient).count() + 1:031d}", sex=sex)
    db.session.add(patient)
    db.session.flush()
    case = Case(patient_id=patient.id, upload_id=1, source=source, year="2024", age_group="25-44",
                temperature_c=temperature, weight_kg=70.0, height_cm=170.0)
    db.session.add(case)
    db.session.flush()
    db.session.add_all([CaseSymptom(case_id=case.id, upload_id=1, hpo_id=t, present=True) for t in present])
    db.session.add_all([CaseSymptom(case_id=case.id, upload_id=1, hpo_id=t, present=False) for t in absent])
    db.session.add_all([CaseDiagnosis(case_id=case.id, upload_id=1, disease_id=d, code_system=d.split(":")[0])
                        for d in diagnoses])
    db.session.commit()
    return case


@pytest.fixture
def warehouse(app):
    """Five cases in two sources, one orphan disease."""
    add_case("hospital", sex="female", present=[FEVER, COUGH], diagnoses=["ICD10:J00"])
    add_case("hospital", sex="male", present=[FEVER], absent=[COUGH], diagnoses=["ICD10:J00"], temperature=39.5)
    add_case("hospital", sex=None, present=[COUGH], diagnoses=["ICD10:J00"], temperature=None)
    add_case("registry", sex="female", present=[RASH, FEVER], diagnoses=["ORPHA:558"])
    add_case("registry", sex="female", present=[RASH], diagnoses=["ORPHA:558", "ICD10:J00"])


def client_as(app, make_user, role: str):
    """Return a new test client logged in as a new account of ``role``."""
    client, user = app.test_client(), make_user(role)
    assert client.post("/auth/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    return client


def test_load_dataset_reads_cases_with_their_patients_sex_findings_and_diagnoses(warehouse):
    dataset = load_dataset()
    assert dataset.n_cases == 5 and len(dataset.symptoms) == 8 and len(dataset.diagnoses) == 6
    assert dataset.cases["sex"].tolist() == ["female", "male", None, "female", "female"]
    assert dataset.cases["source"].tolist() == ["hospital"] * 3 + ["registry"] * 2
    assert dataset.symptoms["present"].dtype == bool and dataset.symptoms["present"].sum() == 7
    assert dataset.cases["temperature_c"].isna().tolist() == [False, False, True, False, False]
    assert sorted(dataset.diagnoses["disease_id"]) == ["ICD10:J00"] * 4 + ["ORPHA:558"] * 2


def test_an_empty_warehouse_loads_as_an_empty_dataset(app):
    dataset = load_dataset()
    assert dataset.n_cases == 0 and current_snapshot_id() == snapshot_id(dataset)


def test_the_snapshot_id_from_aggregates_equals_the_datasets_and_follows_changes(warehouse):
    before = current_snapshot_id()
    assert before == snapshot_id(load_dataset())
    case_id = db.session.scalar(select(Case.id).order_by(Case.id))
    db.session.add(CaseSymptom(case_id=case_id, upload_id=1, hpo_id=RASH, present=False))
    db.session.commit()
    assert current_snapshot_id() != before and current_snapshot_id() == snapshot_id(load_dataset())


@pytest.mark.parametrize("role", ["admin", "auditor"])
def test_an_empty_warehouse_shows_an_explanation_and_nothing_to_compute(app, make_user, role):
    page = client_as(app, make_user, role).get("/eda/")
    assert page.status_code == 200
    assert 'id="eda-empty"' in page.text and "The warehouse is empty" in page.text
    assert "/eda/compute" not in page.text and "plotly.min.js" not in page.text


def test_compute_on_an_empty_warehouse_launches_no_job(app, make_user):
    response = client_as(app, make_user, "admin").post("/eda/compute")
    assert response.status_code == 302 and response.headers["Location"] == "/eda/"
    assert db.session.scalar(select(Job.id)) is None


def test_admin_computes_the_analysis_in_a_job_and_both_readers_see_the_charts(app, make_user, warehouse,
                                                                              run_worker):
    admin, auditor = client_as(app, make_user, "admin"), client_as(app, make_user, "auditor")
    page = admin.get("/eda/").text
    assert 'id="eda-missing"' in page and 'action="/eda/compute"' in page
    assert "An administrator can compute it." in auditor.get("/eda/").text

    response = admin.post("/eda/compute")
    job = db.session.scalar(select(Job).order_by(Job.id.desc()))
    assert response.status_code == 302 and response.headers["Location"] == f"/jobs/{job.id}"
    assert job.kind == "eda" and job.status == JobStatus.QUEUED
    assert 'id="eda-running"' in admin.get("/eda/").text

    run_worker()

    db.session.refresh(job)
    snapshot = current_snapshot_id()
    assert job.status == JobStatus.FINISHED and job.result["snapshot"] == snapshot and job.result["cases"] == 5
    with storage().open(summary_key(snapshot)) as handle:
        summary = json.loads(handle.read())
    assert summary["diseases"]["disease_ids"] == ["ICD10:J00", "ORPHA:558"]
    assert summary["diseases"]["cases"] == [4, 2] and summary["diseases"]["orphan"] == [False, True]
    for client in (admin, auditor):
        page = client.get("/eda/").text
        charts = re.findall(r'<script type="application/json" id="(chart-[a-z]+)">', page)
        assert len(charts) == 9 and set(charts) == set(re.findall(r'data-chart="(chart-[a-z]+)"', page))
        assert '<script src="/eda/plotly.min.js">' in page and "/eda/compute" not in page
        assert 'id="mean-ir">1.50<' in page  # IRLbl 1 and 4/2 = 2
        assert "<script>" not in page  # no inline script: a Content-Security-Policy of 'self' allows the page


def test_new_data_makes_the_cached_analysis_stale_and_offers_to_compute_again(app, make_user, warehouse,
                                                                              run_worker):
    admin = client_as(app, make_user, "admin")
    admin.post("/eda/compute")
    run_worker()
    assert 'data-chart="chart-diseases"' in admin.get("/eda/").text
    add_case("registry", sex="male", present=[RASH], diagnoses=["ORPHA:558"])
    page = admin.get("/eda/").text
    assert 'id="eda-missing"' in page and 'data-chart="chart-diseases"' not in page and "6 cases" in page


def test_the_page_speaks_spanish(app, make_user, warehouse):
    page = client_as(app, make_user, "auditor").get("/eda/", headers={"Accept-Language": "es"}).text
    assert "Análisis exploratorio de datos" in page and "Un administrador puede calcularlo." in page


def test_plotly_is_served_from_the_installed_package_with_caching_headers(client):
    response = client.get("/eda/plotly.min.js")
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert b"plotly.js" in response.data[:500] and len(response.data) > 1_000_000
    assert "max-age=604800" in response.headers["Cache-Control"] and response.headers["ETag"]
    again = client.get("/eda/plotly.min.js", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_every_chart_is_a_valid_plotly_figure(app, warehouse):
    """plotly's own validator rejects any property the JavaScript library would not understand."""
    import plotly.graph_objects as go

    from app.eda.charts import all_charts
    from ml.eda import summarize

    summary = summarize(load_dataset())
    with app.test_request_context("/eda/"):
        charts = all_charts(summary)
    assert len(charts) == 9
    for name, figure in charts.items():
        assert figure["data"], name
        go.Figure(figure)  # raises ValueError on an invalid property
