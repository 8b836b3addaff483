"""Tests for ml.privacy: scrubbing, pseudonyms, Safe Harbor coarsening and k-anonymity."""

import math
from datetime import date

import numpy as np
import pandas as pd
import pytest

from ml.privacy import (
    AGE_GROUPS,
    PLACEHOLDER_TYPES,
    RESTRICTED_ZIP3,
    CachedScrubber,
    age_from,
    age_group,
    anonymize_records,
    dni_checksum_ok,
    equivalence_classes,
    find_identifiers,
    generalize_date,
    k_anonymity,
    patient_date_shift,
    pseudonym_key,
    pseudonymize,
    safe_harbor_age,
    scrub_text,
    zip3,
)
from ml.schema import DIRECT_IDENTIFIER_COLUMNS

KEY = b"test-key-0123456789abcdef"
OTHER_KEY = b"another-key-fedcba9876543210"


# --------------------------------------------------------------------------------------------------
# Free-text scrubbing
# --------------------------------------------------------------------------------------------------

# (note, identifier that must disappear, placeholder that must replace it)
SCRUB_CASES = [
    # English
    ("Mr. John Smith reports chest pain", "John Smith", "[NAME]"),
    ("Seen by Dr. Alice Wong today", "Alice Wong", "[NAME]"),
    ("Hi, my name is Peter Parker and I feel dizzy", "Peter Parker", "[NAME]"),
    ("Mrs. O'Brien has a rash", "O'Brien", "[NAME]"),
    ("Symptoms started 2024-03-05", "2024-03-05", "[DATE]"),
    ("Symptoms started 5 March 2024", "5 March 2024", "[DATE]"),
    ("Symptoms started on March 5th, 2024", "March 5th, 2024", "[DATE]"),
    ("Admitted 03/25/2024 with fever", "03/25/2024", "[DATE]"),
    ("Follow-up 12-Jan-2024", "12-Jan-2024", "[DATE]"),
    ("Call (555) 123-4567 after 5pm", "123-4567", "[PHONE]"),
    ("Phone: +1 555 123 4567", "555 123 4567", "[PHONE]"),
    ("Fax 555.987.6543", "555.987.6543", "[PHONE]"),
    ("Email john.smith@example.com for results", "john.smith@example.com", "[EMAIL]"),
    ("SSN 123-45-6789 on file", "123-45-6789", "[SSN]"),
    ("social security number 123456789", "123456789", "[SSN]"),
    ("MRN 12345678 admitted", "12345678", "[MRN]"),
    ("Medical record number: A-99812", "A-99812", "[MRN]"),
    ("Lives at 742 Evergreen Terrace, Springfield, IL 62704", "742 Evergreen Terrace", "[ADDRESS]"),
    ("Lives at 12 Oak St. near the park", "12 Oak St", "[ADDRESS]"),
    ("Moved to 1600 Pennsylvania Avenue last year", "1600 Pennsylvania Avenue", "[ADDRESS]"),
    ("ZIP 02139", "02139", "[ADDRESS]"),
    ("Mail to PO Box 1234", "1234", "[ADDRESS]"),
    ("Phone number is 6175550142", "6175550142", "[PHONE]"),
    ("hospital number 123456", "123456", "[MRN]"),
    ("Portal https://portal.example.org/patient?id=42", "portal.example.org", "[URL]"),
    ("See www.myclinic.com for details", "www.myclinic.com", "[URL]"),
    ("Logged in from 192.168.10.24", "192.168.10.24", "[IP]"),
    ("Device IP fe80::1ff:fe23:4567:890a", "fe80::1ff:fe23:4567:890a", "[IP]"),
    ("Insurance policy no. HP-7781234", "HP-7781234", "[ID]"),
    ("Pacemaker serial number PM20394857", "PM20394857", "[ID]"),
    ("Licence plate 1234 BCD", "1234", "[ID]"),
    # Spanish
    ("Paciente Juan García López acude por fiebre", "García López", "[NAME]"),
    ("Sra. María del Carmen Ruiz refiere cefalea", "María del Carmen Ruiz", "[NAME]"),
    ("Dña. Pilar Fernández, 80 años", "Pilar Fernández", "[NAME]"),
    ("Hola, me llamo Lucía y tengo tos", "Lucía", "[NAME]"),
    ("Atendido por Dra. Ana Torres", "Ana Torres", "[NAME]"),
    ("Su hija Marta lo acompaña", "Marta", "[NAME]"),
    ("Inicio el 5 de marzo de 2024", "5 de marzo de 2024", "[DATE]"),
    ("Inicio el 05/03/2024", "05/03/2024", "[DATE]"),
    ("Ingreso en marzo de 2024", "marzo de 2024", "[DATE]"),
    ("Teléfono 612 345 678", "612 345 678", "[PHONE]"),
    ("Móvil: +34 612 34 56 78", "612 34 56 78", "[PHONE]"),
    ("Tel. 91 123 45 67", "91 123 45 67", "[PHONE]"),
    ("Llamar al 0034 699112233", "699112233", "[PHONE]"),
    ("correo maria.ruiz@correo.es", "maria.ruiz@correo.es", "[EMAIL]"),
    ("DNI 12345678Z", "12345678Z", "[NATIONAL_ID]"),
    ("Documento 12345678-Z", "12345678-Z", "[NATIONAL_ID]"),
    ("DNI: 12.345.678-Z", "12.345.678-Z", "[NATIONAL_ID]"),
    ("NIE X1234567L extranjero", "X1234567L", "[NATIONAL_ID]"),
    ("Pasaporte PAA123456", "PAA123456", "[NATIONAL_ID]"),
    ("NHC 123456 en urgencias", "123456", "[MRN]"),
    ("Historia clínica nº 998877", "998877", "[MRN]"),
    ("Nº historia: 123456", "123456", "[MRN]"),
    ("Ingresó el día 3/IV/2024", "3/IV/2024", "[DATE]"),
    ("Fecha: 2-ene-2024", "2-ene-2024", "[DATE]"),
    ("Vive en Calle Mayor 5, 3º B, 28013 Madrid", "Mayor 5", "[ADDRESS]"),
    ("Domicilio: C/ Alcalá 123", "Alcalá 123", "[ADDRESS]"),
    ("Calle de Alcalá, 45, 2º izq, 28014 Madrid", "28014", "[ADDRESS]"),
    ("Domicilio en Avda. de la Constitución 12, 41001 Sevilla", "Constitución 12", "[ADDRESS]"),
    ("Vive en la plaza de España 3", "España 3", "[ADDRESS]"),
    ("Paseo de Gracia 21 bajo", "Gracia 21", "[ADDRESS]"),
    ("Código postal 28013", "28013", "[ADDRESS]"),
    ("Tarjeta sanitaria BBBB123456789012", "BBBB123456789012", "[ID]"),
    ("Nº de seguridad social 281234567840", "281234567840", "[ID]"),
]


@pytest.mark.parametrize(("note", "identifier", "placeholder"), SCRUB_CASES)
def test_scrub_text_replaces_each_identifier_type(note, identifier, placeholder):
    result = scrub_text(note)
    assert identifier not in result.text
    assert placeholder in result.text
    assert result.counts[placeholder.strip("[]")] >= 1
    assert set(result.counts) <= set(PLACEHOLDER_TYPES)


# Clinical text that a scrubber must leave exactly as it is.
CLINICAL_TEXT = [
    "Fever 39.5 C for 3 days",
    "dolor de cabeza",
    "BP 120/80",
    "HbA1c 7.2%",
    "TA 130/85 mmHg, FC 110 lpm, SpO2 95%",
    "glucosa 126 mg/dL, plaquetas 150000/µL",
    "WBC 12.5 x10^9/L, CRP 48 mg/L",
    "visual acuity 20/40 OS",
    "HP:0001250 seizures, ORPHA:558 Marfan syndrome",
    "ICD-10 E11.9 and J45.909",
    "Patient has fever and cough for 2 weeks",
    "Paciente refiere tos seca y fiebre de 38,5 ºC desde hace 4 días",
    "1 comprimido c/ 8 horas durante 7 días",
    "dio un paseo de 20 minutos y presentó disnea",
    "vitamin D. Fever since Monday",
    "May cause drowsiness; take 2 tablets",
    "Type 2 diabetes since age 40, BMI 31.2",
    "Dolor torácico 7/10, irradiado a brazo izquierdo",
    "Pain 8/10 since the 3rd day",
    "pH 7.35, pCO2 48 mmHg, lactato 2.1 mmol/L",
]


@pytest.mark.parametrize("text", CLINICAL_TEXT)
def test_scrub_text_keeps_clinical_content(text):
    result = scrub_text(text)
    assert result.text == text
    assert result.counts == {}


def test_scrub_text_keeps_clinical_content_around_identifiers():
    note = "Mr. John Smith, tel 555-123-4567: fever 39.5 C for 3 days, BP 120/80, HbA1c 7.2%"
    result = scrub_text(note)
    assert result.text == "Mr. [NAME], tel [PHONE]: fever 39.5 C for 3 days, BP 120/80, HbA1c 7.2%"
    assert result.counts == {"NAME": 1, "PHONE": 1}


@pytest.mark.parametrize(
    ("note", "known_names", "expected"),
    [
        ("Smith reports fever", ["John Smith"], "[NAME] reports fever"),
        ("john came back, SMITH was worse", ["John Smith"], "[NAME] came back, [NAME] was worse"),
        ("garcia lopez con fiebre", ["José", "García López"], "[NAME] [NAME] con fiebre"),
        ("JOSÉ refiere tos; jose no duerme", ["Jose"], "[NAME] refiere tos; [NAME] no duerme"),
        (
            "María de la Cruz tiene fiebre de la noche",
            ["María de la Cruz"],
            "[NAME] de la [NAME] tiene fiebre de la noche",
        ),
        ("Smithson is not Smith", ["Smith"], "Smithson is not [NAME]"),
        ("Luz tiene fotofobia a la luz", ["Luz Martín"], "[NAME] tiene fotofobia a la luz"),
        ("Al came back; pain al caminar", ["Al Jones"], "[NAME] came back; pain al caminar"),
    ],
)
def test_scrub_text_removes_patient_own_names_without_a_cue(note, known_names, expected):
    assert scrub_text(note, known_names=known_names).text == expected


def test_find_identifiers_reports_types_and_spans_in_text_order():
    text = "Call 555-123-4567 or mail a@b.com"
    found = find_identifiers(text)
    assert [kind for kind, _ in found] == ["PHONE", "EMAIL"]
    assert [text[start:end] for _, (start, end) in found] == ["555-123-4567", "a@b.com"]


def test_overlapping_identifiers_are_merged_into_one_placeholder():
    # The own-name token sits inside an address: the union is replaced, leaving no fragment behind.
    result = scrub_text("Lives at 12 Smith Street", known_names=["Anna Smith"])
    assert result.text == "Lives at [ADDRESS]"


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("12345678Z", True),
        ("12345678-z", True),
        ("12345678A", False),
        ("X1234567L", True),
        ("X1234567A", False),
        ("not a dni", False),
        (None, False),
    ],
)
def test_dni_checksum(value, valid):
    assert dni_checksum_ok(value) is valid


def test_dni_with_space_and_unit_letter_needs_a_valid_checksum():
    # 12345678 implies letter Z: "12345678 U" reads as a number and a unit, still scrubbed as a long id.
    assert [kind for kind, _ in find_identifiers("dose 12345678 U")] == ["ID"]
    assert scrub_text("dose 12345678 U").text == "dose [ID] U"
    assert [kind for kind, _ in find_identifiers("DNI 12345678 Z")] == ["NATIONAL_ID"]


BAD_INPUTS = [
    None,
    math.nan,
    float("inf"),
    pd.NA,
    pd.NaT,
    0,
    -17,
    3.14,
    True,
    b"\x00\xff",
    ["a", "list"],
    {"a": "dict"},
    "",
    "\x00\x01\x02\x1b[31m\x7f",
    "x" * 10_000,
    "1" * 10_000,
    "Dr. " * 3_000,
    "a@" * 5_000,
    "+34 " * 2_500,
    "Calle " + "de la " * 2_000,
]


@pytest.mark.parametrize("value", BAD_INPUTS, ids=lambda value: type(value).__name__ + str(len(str(value))))
def test_bad_input_never_raises(value):
    assert isinstance(scrub_text(value).text, str)
    assert isinstance(find_identifiers(value), list)
    assert zip3(value) is None or isinstance(zip3(value), str)
    assert age_group(value) in {label for _, _, label in AGE_GROUPS} | {"unknown"}
    safe_harbor_age(value)
    age_from(value, value)
    generalize_date(value)


def test_control_characters_do_not_hide_identifiers():
    assert scrub_text("mail\x00john@example.com\x07").text == "mail [EMAIL] "


# --------------------------------------------------------------------------------------------------
# Pseudonyms and dates
# --------------------------------------------------------------------------------------------------


def test_pseudonym_is_stable_prefixed_and_truncated():
    pseudonym = pseudonymize("12345", key=KEY)
    assert pseudonym == pseudonymize("12345", key=KEY)
    assert pseudonym.startswith("p_")
    assert len(pseudonym) == 2 + 24
    int(pseudonym[2:], 16)


def test_pseudonym_depends_on_the_key():
    assert pseudonymize("12345", key=KEY) != pseudonymize("12345", key=OTHER_KEY)


@pytest.mark.parametrize("variant", ["12-345", " 12345 ", "12 345", 12345, 12345.0, "１２３４５", "12_345"])
def test_pseudonym_links_the_same_patient_across_formatting(variant):
    assert pseudonymize(variant, key=KEY) == pseudonymize("12345", key=KEY)


@pytest.mark.parametrize(("first", "second"), [("AB-12", "ab12"), ("MRN 77", "mrn77")])
def test_pseudonym_ignores_case(first, second):
    assert pseudonymize(first, key=KEY) == pseudonymize(second, key=KEY)


def test_different_patients_get_different_pseudonyms():
    pseudonyms = {pseudonymize(f"patient-{index}", key=KEY) for index in range(5_000)}
    assert len(pseudonyms) == 5_000


@pytest.mark.parametrize("patient_id", [None, math.nan, "", "  - ", pd.NA])
def test_pseudonym_rejects_missing_ids(patient_id):
    with pytest.raises(ValueError, match="missing or empty"):
        pseudonymize(patient_id, key=KEY)


def test_pseudonym_key_converts_the_configured_secret_one_way():
    assert pseudonym_key("3f9a") == b"3f9a" == pseudonym_key(b"3f9a")
    with pytest.raises(ValueError, match="key"):
        pseudonym_key("")


@pytest.mark.parametrize("key", [b"", "a string key", None])
def test_pseudonym_rejects_bad_keys(key):
    with pytest.raises(ValueError, match="key"):
        pseudonymize("12345", key=key)


def test_date_shift_is_consistent_per_patient_and_bounded():
    shifts = [patient_date_shift(pseudonymize(index, key=KEY), key=KEY, max_days=30) for index in range(500)]
    assert all(1 <= abs(shift) <= 30 for shift in shifts)
    assert len(set(shifts)) > 40  # spread over the range, not a constant
    assert min(shifts) < 0 < max(shifts)
    pseudonym = pseudonymize("12345", key=KEY)
    assert patient_date_shift(pseudonym, key=KEY) == patient_date_shift(pseudonym, key=KEY)
    assert patient_date_shift(pseudonym, key=KEY) != patient_date_shift(pseudonym, key=OTHER_KEY)


@pytest.mark.parametrize(
    ("value", "mode", "shift_days", "expected"),
    [
        ("2024-03-05", "year", None, 2024),
        (date(2024, 3, 5), "year", None, 2024),
        (pd.Timestamp("2023-12-31 23:59"), "year", None, 2023),
        (np.datetime64("2022-07-01"), "year", None, 2022),
        (20240305, "year", None, None),
        ("05/03/2024", "year", None, 2024),
        ("2024-03-05", "shift", 10, date(2024, 3, 15)),
        ("2024-03-05", "shift", -5, date(2024, 2, 29)),
        ("not a date", "year", None, None),
        ("2024-02-30", "year", None, None),
        (None, "shift", 3, None),
    ],
)
def test_generalize_date(value, mode, shift_days, expected):
    assert generalize_date(value, mode=mode, shift_days=shift_days) == expected


def test_generalize_date_shift_mode_needs_a_shift():
    with pytest.raises(ValueError, match="shift_days"):
        generalize_date("2024-03-05", mode="shift")


# --------------------------------------------------------------------------------------------------
# Ages and ZIP codes
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("birth", "visit", "expected"),
    [
        ("1980-03-05", "2024-03-04", 43),
        ("1980-03-05", "2024-03-05", 44),
        ("2024-01-01", "2024-06-01", 0),
        ("2025-01-01", "2024-06-01", None),
        (None, "2024-06-01", None),
    ],
)
def test_age_from(birth, visit, expected):
    assert age_from(birth, visit) == expected


@pytest.mark.parametrize(
    ("age", "expected"),
    [
        (0, 0),
        (45, 45),
        (89, 89),
        (89.9, 89),
        (90, "90+"),
        (104, "90+"),
        ("95", "90+"),
        (-1, None),
        (200, None),
    ],
)
def test_safe_harbor_age(age, expected):
    assert safe_harbor_age(age) == expected


@pytest.mark.parametrize(
    ("age", "expected"),
    [
        (0, "0-4"),
        (4, "0-4"),
        (5, "5-14"),
        (24, "15-24"),
        (25, "25-44"),
        (64, "45-64"),
        (89, "65-89"),
        (90, "90+"),
        (101, "90+"),
        (None, "unknown"),
        ("abc", "unknown"),
    ],
)
def test_age_group(age, expected):
    assert age_group(age) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("02139", "021"),
        ("02139-4307", "021"),
        (2139, "021"),
        (2139.0, "021"),
        ("28013", "280"),
        (8001, "080"),
        ("CP 28013", "280"),
        ("1234", None),
        ("abcde", None),
        (None, None),
    ],
)
def test_zip3(value, expected):
    assert zip3(value) == expected


@pytest.mark.parametrize("prefix", sorted(RESTRICTED_ZIP3))
def test_zip3_restricted_prefixes_become_000(prefix):
    assert zip3(prefix + "01") == "000"


def test_restricted_prefixes_are_the_seventeen_listed_by_hhs():
    assert len(RESTRICTED_ZIP3) == 17


# --------------------------------------------------------------------------------------------------
# anonymize_records and k-anonymity
# --------------------------------------------------------------------------------------------------


def synthetic_records(rows: int = 200, seed: int = 7) -> pd.DataFrame:
    """Build canonical records with realistic spread over the quasi-identifiers."""
    rng = np.random.default_rng(seed)
    births = pd.to_datetime("1925-01-01") + pd.to_timedelta(rng.integers(0, 95 * 365, rows), unit="D")
    visits = pd.to_datetime("2021-01-01") + pd.to_timedelta(rng.integers(0, 4 * 365, rows), unit="D")
    return pd.DataFrame(
        {
            "patient_id": [f"P-{index:05d}" for index in range(rows)],
            "first_name": rng.choice(["Ana", "Luis", "Mary", "Omar", "Chen"], rows),
            "last_name": [f"Surname{index}" for index in range(rows)],
            "birth_date": births.strftime("%Y-%m-%d"),
            "visit_date": visits.strftime("%Y-%m-%d"),
            "sex": rng.choice(["F", "M"], rows),
            "zip": rng.choice(["02139", "10001", "28013", "08001", "41001", "60601", None], rows),
            "phone": [f"555-{index:03d}-0000" for index in range(rows)],
            "temperature": rng.normal(38.0, 0.8, rows).round(1),
            "symptoms": [["fever", "cough"] for _ in range(rows)],
            "notes": ["Fever 39.5 C for 3 days" for _ in range(rows)],
        }
    )


def test_anonymize_records_reaches_k_by_generalising():
    records = synthetic_records()
    qis = ("age_group", "sex", "zip3", "year")
    raw_k = k_anonymity(anonymize_records(records, key=KEY, k=1)[0], qis)
    anonymized, report = anonymize_records(records, key=KEY, k=5)

    assert raw_k < 5  # the synthetic frame really needs generalisation
    assert k_anonymity(anonymized, qis) >= 5
    assert report.k_achieved == k_anonymity(anonymized, qis)
    assert report.k_requested == 5
    assert report.rows_generalized > 0
    assert report.rows_out == len(anonymized) == report.rows_in - report.rows_suppressed
    assert report.equivalence_classes == len(equivalence_classes(anonymized, qis))
    assert report.generalization_steps_applied[0] == "zip3 -> *"


def test_anonymize_records_suppression_drops_and_reports_rows():
    common = {"birth_date": "1980-06-01", "visit_date": "2024-02-01", "sex": "F", "zip": "28013"}
    outliers = [
        {"birth_date": "1930-01-01", "visit_date": "2024-02-01", "sex": "M", "zip": "28013"},
        {"birth_date": "1980-06-01", "visit_date": "2022-02-01", "sex": "F", "zip": "28013"},
        {"birth_date": "1980-06-01", "visit_date": "2024-02-01", "sex": "F", "zip": "02139"},
    ]
    records = pd.DataFrame([common] * 12 + outliers)
    records["patient_id"] = [f"id-{index}" for index in range(len(records))]

    anonymized, report = anonymize_records(records, key=KEY, k=5, k_strategy="suppress")

    assert report.rows_suppressed == 3
    assert len(anonymized) == report.rows_out == 12
    assert set(anonymized["pseudonym"]) == {pseudonymize(f"id-{index}", key=KEY) for index in range(12)}
    assert report.k_achieved == 12
    assert report.equivalence_classes == 1
    assert report.rows_generalized == 0
    assert report.generalization_steps_applied == []


def test_generalisation_merges_stragglers_into_a_coarser_class_and_suppresses_the_rest():
    common = {"birth_date": "1980-06-01", "visit_date": "2024-02-01", "sex": "F", "zip": "28013"}
    stragglers = [
        {"birth_date": "1975-06-01", "visit_date": "2022-02-01", "sex": "F", "zip": "28013"},
        {"birth_date": "1990-06-01", "visit_date": "2024-02-01", "sex": "F", "zip": "02139"},
        {"birth_date": "1930-01-01", "visit_date": "2024-02-01", "sex": "M", "zip": "28013"},  # alone at 65+
    ]
    records = pd.DataFrame([common] * 12 + stragglers)
    records["patient_id"] = [f"id-{index}" for index in range(len(records))]

    anonymized, report = anonymize_records(records, key=KEY, k=5)

    assert report.rows_suppressed == 1
    assert report.rows_out == 14
    assert report.k_achieved == 14
    released_classes = anonymized[["age_group", "zip3", "year"]].drop_duplicates().values.tolist()
    assert released_classes == [["15-64", "*", "2020s"]]


def test_suppression_of_a_sparse_frame_can_drop_everything():
    anonymized, report = anonymize_records(synthetic_records(), key=KEY, k=5, k_strategy="suppress")
    assert report.rows_suppressed == 200 - len(anonymized) > 0
    assert report.k_achieved == k_anonymity(anonymized, ("age_group", "sex", "zip3", "year"))


def test_generalisation_suppresses_no_more_than_suppression():
    records = synthetic_records(seed=11)
    _, generalized = anonymize_records(records, key=KEY, k=5)
    _, suppressed = anonymize_records(records, key=KEY, k=5, k_strategy="suppress")
    assert generalized.rows_suppressed < suppressed.rows_suppressed


def test_anonymize_records_drops_identifiers_and_counts_them():
    records = synthetic_records(rows=30)
    anonymized, report = anonymize_records(records, key=KEY, k=1)

    assert not set(DIRECT_IDENTIFIER_COLUMNS) & set(anonymized.columns)
    assert not {"birth_date", "visit_date", "age"} & set(anonymized.columns)
    assert report.identifiers_removed["patient_id"] == 30
    assert report.identifiers_removed["phone"] == 30
    assert report.identifiers_removed["zip"] == records["zip"].notna().sum()
    assert anonymized["pseudonym"].tolist() == [pseudonymize(pid, key=KEY) for pid in records["patient_id"]]
    assert anonymized["temperature"].tolist() == records["temperature"].tolist()
    assert anonymized["notes"].tolist() == records["notes"].tolist()
    assert set(anonymized["year"]) <= {"2021", "2022", "2023", "2024"}


def test_anonymize_records_computes_age_and_caps_it_at_90():
    records = pd.DataFrame(
        {
            "patient_id": ["a", "b", "c"],
            "birth_date": ["1920-01-01", "1980-06-15", None],
            "visit_date": ["2024-05-01", "2024-05-01", "2024-05-01"],
            "age": [None, None, 7],
        }
    )
    anonymized, _ = anonymize_records(records, key=KEY, k=1, quasi_identifiers=("age", "age_group"))
    assert anonymized["age"].tolist() == [90, 43, 7]
    assert anonymized["age_group"].tolist() == ["90+", "25-44", "5-14"]


def test_shift_mode_keeps_intervals_within_a_patient():
    records = pd.DataFrame(
        {
            "patient_id": ["12-345", "12345 ", "999"],
            "birth_date": ["1990-01-10", "1990-01-10", "1930-01-01"],
            "visit_date": ["2024-03-01", "2024-03-11", "2024-03-01"],
        }
    )
    anonymized, report = anonymize_records(records, key=KEY, k=1, date_mode="shift")
    first, second, oldest = anonymized.to_dict("records")
    assert first["pseudonym"] == second["pseudonym"]
    assert (second["visit_date"] - first["visit_date"]).days == 10
    assert first["visit_date"] != date(2024, 3, 1)
    assert oldest["birth_date"] is None  # over 89: Safe Harbor forbids even the birth year
    assert report.dates_shifted == 5


def test_notes_scrubbing_uses_the_row_s_own_names():
    records = pd.DataFrame(
        {
            "patient_id": ["1", "2"],
            "name": ["Rosa Delgado", "Tomás Ibáñez"],
            "notes": ["rosa says delgado family has migraines", "Ibanez: fever, call 612 345 678"],
        }
    )
    anonymized, report = anonymize_records(records, key=KEY, k=1)
    assert anonymized["notes"].tolist() == [
        "[NAME] says [NAME] family has migraines",
        "[NAME]: fever, call [PHONE]",
    ]
    assert report.notes_scrubbed == 2
    assert report.placeholders == {"NAME": 3, "PHONE": 1}


def test_source_columns_named_like_derived_ones_do_not_leak_or_duplicate():
    records = pd.DataFrame({"patient_id": ["7"], "year": ["1961-07-04"], "pseudonym": ["Jane Roe"], "ward": ["B2"]})
    anonymized, _ = anonymize_records(records, key=KEY, k=1)
    assert list(anonymized.columns).count("year") == 1
    assert anonymized.loc[0, "pseudonym"] == pseudonymize("7", key=KEY)
    assert anonymized.loc[0, "ward"] == "B2"
    cells = anonymized.astype(str).to_numpy().ravel().tolist()
    assert not any("1961" in cell or "Jane" in cell for cell in cells)


def test_anonymize_records_rejects_bad_parameters():
    records = synthetic_records(rows=5)
    with pytest.raises(ValueError, match="date_mode"):
        anonymize_records(records, key=KEY, date_mode="month")
    with pytest.raises(ValueError, match="k_strategy"):
        anonymize_records(records, key=KEY, k_strategy="drop")
    with pytest.raises(ValueError, match="k must"):
        anonymize_records(records, key=KEY, k=0)
    with pytest.raises(ValueError, match="quasi-identifiers"):
        anonymize_records(records, key=KEY, quasi_identifiers=("shoe_size",))


def test_anonymize_records_survives_messy_cells():
    records = pd.DataFrame(
        {
            "patient_id": [None, math.nan, 42, "x" * 10_000, "\x00\x01"],
            "name": [None, 3.5, "", "\x07Bob", "a" * 10_000],
            "birth_date": [None, "garbage", 19800101, "1980-13-45", pd.NaT],
            "visit_date": [pd.NaT, None, "2024-01-01", math.nan, "2024-02-30"],
            "age": ["forty", -3, 1e9, None, "55"],
            "zip": [math.nan, 2.5, "ABCDE", -1, "0"],
            "symptoms": [None, [], ["fever", None, 3], "not a list", [math.nan]],
            "notes": [None, 12345678, "\x00" * 100, "Bob " * 2_500, math.nan],
        }
    )
    anonymized, report = anonymize_records(records, key=KEY, k=1)
    assert len(anonymized) == 5
    assert anonymized["pseudonym"].isna().sum() == 3  # None, NaN and the control-character id
    assert report.identifiers_removed["patient_id"] == 3
    assert anonymized["notes"][1] == "[ID]"
    assert "Bob" not in anonymized["notes"][3]


def test_k_anonymity_and_equivalence_classes():
    frame = pd.DataFrame({"sex": ["F", "F", "M", "M", "M", None], "zip3": ["021", "021", "021", "021", "280", None]})
    assert k_anonymity(frame, ["sex", "zip3"]) == 1
    classes = equivalence_classes(frame, ["sex", "zip3"])
    assert classes["size"].tolist() == [1, 1, 2, 2]
    assert k_anonymity(frame, ["sex"]) == 1  # the missing sex is a class of its own
    assert k_anonymity(frame.iloc[:4], ["zip3"]) == 4
    assert k_anonymity(frame.iloc[:0], ["zip3"]) == 0


# --------------------------------------------------------------------------------------------------
# Injected-identifier corpus: nothing injected may survive anywhere in the output
# --------------------------------------------------------------------------------------------------

INJECTED = [
    # name, phone, email, national id, ssn, mrn, address, date, note template
    (
        "Eleanor Vasquez",
        "(617) 555-0142",
        "eleanor.v@example.com",
        "48151623K",
        "219-09-9999",
        "MRN 8675309",
        "44 Winthrop Street",
        "2023-11-14",
        "Mrs. Eleanor Vasquez (MRN 8675309, SSN 219-09-9999) lives at 44 Winthrop Street, Cambridge, MA 02139. "
        "Call (617) 555-0142 or eleanor.v@example.com. Seen 2023-11-14 for fever 39.5 C for 3 days; Vasquez "
        "also reports dolor de cabeza.",
    ),
    (
        "Joaquín Sorolla Bastida",
        "+34 915 55 01 42",
        "jsorolla@correo.es",
        "87654321X",
        "078-05-1120",
        "NHC 4455667",
        "Calle Génova 27",
        "14 de febrero de 2024",
        "Paciente Joaquín Sorolla Bastida, DNI 87654321X, NHC 4455667, domicilio Calle Génova 27, 28004 Madrid. "
        "Tel. +34 915 55 01 42, jsorolla@correo.es. Acude el 14 de febrero de 2024 por fiebre; sorolla refiere "
        "tos. SSN 078-05-1120.",
    ),
    (
        "Priya Raman",
        "555.867.5309",
        "priya_raman@mail.example.org",
        "Y7654321G",
        "123-45-6780",
        "medical record number 99-1234",
        "1600 Amphitheatre Parkway",
        "March 5th, 2024",
        "Ms. Priya Raman, medical record number 99-1234, 1600 Amphitheatre Parkway. Phone 555.867.5309, "
        "priya_raman@mail.example.org, NIE Y7654321G, SSN 123-45-6780. Onset March 5th, 2024; HbA1c 7.2%.",
    ),
]


def test_no_injected_identifier_survives_anonymize_records():
    rows = []
    for index, (name, phone, email, national_id, _ssn, mrn, address, visit, note) in enumerate(INJECTED):
        first_name, last_name = name.split(" ", 1)
        rows.append(
            {
                "patient_id": f"ID-{index}",
                "name": name,
                "first_name": first_name,
                "last_name": last_name,
                "phone": phone,
                "email": email,
                "national_id": national_id,
                "mrn": mrn,
                "address": address,
                "birth_date": "1961-07-04",
                "visit_date": "2024-02-14",
                "zip": "02139",
                "sex": "F",
                "symptoms": [f"fever since {visit}", "cough"],
                "notes": note,
            }
        )
    records = pd.DataFrame(rows)
    anonymized, report = anonymize_records(records, key=KEY, k=1)

    cells = [str(cell).casefold() for cell in anonymized.astype(str).to_numpy().ravel()]
    haystack = "\n".join(cells)
    for name, phone, email, national_id, ssn, mrn, address, visit, _ in INJECTED:
        needles = [
            *name.split(" "),
            phone,
            email,
            national_id,
            ssn,
            mrn.split(" ")[-1],
            address,
            visit,
            "1961-07-04",
            "2024-02-14",
            "02139",
        ]
        for needle in needles:
            assert needle.casefold() not in haystack, needle
    # The clinical content around the identifiers survives.
    assert "fever 39.5 c for 3 days" in haystack
    assert "dolor de cabeza" in haystack
    assert "hba1c 7.2%" in haystack
    # Every note had a title cue and a cue-less surname; the Spanish one also has a lower-case surname.
    assert report.placeholders["NAME"] >= 5
    # The record's own mrn column reads "medical record number ...": the whole own value goes, label and all.
    expected_start = "Ms. [NAME], [MRN], [ADDRESS]. Phone [PHONE]"
    assert anonymized["notes"][2].startswith(expected_start)


def test_the_cached_scrubber_gives_each_cell_what_scrub_text_gives_it():
    scrubber = CachedScrubber()
    cells = [
        ("Refiere fiebre y tos", ["Ana", "Gil"]),
        ("Refiere fiebre y tos", ["Ana", "Gil"]),
        ("Ana refiere fiebre; Gil la acompaña. Tel 612 345 678", ["Ana", "Gil"]),
        ("Ana refiere fiebre; Gil la acompaña. Tel 612 345 678", ["Luz", "Mar"]),  # same text, other patient
        ("Ana refiere fiebre; Gil la acompaña. Tel 612 345 678", []),
        ("dolor de garganta", ["Garganta"]),
        ("dolor de garganta", ["José"]),
        ("", ["José"]),
        (12345678, ["José"]),
        ("Paciente José Núñez, DNI 12345678Z", [None, "José Núñez", float("nan")]),
    ]
    for text, names in cells:
        assert scrubber.scrub(text, known_names=names) == scrub_text(text, known_names=names), (text, names)
    assert scrubber.scrub("dolor de garganta", known_names=["Garganta"]).text == "dolor de [NAME]"
    assert scrubber.scrub("dolor de garganta", known_names=["José"]).text == "dolor de garganta"


@pytest.mark.parametrize(
    "note",
    [
        "Vive en Gran Vía 99, Madrid.",
        "Vive en Gran Vía 40, 1º izda., Barcelona.",
        "Domicilio: Rambla de Catalunya 12, 3º B.",
        "Vive en La Rambla 7.",
        "Dirección Ronda de Toledo 5, 2º dcha.",
        "Vive en Travesía del Mar 3.",
        "Vive en Camino Viejo 22.",
        "Vive en Carretera de Valencia 14.",
        "Vive en Plaza de España 1.",
        "Vive en Paseo del Prado 8.",
        "Vive en Avenida de América 10.",
        "Vive en Av. de América 10.",
        "Vive en C/ Mayor 5.",
        "Lives at 4521 Maple Avenue.",
        "Lives at 12 Baker Crescent.",
        "Lives at 7 Elm Close.",
    ],
)
def test_scrub_text_replaces_spanish_and_english_street_addresses(note):
    scrubbed = scrub_text(note).text
    assert "[ADDRESS]" in scrubbed and not any(char.isdigit() for char in scrubbed), scrubbed


@pytest.mark.parametrize("text", ["Pasea por la Gran Vía cada tarde.", "La vía aérea está libre.",
                                  "Camina 20 minutos al día."])
def test_scrub_text_keeps_streets_without_a_house_number_and_ordinary_words(text):
    assert scrub_text(text).text == text


def test_a_record_s_own_identifiers_are_scrubbed_from_its_text_whatever_the_spelling():
    own = [("address", "Calle Inventada Larguísima 40, 1º izda., Utopía"), ("phone", "+34 612 345 678"),
           ("email", "x.y7@example.net"), ("national_id", "X1234567L"), ("patient_id", "344-205"),
           ("mrn", "HC/77-1")]
    note = ("calle inventada larguísima 40 queda lejos; tel. 612-345-678 o 612 34 56 78; X.Y7@EXAMPLE.NET; "
            "doc X1234567L; caso 344-205, ref HC/77-1; 1344-2051 is another number.")
    result = scrub_text(note, known_identifiers=own)
    assert result.text == ("[ADDRESS] queda lejos; tel. [PHONE] o [PHONE]; [EMAIL]; doc [NATIONAL_ID]; caso [ID], "
                           "ref [MRN]; 1344-2051 is another number.")
    assert CachedScrubber().scrub(note, known_identifiers=own) == result
    assert scrub_text(note).text != result.text  # without them, the cue-less own address and ids survive


def test_anonymize_records_scrubs_each_row_s_own_address_phone_and_ids_from_its_notes():
    records = pd.DataFrame([
        {"patient_id": "P-1", "address": "Gran Vía 99, Madrid", "phone": "600111222", "national_id": "Y7654321G",
         "symptoms": ["tos"], "notes": "Vive en Gran Vía 99, Madrid. Contacto 600 111 222, documento Y7654321G."},
        {"patient_id": "P-2", "address": "Sendero Oculto 3", "symptoms": ["tos"],
         "notes": "Reside en Sendero Oculto 3 (sin ascensor)."},
    ])
    anonymized, report = anonymize_records(records, key=KEY, k=1)
    assert list(anonymized["notes"]) == ["Vive en [ADDRESS]. Contacto [PHONE], documento [NATIONAL_ID].",
                                         "Reside en [ADDRESS] (sin ascensor)."]
    assert report.notes_scrubbed == 2
