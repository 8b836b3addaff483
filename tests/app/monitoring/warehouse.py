"""The training tests' small synthetic warehouse, its diseases named by knowledge-base ids so feedback accepts them."""

from __future__ import annotations

from app.extensions import db
from app.models import Case, CaseDiagnosis, CaseSymptom, Patient
from tests.ml.cases import make_records

#: tests.ml.cases' disease codes -> the knowledge base's ids of the same diseases.
KB_IDS = {"ICD10:J11": "ICD10:J11.1", "ICD10:A09": "ICD10:A09.9", "ICD10:N39": "ICD10:N39.0",
          "ICD10:J45": "ICD10:J45.9", "ICD10:I10": "ICD10:I10", "ORPHA:558": "ORPHA:558"}


def fill_kb_warehouse(n_per_disease: int = 20, *, seed: int = 0) -> int:
    """Insert the synthetic cases with knowledge-base disease ids; return how many."""
    records = make_records(n_per_disease, seed=seed)
    patients: dict = {}
    for number, record in enumerate(records, start=1):
        patient = patients.get(record["patient_id"])
        if patient is None:
            patient = patients[record["patient_id"]] = Patient(pseudonym=f"m{seed}-{record['patient_id']}",
                                                               sex=record["sex"])
            db.session.add(patient)
            db.session.flush()
        case = Case(patient_id=patient.id, upload_id=1, source=record["source"], row_number=number,
                    year=str(record["year"]), age_group=record["age_group"], temperature_c=record["temperature_c"],
                    temperature_band=record["temperature_band"])
        db.session.add(case)
        db.session.flush()
        db.session.add_all([CaseSymptom(case_id=case.id, upload_id=1, hpo_id=term, present=flag)
                            for flag, terms in ((True, record["present"]), (False, record["absent"]))
                            for term in terms])
        db.session.add_all([CaseDiagnosis(case_id=case.id, upload_id=1, disease_id=KB_IDS[disease],
                                          code_system=disease.split(":")[0]) for disease in record["diagnoses"]])
    db.session.commit()
    return len(records)
