"""The pure parts of the ingestion pipeline: redacted row errors, k-anonymity over a whole upload, and anonymous
patients for sources without patient ids."""

from __future__ import annotations

import pandas as pd

from ml.ingest import (
    TermMapper,
    WrangleSettings,
    disease_code_system,
    error_summary,
    file_sha256,
    plan_k_anonymity,
    propose_profile,
    record_errors,
    redact_reason,
    redacted,
    row_ranges,
    scan,
    wrangle,
)
from ml.privacy import PSEUDONYM_PREFIX, ROW_PSEUDONYM_PREFIX, pseudonymize, row_pseudonym


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


def _research_file(tmp_path, rows: str) -> tuple:
    path = tmp_path / "research.csv"
    path.write_text("itching,skin_rash,weight_gain,prognosis\n" + rows, encoding="utf-8")
    sample = pd.read_csv(path, dtype=str)
    return path, propose_profile(list(sample.columns), sample)


def test_a_source_without_patient_ids_makes_each_row_an_anonymous_patient(tmp_path):
    path, profile = _research_file(tmp_path, "1,0,0,Dengue\n0,1,1,Malaria\n1,1,0,Dengue\n")
    settings = WrangleSettings(key=b"k" * 32, k=5)
    scanned = scan(path, profile, filename="research.csv", settings=settings)
    assert scanned.errors == [] and scanned.generated_rows == [2, 3, 4]
    assert scanned.patients_report() == {"generated_pseudonyms": 3, "generated_rows": ["2-4"]}
    plan = plan_k_anonymity(scanned.quasi, settings)
    [chunk] = wrangle(path, profile, filename="research.csv", settings=settings, plan=plan,
                      mapper=TermMapper(_Vocabulary()))
    pseudonyms = list(chunk.cases["pseudonym"])
    assert len(set(pseudonyms)) == 3 and all(p.startswith(ROW_PSEUDONYM_PREFIX) for p in pseudonyms)
    assert pseudonyms == [row_pseudonym(file_sha256(path), row, key=settings.key) for row in (2, 3, 4)]


def test_without_rows_are_patients_a_row_without_id_is_still_refused(tmp_path):
    path, profile = _research_file(tmp_path, "1,0,0,Dengue\n")
    profile.rows_are_patients = False
    scanned = scan(path, profile, filename="research.csv", settings=WrangleSettings(key=b"k" * 32))
    assert [(error.row_number, error.field) for error in scanned.errors] == [(2, "patient_id")]
    assert scanned.generated_rows == []


def test_row_pseudonyms_depend_on_upload_row_and_key_and_never_look_like_a_patient_pseudonym():
    key = b"k" * 32
    first = row_pseudonym("a" * 64, 2, key=key)
    assert first == row_pseudonym("a" * 64, 2, key=key) and len(first) == len(pseudonymize("x", key=key))
    assert len({first, row_pseudonym("b" * 64, 2, key=key), row_pseudonym("a" * 64, 3, key=key),
                row_pseudonym("a" * 64, 2, key=b"other key")}) == 4
    assert first.startswith(ROW_PSEUDONYM_PREFIX) and not first.startswith(PSEUDONYM_PREFIX)
    assert not pseudonymize(f"{'a' * 64}:2", key=key).startswith(ROW_PSEUDONYM_PREFIX)
    assert row_ranges([7, 2, 3, 4, 9, 10]) == ["2-4", "7", "9-10"] and row_ranges([]) == []


class _Vocabulary:
    """A vocabulary that knows nothing: mapping is not under test here."""

    def match_symptom(self, raw, lang=None):
        return None

    def match_disease(self, raw):
        return None
