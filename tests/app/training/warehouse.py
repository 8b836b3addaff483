"""Fill the test warehouse with the small synthetic cases of :mod:`tests.ml.cases` (real rows, real tables)."""

from __future__ import annotations

from app.extensions import db
from app.models import Case, CaseDiagnosis, CaseSymptom, Patient
from tests.ml.cases import make_records

#: The smallest configuration that still fans out: one candidate, two draws, two folds (halving: 2 rounds).
TINY = {"candidates": ["logistic_regression"], "n_draws": 2, "n_folds": 2, "min_support": 5, "propagate": False}


def fill_warehouse(n_per_disease: int = 20, *, seed: int = 0, diseases: int | None = None) -> int:
    """Insert synthetic cases (optionally of the first ``diseases`` diseases only); return how many."""
    records = make_records(n_per_disease, seed=seed)
    if diseases is not None:
        kept = sorted({record["diagnoses"][0] for record in records})[:diseases]
        records = [record for record in records if record["diagnoses"][0] in kept]
    patients = {}
    for number, record in enumerate(records, start=1):
        patient = patients.get(record["patient_id"])
        if patient is None:
            patient = Patient(pseudonym=f"p{seed}-{record['patient_id']}", sex=record["sex"])
            db.session.add(patient)
            db.session.flush()
            patients[record["patient_id"]] = patient
        case = Case(patient_id=patient.id, upload_id=1, source=record["source"], row_number=number,
                    year=str(record["year"]), age_group=record["age_group"], temperature_c=record["temperature_c"],
                    temperature_band=record["temperature_band"])
        db.session.add(case)
        db.session.flush()
        db.session.add_all([CaseSymptom(case_id=case.id, upload_id=1, hpo_id=term, present=True)
                            for term in record["present"]])
        db.session.add_all([CaseSymptom(case_id=case.id, upload_id=1, hpo_id=term, present=False)
                            for term in record["absent"]])
        db.session.add_all([CaseDiagnosis(case_id=case.id, upload_id=1, disease_id=disease,
                                          code_system=disease.split(":")[0]) for disease in record["diagnoses"]])
    db.session.commit()
    return len(records)
