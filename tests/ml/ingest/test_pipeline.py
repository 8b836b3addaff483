"""The pure parts of the ingestion pipeline: redacted row errors and k-anonymity over a whole upload."""

from __future__ import annotations

import pandas as pd

from ml.ingest import (
    WrangleSettings,
    disease_code_system,
    error_summary,
    plan_k_anonymity,
    record_errors,
    redact_reason,
    redacted,
)


def test_row_error_reasons_keep_why_but_never_the_values():
    record = {"row_number": 7, "patient_id": None, "symptoms": [], "temperature": "51", "temperature_c": 51.0,
              "weight": "80", "weight_unit": "stone-x", "weight_kg": None, "age": "130", "age_years": 130.0,
              "birth_date": "1999-02-03", "visit_date": "31/13/2024 José"}
    errors = redacted(record_errors(record))
    text = " ".join(f"{error.field} {error.reason}" for error in errors)
    for value in ("51", "stone-x", "130", "1999-02-03", "31/13/2024", "José"):
        assert value not in text
    assert {(error.field, error.reason) for error in errors} >= {
        ("patient_id", "missing required field"),
        ("temperature", "temperature is outside 25–45 °C"),
        ("weight", "unknown weight unit"),
        ("age", "age is outside 0–120 years"),
        ("visit_date", "unparseable date"),
    }
    assert redact_reason("birth date 1999-02-03 is after visit date 1998-01-01") == "birth date is after visit date"
    assert error_summary(errors)["rows"] == 1


def test_k_anonymity_is_planned_over_the_whole_upload():
    quasi = pd.DataFrame(
        {"age_group": ["25-44"] * 4 + ["90+"], "sex": ["female"] * 5, "zip3": ["280"] * 5, "year": ["2024"] * 5},
        index=pd.Index([2, 3, 4, 5, 6], name="row_number"),
    )
    settings = WrangleSettings(key=b"k" * 32, k=4, k_strategy="suppress")
    plan = plan_k_anonymity(quasi, settings)
    assert list(plan.quasi.index) == [2, 3, 4, 5]
    assert (plan.rows_suppressed, plan.k_achieved, plan.equivalence_classes) == (1, 4, 1)


def test_disease_code_systems():
    assert [disease_code_system(code) for code in ("ICD10:K21.9", "ORPHA:558", "OMIM:154700", "dengue")] == [
        "ICD10", "ORPHA", "OMIM", "DXFLOW"]


def test_rows_without_any_quasi_identifier_are_not_suppressed_for_being_alone():
    quasi = pd.DataFrame({"age_group": ["unknown", "25-44"], "sex": [None, "male"], "zip3": [None, "280"],
                          "year": [None, "2024"]}, index=pd.Index([1, 2], name="row_number"))
    plan = plan_k_anonymity(quasi, WrangleSettings(key=b"k" * 32, k=5))
    assert list(plan.quasi.index) == [1] and plan.rows_suppressed == 1
