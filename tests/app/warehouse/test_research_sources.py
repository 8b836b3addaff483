"""Research data sets without a patient column load end to end: a proposed profile, each row its own anonymous
patient, and the upload report listing the rows that got a generated pseudonym.

The two files are written here in the layouts of the public Kaggle "Disease Prediction Using Machine Learning"
data sets (wide: 132 symptom columns of 0/1 and ``prognosis``; long: ``Disease, Symptom_1 … Symptom_17``)."""

# ruff: noqa: F811 (the warehouse fixtures are imported from test_warehouse and requested by name)
from __future__ import annotations

import csv
import io
import random

from sqlalchemy import func, select

from app.models import Case, CaseDiagnosis, CaseSymptom, Patient, UploadStatus
from app.warehouse import propose_profile_for, save_profile, upload_report
from ml.privacy import PSEUDONYM_PREFIX, ROW_PSEUDONYM_PREFIX
from tests.app.warehouse.test_warehouse import (  # noqa: F401 (fixtures)
    admin,
    count,
    db,
    diagnoses_of,
    hospital_csv,
    ingest,
    kb_dir,
    symptoms_of,
    wh,
    wh_settings,
)
from tests.ml.knowledge.test_curated_data import KAGGLE_DISEASES, KAGGLE_SYMPTOMS

ROWS = 41
ITCHING, SKIN_RASH = "HP:0000989", "HP:0000988"


def wide_csv() -> bytes:
    """Return one row per disease: 132 symptom columns of 0/1 (``fluid_overload`` twice, as there) + prognosis."""
    rng = random.Random(7)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*KAGGLE_SYMPTOMS, "prognosis"])
    for disease in KAGGLE_DISEASES:
        cells = [int(rng.random() < 0.05) for _ in KAGGLE_SYMPTOMS]
        cells[0] = cells[1] = 1  # itching, skin_rash: every row has a symptom to check
        writer.writerow([*cells, disease])
    return buffer.getvalue().encode("utf-8")


def long_csv() -> bytes:
    """Return one row per disease as ``Disease, Symptom_1 … Symptom_17``, values with a leading space."""
    rng = random.Random(8)
    symptoms = [name for name in dict.fromkeys(KAGGLE_SYMPTOMS) if name not in ("itching", "skin_rash")]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["Disease", *(f"Symptom_{number}" for number in range(1, 18))])
    for disease in KAGGLE_DISEASES:
        listed = [" itching", " skin_rash", *(" " + name for name in rng.sample(symptoms, rng.randint(0, 8)))]
        writer.writerow([disease, *listed, *[""] * (17 - len(listed))])
    return buffer.getvalue().encode("utf-8")


def _propose_and_ingest(tmp_path, name: str, data: bytes, admin):
    path = tmp_path / name
    path.write_bytes(data)
    proposal = propose_profile_for(path, name, name=name.split(".")[0])
    assert proposal.rows_are_patients and "patient_id" not in proposal.column_map.values()
    save_profile(proposal, user=admin)
    [upload] = ingest([(name, data)], source="Kaggle", profile=proposal.name, user=admin)
    return proposal, upload


def _check_loaded(upload) -> None:
    assert upload.status == UploadStatus.LOADED, upload.error
    assert upload.rows_read == ROWS and upload.rows_loaded == ROWS and upload.rows_rejected == 0
    assert count(Case) == ROWS and count(Patient) == ROWS
    pseudonyms = db.session.scalars(select(Patient.pseudonym)).all()
    assert len(set(pseudonyms)) == ROWS and all(p.startswith(ROW_PSEUDONYM_PREFIX) for p in pseudonyms)
    cases = db.session.scalars(select(Case).order_by(Case.row_number)).all()
    assert [case.row_number for case in cases] == list(range(2, ROWS + 2))  # the file's lines (1 is the header)
    assert all(symptoms_of(case).get(ITCHING) is True and symptoms_of(case).get(SKIN_RASH) is True for case in cases)
    diagnosed = db.session.scalar(select(func.count(func.distinct(CaseDiagnosis.case_id))))
    assert diagnosed == ROWS and len(diagnoses_of(cases[0])) == 1
    report = upload_report(upload)
    assert report["patients"] == {"generated_pseudonyms": ROWS, "generated_rows": [f"2-{ROWS + 1}"]}
    assert report["vocabulary"]["diseases_unmapped"] == 0 and report["vocabulary"]["symptoms_unmapped"] == 0


def test_a_wide_one_hot_file_without_patient_ids_loads_one_anonymous_patient_per_row(wh, admin, tmp_path):
    proposal, upload = _propose_and_ingest(tmp_path, "kaggle_training.csv", wide_csv(), admin)
    assert proposal.symptom_layout == "wide" and proposal.diagnosis_columns == ["prognosis"]
    assert proposal.column_map == {}  # weight_gain, weight_loss, mild_fever... are symptoms, not measurements
    _check_loaded(upload)
    assert count(CaseSymptom) > 2 * ROWS  # the absent (0) symptoms are recorded too


def test_a_long_symptom_list_file_without_patient_ids_loads_one_anonymous_patient_per_row(wh, admin, tmp_path):
    proposal, upload = _propose_and_ingest(tmp_path, "kaggle_dataset.csv", long_csv(), admin)
    assert proposal.symptom_layout == "long" and proposal.diagnosis_columns == ["Disease"]
    assert proposal.symptom_columns == [f"Symptom_{number}" for number in range(1, 18)]
    _check_loaded(upload)


def test_anonymous_rows_of_two_uploads_never_share_a_patient_with_each_other_or_a_real_one(wh, admin, tmp_path):
    _propose_and_ingest(tmp_path, "kaggle_training.csv", wide_csv(), admin)
    [second] = ingest([("again.csv", wide_csv().replace(b"\n1,", b"\n0,", 1))], source="Kaggle",
                      profile="kaggle_training", user=admin)
    [hospital] = ingest([("hospital.csv", hospital_csv())])
    assert second.status == hospital.status == UploadStatus.LOADED
    assert count(Patient) == 2 * ROWS + 2 and count(Case) == 2 * ROWS + 2
    real = db.session.scalars(select(Patient.pseudonym).where(Patient.pseudonym.startswith(PSEUDONYM_PREFIX))).all()
    assert len(real) == 2
    assert upload_report(hospital)["patients"] == {"generated_pseudonyms": 0, "generated_rows": []}


def test_a_source_with_a_patient_column_still_refuses_rows_without_an_id(wh):
    rows = ["P-0003;Ana;Ruiz;;;;;28013;01/01/1980;M;12/05/2024;37;C;60;160;tos;;;",
            ";Eva;Sanz;;;;;28013;01/01/1981;M;12/05/2024;37;C;60;160;tos;;;"]
    [upload] = ingest([("hospital.csv", hospital_csv(rows))])
    assert upload.status == UploadStatus.FAILED and count(Case) == 0
    assert upload_report(upload)["validation"]["by_reason"] == {"patient_id: missing required field": 1}
