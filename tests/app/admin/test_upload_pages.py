"""The admin's upload pages: several files at once, a real worker ingests them, reports, downloads, deletion,
and source profiles proposed from a sample and edited."""

import io
import json
import uuid

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, Case, SourceProfileRecord, Upload, UploadStatus, User
from tests.app.warehouse.test_warehouse import hospital_csv, registry_jsonl
from tests.conftest import PASSWORD
from tests.kb_build import session_kb_dir


@pytest.fixture
def site(make_app, tmp_path_factory):
    """The app under test with the session's knowledge base and k=1 (tiny uploads), and a logged-in client."""
    settings = {"KB_DIR": str(session_kb_dir(tmp_path_factory)), "K_ANONYMITY": 1}
    app = make_app(**settings)
    with make_app(**settings).app_context():
        yield app


def login_as(app, role: str):
    client = app.test_client()
    user = User(email=f"{role}-{uuid.uuid4().hex[:6]}@example.org", role=role)
    user.set_password(PASSWORD)
    db.session.add(user)
    db.session.commit()
    assert client.post("/auth/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    return client


def upload(client, files, *, source="Hospital", profile="hospital_csv", quarantine=False):
    data = {"source": source, "profile": profile, "files": [(io.BytesIO(content), name) for name, content in files]}
    if quarantine:
        data["quarantine"] = "y"
    return client.post("/admin/uploads", data=data, content_type="multipart/form-data")


def test_admin_uploads_two_files_and_a_real_worker_ingests_both(site, run_worker):
    client = login_as(site, "admin")
    response = upload(client, [("a.csv", hospital_csv()), ("b.csv", hospital_csv(rows=[hospital_csv().decode(
        "latin-1").splitlines()[1].replace("P-0001", "P-0009")]))])
    assert response.status_code == 302 and response.headers["Location"] == "/admin/uploads"
    assert db.session.scalar(select(func.count(Upload.id))) == 2
    run_worker()
    uploads = db.session.scalars(select(Upload).order_by(Upload.id)).all()
    assert [(u.status, u.error) for u in uploads] == [(UploadStatus.LOADED, None)] * 2, uploads[0].report
    assert [u.rows_loaded for u in uploads] == [2, 1], uploads[0].report["anonymization"]
    assert db.session.scalar(select(func.count(Case.id))) == 3
    listing = client.get("/admin/uploads").text
    assert "a.csv" in listing and "b.csv" in listing


def test_upload_detail_shows_the_reports_and_the_validation_csv_names_rows_not_values(site, run_worker):
    client = login_as(site, "admin")
    bad_row = hospital_csv().decode("latin-1").splitlines()[1].replace("38,6;C", "58,6;C")
    response = upload(client, [("q.csv", hospital_csv(rows=[bad_row, *hospital_csv().decode("latin-1")
                                                             .splitlines()[2:]]))], quarantine=True)
    upload_id = db.session.scalar(select(Upload.id))
    assert response.headers["Location"] == f"/admin/uploads/{upload_id}"
    run_worker()
    page = client.get(f"/admin/uploads/{upload_id}").text
    assert "Anonymization" in page and "Vocabulary mapping" in page and "Rows quarantined" in page
    report = client.get(f"/admin/uploads/{upload_id}/validation.csv")
    assert report.status_code == 200 and report.mimetype == "text/csv"
    assert "temperature" in report.text and "58" not in report.text and "José" not in report.text


def test_refused_upload_says_why_and_stores_nothing(site):
    client = login_as(site, "admin")
    upload(client, [("a.csv", hospital_csv())])
    again = upload(client, [("copy.csv", hospital_csv())])
    assert again.status_code == 400 and "already" in again.text
    no_files = client.post("/admin/uploads", data={"source": "x", "profile": "hospital_csv"},
                           content_type="multipart/form-data")
    assert no_files.status_code == 400 and "Choose at least one file" in no_files.text
    assert db.session.scalar(select(func.count(Upload.id))) == 1


def test_auditor_reads_uploads_but_cannot_upload_delete_or_reach_raw_files(site, run_worker):
    admin = login_as(site, "admin")
    upload(admin, [("r.jsonl", registry_jsonl())], source="Registry", profile="registry_jsonl")
    upload_id = db.session.scalar(select(Upload.id))
    auditor = login_as(site, "auditor")
    assert auditor.get("/admin/uploads").status_code == 200
    assert auditor.get(f"/admin/uploads/{upload_id}").status_code == 200
    assert auditor.get(f"/admin/uploads/{upload_id}/raw").status_code == 403
    assert auditor.post(f"/admin/uploads/{upload_id}/delete").status_code == 403
    assert upload(auditor, [("x.jsonl", b"{}")]).status_code == 403
    raw = admin.get(f"/admin/uploads/{upload_id}/raw")
    assert raw.status_code == 200 and raw.data == registry_jsonl()
    raw.close()
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.action == "upload.raw_download"))


def test_admin_deletes_an_upload_and_its_cases(site, run_worker):
    client = login_as(site, "admin")
    upload(client, [("a.csv", hospital_csv())])
    run_worker()
    upload_id = db.session.scalar(select(Upload.id))
    assert db.session.scalar(select(func.count(Case.id))) == 2
    response = client.post(f"/admin/uploads/{upload_id}/delete", follow_redirects=True)
    assert response.status_code == 200 and "deleted with its 2 cases" in response.text
    assert db.session.scalar(select(func.count(Case.id))) == 0
    assert db.session.get(Upload, upload_id) is None


def test_propose_a_profile_from_a_sample_then_save_it_edited(site):
    client = login_as(site, "admin")
    sample = b"case_id,sex,age,fever,cough,diagnosis\n1,F,34,1,0,J11.1\n2,M,51,0,1,K21.9\n"
    proposed = client.post("/admin/profiles/propose", data={"name": "clinic_b", "sample": (io.BytesIO(sample),
                           "sample.csv")}, content_type="multipart/form-data")
    assert proposed.status_code == 200 and "clinic_b" in proposed.text and "fever" in proposed.text
    profile = {"name": "clinic_b", "column_map": {"case_id": "patient_id", "sex": "sex", "age": "age"},
               "diagnosis_columns": ["diagnosis"], "symptom_layout": "wide", "symptom_columns": ["fever", "cough"]}
    saved = client.post("/admin/profiles/clinic_b", data={"profile_json": json.dumps(profile)})
    assert saved.status_code == 302
    record = db.session.scalar(select(SourceProfileRecord).where(SourceProfileRecord.name == "clinic_b"))
    assert record.profile["symptom_columns"] == ["fever", "cough"]
    assert "clinic_b" in client.get("/admin/uploads").text  # offered in the upload form


@pytest.mark.parametrize("body,message", [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "A profile is a JSON object"),
    ('{"symptom_layout": "diagonal"}', "Invalid source profile"),
])
def test_invalid_profile_edits_are_refused_with_a_message(site, body, message):
    client = login_as(site, "admin")
    response = client.post("/admin/profiles/hospital_csv", data={"profile_json": body})
    assert response.status_code == 400 and message in response.text


def test_unreadable_sample_gets_a_clear_message(site):
    client = login_as(site, "admin")
    response = client.post("/admin/profiles/propose", data={"name": "x", "sample": (io.BytesIO(b""), "empty.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 400 and "empty" in response.text.lower()


def test_raw_file_keeps_an_accented_name_in_the_download(site):
    client = login_as(site, "admin")
    upload(client, [("historias clínicas 2024.jsonl", registry_jsonl())], source="Registry", profile="registry_jsonl")
    upload_id = db.session.scalar(select(Upload.id))
    raw = client.get(f"/admin/uploads/{upload_id}/raw")
    assert raw.status_code == 200 and raw.data == registry_jsonl()
    assert "filename*=UTF-8''historias%20cl%C3%ADnicas%202024.jsonl" in raw.headers["Content-Disposition"]
    raw.close()


def test_several_notes_chosen_on_the_page_are_one_upload_and_one_report(site, run_worker):
    client = login_as(site, "admin")
    notes = [(f"P-{n:04}.txt", f"Refiere tos y fiebre desde hace {n} días.".encode()) for n in range(1, 6)]
    response = upload(client, notes, source="Clinic", profile="clinic_notes")
    assert response.status_code == 302
    [created] = db.session.scalars(select(Upload)).all()
    assert response.headers["Location"] == f"/admin/uploads/{created.id}"
    run_worker()
    db.session.refresh(created)
    assert (created.status, created.rows_loaded) == (UploadStatus.LOADED, 5), created.error
    assert db.session.scalar(select(func.count(Case.id))) == 5
    detail = client.get(f"/admin/uploads/{created.id}").text
    assert created.filename in detail and "P-0001" not in detail
