"""Ingestion into the warehouse, end to end on PostgreSQL and SQLite: each format and symptom layout, linkage,
dedupe, atomicity and quarantine, deletion, malformed files, and no identifier left anywhere afterwards."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import logging
import threading

import pytest
from openpyxl import Workbook
from rq import SimpleWorker
from sqlalchemy import JSON, String, Text, func, select, text

from app.extensions import db, queue
from app.models import (
    AuditEvent,
    Case,
    CaseDiagnosis,
    CaseSymptom,
    Job,
    JobStatus,
    Note,
    Patient,
    Upload,
    UploadStatus,
    User,
)
from app.warehouse import (
    UploadRefused,
    create_upload,
    delete_upload,
    ingest_upload,
    raw_zone,
    save_profile,
    upload_report,
    validation_report,
)
from app.warehouse.loader import WAREHOUSE_LOCK, LoadRefused, WarehouseLoader
from app.warehouse.service import raw_file
from ml.ingest import IngestionError, SourceProfile
from tests.kb_build import session_kb_dir
from tests.ml.test_storage import s3_bucket, s3_endpoint  # noqa: F401 (fixtures: a real S3 server process)

FEVER, COUGH, HEADACHE, DYSPNEA, PRURITUS, RASH = (
    "HP:0001945", "HP:0012735", "HP:0002315", "HP:0002094", "HP:0000989", "HP:0000988")
HOSPITAL_HEADER = ("id_paciente;nombre;apellidos;dni;telefono;email;direccion;cp;fecha_nacimiento;sexo;fecha_visita;"
                   "temperatura;unidad_temp;peso_kg;talla_cm;sintomas;sintomas_ausentes;diagnostico_cie10;notas")
HOSPITAL_ROWS = [
    "P-0001;José;Núñez;12345678Z;612 345 678;jose.nunez@example.org;Calle Mayor 5;28013;03/04/1961;H;12/05/2024;"
    "38,6;C;81;176;fiebre,tos;cefalea;J11.1;Paciente José Núñez refiere fiebre, niega disnea. Tel 612 345 678.",
    "P-0002;Lucía;Ortega;87654321X;622 111 222;lucia.ortega@example.org;Avenida del Sol 12;28014;22/11/1990;M;"
    "13/05/2024;101,3;F;62;165;dolor de cabeza;;K21.9;",
]


def hospital_csv(rows=HOSPITAL_ROWS) -> bytes:
    """Return a hospital export: semicolons, Latin-1, Spanish names, one temperature in °F."""
    return "\n".join([HOSPITAL_HEADER, *rows]).encode("latin-1") + b"\n"


def registry_records() -> list[dict]:
    return [
        {"patient_id": "p0001", "name": "José Núñez", "birth_date": "1961-04-03", "sex": "male",
         "visit_date": "2024-06-01", "zip": "28013", "temperature_c": "36.9",
         "hpo_terms": ["HP:0001166", "HP:0001519"], "excluded_hpo_terms": [FEVER], "orpha_code": "558",
         "omim_id": None, "notes": "Talla alta, sin fiebre."},
        {"patient_id": "R-77", "name": "Marta Gil", "birth_date": "2001-02-03", "sex": "female",
         "visit_date": "2024-06-02", "zip": "08001", "temperature_c": None, "hpo_terms": ["HP:0001166"],
         "excluded_hpo_terms": [], "orpha_code": None, "omim_id": "154700", "notes": None},
    ]


def registry_jsonl() -> bytes:
    return "\n".join(json.dumps(record, ensure_ascii=False) for record in registry_records()).encode("utf-8")


def research_xlsx() -> bytes:
    """Return a research workbook in wide one-hot form with English underscore symptom names."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["subject_id", "age", "gender", "weight_lb", "height_in", "temp_f", "itching", "skin_rash",
                  "high_fever", "prognosis"])
    sheet.append(["S-1", 34, "F", 150, 64, 100.4, 1, 1, 0, "Dengue"])
    sheet.append(["S-2", 52, "M", 200, 70, 98.6, 0, 1, 1, "Fungal infection xyz"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


NOTE_TEXT = ("Paciente Carmen Vidal, DNI 11223344B, e-mail carmen.vidal@example.org. Refiere tos y fiebre "
             "desde hace dos días; niega disnea.")


@pytest.fixture(scope="session")
def kb_dir(tmp_path_factory):
    """The session's knowledge base (the vocabulary needs one)."""
    return session_kb_dir(tmp_path_factory)


@pytest.fixture
def wh_settings(kb_dir):
    return {"KB_DIR": str(kb_dir), "K_ANONYMITY": 1}


@pytest.fixture
def wh(make_app, wh_settings):
    """The app under test (shared knowledge base, k=1 unless a test says otherwise), with a twin's context."""
    app = make_app(**wh_settings)
    with make_app(**wh_settings).app_context():
        yield app


@pytest.fixture
def admin(wh):
    user = User(email="admin@example.org", role="admin")
    user.set_password("correct horse battery staple")
    db.session.add(user)
    db.session.commit()
    return user


def ingest(files, source="hospital", profile="hospital_csv", *, quarantine=False, user=None) -> list[Upload]:
    """Upload files and ingest them here; return the refreshed uploads."""
    uploads = create_upload([(name, io.BytesIO(data)) for name, data in files], source, profile, user,
                            quarantine=quarantine, enqueue=False)
    for upload in uploads:
        with contextlib.suppress(IngestionError):
            ingest_upload(upload.id)
    for upload in uploads:
        db.session.refresh(upload)
    return uploads


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def symptoms_of(case: Case) -> dict[str, bool]:
    rows = db.session.execute(select(CaseSymptom.hpo_id, CaseSymptom.present).where(CaseSymptom.case_id == case.id))
    return dict(rows.all())


def diagnoses_of(case: Case) -> set[str]:
    return set(db.session.scalars(select(CaseDiagnosis.disease_id).where(CaseDiagnosis.case_id == case.id)))


def warehouse_empty() -> bool:
    return all(count(model) == 0 for model in (Patient, Case, CaseSymptom, CaseDiagnosis, Note))


# ---------------------------------------------------------------------------------------------------------
# Formats and layouts
# ---------------------------------------------------------------------------------------------------------


def test_hospital_csv_latin1_long_list_layout_loads_harmonised_anonymous_cases(wh):
    [upload] = ingest([("hospital.csv", hospital_csv())])
    assert upload.status == UploadStatus.LOADED and upload.rows_loaded == 2 and upload.error is None
    first, second = db.session.scalars(select(Case).order_by(Case.row_number)).all()
    assert (first.row_number, first.year, first.age_group, first.temperature_c, first.temperature_band) == (
        2, "2024", "45-64", 38.6, "fever")
    assert second.temperature_c == pytest.approx(38.5, abs=0.01)  # 101.3 °F
    assert (first.weight_kg, first.height_cm) == (81.0, 176.0)
    assert symptoms_of(first) == {FEVER: True, COUGH: True, HEADACHE: False, DYSPNEA: False}  # dyspnea: negated note
    assert symptoms_of(second) == {HEADACHE: True}
    assert diagnoses_of(first) == {"ICD10:J11.1"} and diagnoses_of(second) == {"ICD10:K21.9"}
    assert db.session.scalar(select(CaseDiagnosis.code_system)) == "ICD10"
    patient = db.session.get(Patient, first.patient_id)
    assert patient.pseudonym.startswith("p_") and patient.sex == "male" and patient.zip3 == "280"
    [note] = db.session.scalars(select(Note.text)).all()
    assert "José" not in note and "Núñez" not in note and "612 345 678" not in note and "[NAME]" in note
    report = upload_report(upload)
    assert report["read"]["encoding"] == "iso8859-1" and report["read"]["delimiter"] == ";"
    assert report["anonymization"]["identifiers_removed"]["national_id"] == 2
    assert report["vocabulary"]["symptoms_mapped"] == 4 and report["vocabulary"]["symptoms_unmapped"] == 0
    assert set(report["timings"]) >= {"read", "anonymize", "vocabulary", "load"}


def test_registry_jsonl_and_json_array_with_hpo_ids_orpha_omim_and_excluded_terms(wh):
    jsonl, = ingest([("registry.jsonl", registry_jsonl())], source="registry", profile="registry_jsonl")
    assert jsonl.status == UploadStatus.LOADED and jsonl.rows_loaded == 2
    cases = db.session.scalars(select(Case).order_by(Case.row_number)).all()
    assert symptoms_of(cases[0]) == {"HP:0001166": True, "HP:0001519": True, FEVER: False}
    assert diagnoses_of(cases[0]) == {"ORPHA:558"} and diagnoses_of(cases[1]) == {"OMIM:154700"}
    assert cases[0].temperature_c == 36.9 and cases[1].temperature_c is None

    array = json.dumps(registry_records()[1:] + [{**registry_records()[0], "patient_id": "A-9"}]).encode()
    json_upload, = ingest([("registry.json", array)], source="registry", profile="registry_jsonl")
    assert json_upload.status == UploadStatus.LOADED and json_upload.format == "json" and json_upload.rows_loaded == 2


def test_research_xlsx_wide_one_hot_layout_converts_imperial_units(wh):
    [upload] = ingest([("research.xlsx", research_xlsx())], source="research", profile="research_xlsx")
    assert upload.status == UploadStatus.LOADED and upload.rows_loaded == 2
    first, second = db.session.scalars(select(Case).order_by(Case.row_number)).all()
    assert symptoms_of(first) == {PRURITUS: True, RASH: True, FEVER: False}
    assert symptoms_of(second) == {PRURITUS: False, RASH: True, FEVER: True}
    assert first.temperature_c == 38.0 and first.weight_kg == pytest.approx(68.04, abs=0.01)
    assert first.height_cm == pytest.approx(162.56) and first.age_group == "25-44" and first.year is None
    assert diagnoses_of(first) == {"ICD10:A97.9"} and diagnoses_of(second) == set()
    assert upload_report(upload)["vocabulary"]["unmapped"]["disease"] == {"Fungal infection xyz": 1}


def test_numbered_symptom_columns_with_a_saved_profile(wh, admin):
    profile = SourceProfile(name="clinic_b", column_map={"pid": "patient_id", "edad": "age", "sexo": "sex"},
                            symptom_layout="long", symptom_columns=["Symptom_1", "Symptom_2", "Symptom_3"],
                            diagnosis_columns=["dx"])
    save_profile(profile.to_dict(), user=admin)
    data = b"pid,edad,sexo,Symptom_1,Symptom_2,Symptom_3,dx\nB1,30,F,cough,runny nose,,J11.1\nB2,40,M,fever,,,\n"
    [upload] = ingest([("clinic_b.csv", data)], source="clinic B", profile="clinic_b")
    assert upload.status == UploadStatus.LOADED and upload.rows_loaded == 2
    first = db.session.scalar(select(Case).order_by(Case.row_number))
    assert COUGH in symptoms_of(first) and len(symptoms_of(first)) == 2
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.target == "profile:clinic_b")) == (
        "profile.create")


def test_notes_files_named_after_patients_get_a_neutral_name_and_negation_aware_symptoms(wh):
    [upload] = ingest([("P-0009.txt", NOTE_TEXT.encode("utf-8"))], source="clinic", profile="clinic_notes")
    assert upload.status == UploadStatus.LOADED and upload.rows_loaded == 1
    assert upload.filename.startswith("note-") and upload.filename.endswith(".txt")
    case = db.session.scalar(select(Case))
    assert symptoms_of(case) == {COUGH: True, FEVER: True, DYSPNEA: False}
    note = db.session.scalar(select(Note.text))
    assert "Carmen" not in note and "11223344B" not in note and "carmen.vidal" not in note


def test_the_same_patient_in_two_sources_is_one_pseudonym_and_one_patient_row(wh):
    ingest([("hospital.csv", hospital_csv())])
    ingest([("registry.jsonl", registry_jsonl())], source="registry", profile="registry_jsonl")
    assert count(Case) == 4 and count(Patient) == 3  # P-0001 (hospital) is p0001 (registry)
    shared = db.session.execute(
        select(Case.patient_id).group_by(Case.patient_id).having(func.count(Case.source.distinct()) == 2)
    ).scalars().all()
    assert len(shared) == 1


# ---------------------------------------------------------------------------------------------------------
# Dedupe, atomicity, quarantine, k-anonymity, deletion
# ---------------------------------------------------------------------------------------------------------


def test_the_same_file_twice_is_refused_but_a_failed_one_can_come_again(wh):
    ingest([("hospital.csv", hospital_csv())])
    with pytest.raises(UploadRefused, match="already uploaded"):
        create_upload([("copy.csv", io.BytesIO(hospital_csv()))], "hospital", "hospital_csv", enqueue=False)
    with pytest.raises(UploadRefused, match="are the same file"):
        create_upload([("a.csv", io.BytesIO(b"x,y\n1,2\n")), ("b.csv", io.BytesIO(b"x,y\n1,2\n"))], "h",
                      "hospital_csv", enqueue=False)
    assert count(Upload) == 1 and count(Case) == 2

    [failed] = ingest([("bad.csv", b"x;y\n1;2\n")])
    assert failed.status == UploadStatus.FAILED
    [again] = create_upload([("bad.csv", io.BytesIO(b"x;y\n1;2\n"))], "hospital", "hospital_csv", enqueue=False)
    assert again.id != failed.id


def test_the_same_bytes_under_another_name_keep_the_first_upload_s_original_name(wh, admin):
    [failed] = ingest([("first-name.csv", b"x;y\n1;2\n")])
    assert failed.status == UploadStatus.FAILED
    [again] = create_upload([("second-name.csv", io.BytesIO(b"x;y\n1;2\n"))], "hospital", "hospital_csv",
                            enqueue=False)
    assert again.storage_key == failed.storage_key  # stored once per content
    # Before: put_raw rewrote the name kept beside the bytes, so the earlier upload's raw file took the new name.
    assert raw_file(failed, user=admin) == (b"x;y\n1;2\n", "first-name.csv")


BAD_ROW = ("P-0003;Ana;Ruiz;11111111H;600000000;ana@example.org;Calle Luna 1;28015;01/01/1970;M;14/05/2024;"
           "51;C;60;160;tos;;J11.1;")


def test_one_bad_row_loads_nothing_and_the_report_names_it_without_its_values(wh):
    [upload] = ingest([("hospital.csv", hospital_csv([*HOSPITAL_ROWS, BAD_ROW]))])
    assert upload.status == UploadStatus.FAILED and upload.rows_rejected == 1 and upload.rows_loaded == 0
    assert "1 of 3 rows have errors, so nothing was loaded" in upload.error
    assert warehouse_empty()
    rows = list(csv.DictReader(io.StringIO(validation_report(upload).decode("utf-8"))))
    assert rows == [{"row_number": "4", "field": "temperature", "reason": "temperature is outside 25–45 °C"}]
    assert upload_report(upload)["validation"]["rows"] == 1


def test_with_quarantine_the_good_rows_load_and_the_report_lists_the_bad_one(wh):
    [upload] = ingest([("hospital.csv", hospital_csv([BAD_ROW, *HOSPITAL_ROWS]))], quarantine=True)
    assert upload.status == UploadStatus.LOADED and upload.rows_loaded == 2 and upload.rows_quarantined == 1
    assert sorted(db.session.scalars(select(Case.row_number))) == [3, 4]
    rows = list(csv.DictReader(io.StringIO(validation_report(upload).decode("utf-8"))))
    assert [(row["row_number"], row["field"]) for row in rows] == [("2", "temperature")]


def test_a_failure_half_way_through_the_load_rolls_everything_back(wh, make_app, wh_settings, monkeypatch):
    app = make_app(**wh_settings, INGEST_CHUNKSIZE=1)
    original_load = WarehouseLoader.load

    def load_then_fail(self, chunk):
        original_load(self, chunk)
        if self.counts["cases"] == 2:
            raise RuntimeError("disk full, with José Núñez in the message")

    monkeypatch.setattr(WarehouseLoader, "load", load_then_fail)
    with app.app_context():
        [upload] = ingest([("hospital.csv", hospital_csv([*HOSPITAL_ROWS, HOSPITAL_ROWS[0].replace("P-0001", "P-5")]))])
        assert upload.status == UploadStatus.FAILED and "internal error (RuntimeError)" in upload.error
        assert "José" not in upload.error and upload.rows_loaded == 0
        assert warehouse_empty()


def test_k_anonymity_is_enforced_over_the_whole_upload_not_per_chunk(make_app, wh_settings):
    app = make_app(**{**wh_settings, "K_ANONYMITY": 3, "K_ANONYMITY_STRATEGY": "suppress", "INGEST_CHUNKSIZE": 2})
    rows = [HOSPITAL_ROWS[0].replace("P-0001", f"P-10{index}") for index in range(4)] + [HOSPITAL_ROWS[1]]
    with app.app_context():
        [upload] = ingest([("hospital.csv", hospital_csv(rows))])
        anonymization = upload_report(upload)["anonymization"]
        assert upload.rows_loaded == 4 and anonymization["rows_suppressed"] == 1 and anonymization["k_achieved"] == 4


def test_a_single_note_has_no_quasi_identifiers_and_is_not_suppressed_for_being_alone(make_app, wh_settings):
    with make_app(**{**wh_settings, "K_ANONYMITY": 5}).app_context():
        [upload] = ingest([("P-0009.txt", NOTE_TEXT.encode("utf-8"))], source="clinic", profile="clinic_notes")
        assert upload.rows_loaded == 1
        assert upload_report(upload)["anonymization"]["rows_without_quasi_identifiers"] == 1


def test_deleting_an_upload_removes_its_rows_its_lonely_patients_and_its_raw_file(wh, admin):
    [hospital] = ingest([("hospital.csv", hospital_csv())])
    [registry] = ingest([("registry.jsonl", registry_jsonl())], source="registry", profile="registry_jsonl")
    storage = raw_zone.storage()
    assert storage.exists(hospital.storage_key)
    counts = delete_upload(hospital, user=admin)
    assert counts["cases"] == 2 and counts["patients"] == 1  # P-0002; P-0001 still has a registry case
    assert count(Case) == 2 and count(Patient) == 2
    assert db.session.scalar(select(func.count(CaseSymptom.id)).where(CaseSymptom.upload_id == hospital.id)) == 0
    assert count(Note) == 1 and db.session.get(Upload, counts and registry.id) is not None
    assert not storage.exists(hospital.storage_key) and storage.exists(registry.storage_key)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "upload.delete"))
    assert event.actor == admin.email and event.details["cases"] == 2

    result = wh.test_cli_runner().invoke(args=["ingest", "delete", str(registry.id)])
    assert result.exit_code == 0 and "2 cases" in result.output
    assert warehouse_empty() and count(Upload) == 0


@pytest.mark.postgresql_only  # SQLite serialises writers: a load in progress blocks deletion by itself
def test_deletion_waits_for_loads_in_progress_so_no_case_loses_its_patient(wh, admin):
    [hospital] = ingest([("hospital.csv", hospital_csv())])
    with db.engine.connect() as loading:  # a load in progress holds the warehouse lock shared
        loading.execute(text("SELECT pg_advisory_xact_lock_shared(:key)"), {"key": WAREHOUSE_LOCK})
        with pytest.raises(UploadRefused, match="being loaded"):
            delete_upload(hospital, user=admin)
        loading.rollback()
    assert count(Case) == 2 and count(Patient) == 2 and db.session.get(Upload, hospital.id) is not None
    assert delete_upload(db.session.get(Upload, hospital.id), user=admin)["cases"] == 2
    assert warehouse_empty()


@pytest.mark.postgresql_only  # SQLite serialises writers: two loads never insert patients at once
def test_a_new_patient_inserted_meanwhile_by_another_load_is_shared_not_duplicated(wh, tmp_path):
    [upload] = create_upload([("hospital.csv", io.BytesIO(hospital_csv()))], "hospital", "hospital_csv",
                             enqueue=False)
    [first_chunk] = _wrangled_chunks(hospital_csv(), tmp_path / "hospital.csv")
    other = db.engine.connect()  # another upload's load: inserts the same new patient, commits a moment later
    other.execute(text("INSERT INTO patients (pseudonym) VALUES (:pseudonym)"),
                  {"pseudonym": first_chunk.cases["pseudonym"][0]})
    threading.Timer(0.5, other.commit).start()
    with db.engine.begin() as connection:  # blocks on the other insert, then retries with ON CONFLICT
        WarehouseLoader(connection, upload_id=upload.id, source="hospital").load(first_chunk)
    other.close()
    assert count(Patient) == 2 and count(Case) == 2
    assert db.session.scalar(select(func.count(func.distinct(Case.patient_id)))) == 2


def _wrangled_chunks(data: bytes, path) -> list:
    """Return the warehouse-ready chunks of a hospital CSV (k=1), as the ingest job makes them."""
    from app.warehouse.profiles import get_profile
    from app.warehouse.service import _settings, _vocabulary, note_reader
    from ml.ingest import TermMapper, plan_k_anonymity, scan, wrangle

    path.write_bytes(data)
    settings, profile = _settings(), get_profile("hospital_csv")
    plan = plan_k_anonymity(scan(path, profile, filename=path.name, settings=settings).quasi, settings)
    return list(wrangle(path, profile, filename=path.name, settings=settings, plan=plan,
                        mapper=TermMapper(_vocabulary(), note_reader())))


def test_a_load_into_an_upload_deleted_meanwhile_loads_nothing(wh):
    [upload] = create_upload([("hospital.csv", io.BytesIO(hospital_csv()))], "hospital", "hospital_csv",
                             enqueue=False)
    loader_upload_id = upload.id
    db.session.delete(upload)
    db.session.commit()
    with db.engine.connect() as connection, pytest.raises(LoadRefused):
        WarehouseLoader(connection, upload_id=loader_upload_id, source="hospital")._prepare()
    assert warehouse_empty()


# ---------------------------------------------------------------------------------------------------------
# Malformed files
# ---------------------------------------------------------------------------------------------------------


def _garbage() -> bytes:
    return bytes((index * 7919) % 256 for index in range(4096))


MALFORMED = [
    ("garbage.csv", _garbage(), "hospital_csv", "looks like a binary file"),
    ("research.xlsx", research_xlsx()[:1500], "research_xlsx", "corrupt or truncated"),
    ("utf16.csv", HOSPITAL_HEADER.encode("utf-16"), "hospital_csv", "UTF-16"),
    ("registry.jsonl", '{"patient_id": "caf\xe9"}\n'.encode("latin-1") + b"\xff\xfe{", "registry_jsonl",
     "is not valid"),
    ("empty.csv", b"", "hospital_csv", "is empty"),
    ("header.csv", (HOSPITAL_HEADER + "\n").encode(), "hospital_csv", "no data rows"),
    ("long.csv", b"a" * (10 * 1024 * 1024), "hospital_csv", "longer than"),
    ("formula.csv", hospital_csv([HOSPITAL_ROWS[0].replace("38,6", '=HYPERLINK("http://evil.example")')]),
     "hospital_csv", "rows have errors"),
]


@pytest.mark.parametrize("name,data,profile,message", MALFORMED, ids=[item[0] for item in MALFORMED])
def test_malformed_files_fail_clearly_and_load_nothing(wh, name, data, profile, message):
    [upload] = ingest([(name, data)], profile=profile)
    assert upload.status == UploadStatus.FAILED and message in upload.error
    assert warehouse_empty()


def test_a_formula_in_free_text_is_neutralised_before_it_is_stored(wh):
    row = HOSPITAL_ROWS[1].rstrip(";") + ';=cmd|" /C calc"!A0'
    [upload] = ingest([("hospital.csv", hospital_csv([row]))])
    assert upload.status == UploadStatus.LOADED and upload_report(upload)["read"]["neutralised_cells"] == 1
    assert db.session.scalar(select(Note.text)).startswith("'=")


@pytest.mark.parametrize("name", ["../../etc/passwd.csv", "..\\..\\boot.ini", "a/../../b.csv", "bad\x00.csv", ""])
def test_path_traversal_and_unsafe_names_are_refused_and_nothing_is_stored(wh, name):
    with pytest.raises(UploadRefused):
        create_upload([(name, io.BytesIO(hospital_csv()))], "hospital", "hospital_csv", enqueue=False)
    assert count(Upload) == 0 and raw_zone.storage().list() == []


def test_a_file_over_the_size_limit_is_refused_before_it_is_stored(make_app, wh_settings):
    with make_app(**wh_settings, MAX_INGEST_BYTES=200).app_context():
        with pytest.raises(UploadRefused, match="larger than the limit"):
            create_upload([("hospital.csv", io.BytesIO(hospital_csv()))], "hospital", "hospital_csv", enqueue=False)
        assert count(Upload) == 0 and raw_zone.storage().list() == []


# ---------------------------------------------------------------------------------------------------------
# The job, the command, and no identifier anywhere
# ---------------------------------------------------------------------------------------------------------


def run_worker() -> None:
    SimpleWorker([queue.rq], connection=queue.redis).work(burst=True, with_scheduler=False)


INJECTED = ["José", "Núñez", "Lucía", "Ortega", "12345678Z", "87654321X", "612 345 678", "612345678", "622 111 222",
            "jose.nunez@example.org", "lucia.ortega@example.org", "Calle Mayor", "Avenida del Sol", "28013",
            "03/04/1961", "1961-04-03", "22/11/1990", "12/05/2024", "P-0001", "P-0002", "P-0009", "Carmen", "Vidal",
            "11223344B", "carmen.vidal@example.org", "Marta Gil", "R-77", "2001-02-03", "S-1", "S-2"]


def _text_values() -> list[str]:
    """Return every value of every text or JSON column of every table."""
    values = []
    for table in db.metadata.sorted_tables:
        columns = [column for column in table.columns if isinstance(column.type, String | Text | JSON)]
        for row in db.session.execute(select(*columns)) if columns else ():
            values.extend(json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
                          for value in row if value is not None)
    return values


def test_no_injected_identifier_reaches_any_table_job_result_or_log(wh, admin, caplog):
    caplog.set_level(logging.DEBUG)
    files = [("hospital.csv", hospital_csv()), ("registry.jsonl", registry_jsonl()), ("research.xlsx", research_xlsx()),
             ("P-0009.txt", NOTE_TEXT.encode("utf-8"))]
    for (name, data), profile in zip(files, ["hospital_csv", "registry_jsonl", "research_xlsx", "clinic_notes"],
                                     strict=True):
        create_upload([(name, io.BytesIO(data))], "source", profile, admin)
    run_worker()
    jobs = db.session.scalars(select(Job).where(Job.kind == "ingest")).all()
    assert [job.status for job in jobs] == [JobStatus.FINISHED] * 4
    assert count(Case) == 7 and db.session.scalar(select(func.sum(Upload.rows_loaded))) == 7

    haystack = "\n".join([*_text_values(), *(json.dumps(job.result, ensure_ascii=False) for job in jobs),
                          *(record.getMessage() for record in caplog.records)]).casefold()
    leaked = [identifier for identifier in INJECTED if identifier.casefold() in haystack]
    assert leaked == []


def test_flask_ingest_waits_and_prints_the_report_or_queues_a_job(wh, tmp_path):
    path = tmp_path / "hospital.csv"
    path.write_bytes(hospital_csv())
    runner = wh.test_cli_runner()
    waited = runner.invoke(args=["ingest", str(path), "--source", "hospital", "--profile", "hospital_csv", "--wait"])
    assert waited.exit_code == 0, waited.output
    assert json.loads(waited.output)["rows_loaded"] == 2 and count(Case) == 2
    again = runner.invoke(args=["ingest", str(path), "--source", "hospital", "--profile", "hospital_csv"])
    assert again.exit_code == 1 and "already uploaded" in again.output

    other = tmp_path / "registry.jsonl"
    other.write_bytes(registry_jsonl())
    queued = runner.invoke(args=["ingest", str(other), "--source", "registry", "--profile", "registry_jsonl"])
    assert queued.exit_code == 0 and "queued as job #" in queued.output
    run_worker()
    assert count(Case) == 4


def test_flask_ingest_proposes_a_profile_for_an_unknown_file_and_stops_unless_accepted(wh, tmp_path):
    path = tmp_path / "new_source.csv"
    path.write_bytes(b"patient_id,age,sex,symptoms,diagnosis\nN1,30,F,fever;cough,J11.1\nN2,41,M,cough,\n")
    runner = wh.test_cli_runner()
    proposed = runner.invoke(args=["ingest", str(path), "--source", "New Source"])
    assert proposed.exit_code == 1 and "--accept-proposal" in proposed.output
    assert '"symptom_columns": [' in proposed.output and count(Upload) == 0
    accepted = runner.invoke(args=["ingest", str(path), "--source", "New Source", "--accept-proposal", "--wait"])
    assert accepted.exit_code == 0, accepted.output
    assert "Saved the proposed profile as 'new_source'" in accepted.output and count(Case) == 2
    case = db.session.scalar(select(Case).order_by(Case.row_number))
    assert symptoms_of(case) == {FEVER: True, COUGH: True} and diagnoses_of(case) == {"ICD10:J11.1"}


def test_ingestion_with_the_raw_zone_on_s3(make_app, wh_settings, s3_endpoint, s3_bucket):  # noqa: F811
    app = make_app(**wh_settings, STORAGE_URL=f"s3://{s3_bucket}/raw", S3_ENDPOINT_URL=s3_endpoint)
    with app.app_context():
        [upload] = ingest([("hospital.csv", hospital_csv([*HOSPITAL_ROWS, BAD_ROW]))], quarantine=True)
        assert upload.status == UploadStatus.LOADED and upload.rows_loaded == 2
        storage = raw_zone.storage()
        assert storage.list() == sorted([upload.storage_key, raw_zone.name_key(upload.storage_key),
                                         f"reports/upload-{upload.id}.csv"])
        with storage.open(upload.storage_key) as body:
            assert body.read() == hospital_csv([*HOSPITAL_ROWS, BAD_ROW])
        assert b"temperature" in validation_report(upload)
        delete_upload(upload)
        assert storage.list() == [] and warehouse_empty()
