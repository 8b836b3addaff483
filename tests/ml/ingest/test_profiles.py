"""Source profiles: applying them to chunks, guessing them from headers, and the four demo sources."""

import json

import pandas as pd
import pytest
from openpyxl import Workbook

from ml.ingest import (
    IngestionError,
    SourceProfile,
    apply_profile,
    propose_profile,
    read_sample,
    read_with_profile,
    validate_records,
)
from ml.schema import CANONICAL_COLUMNS
from ml.synthetic import BUILTIN_PROFILES

HOSPITAL_HEADER = (
    "id_paciente;nombre;apellidos;dni;telefono;email;direccion;cp;fecha_nacimiento;sexo;fecha_visita;temperatura;"
    "unidad_temp;peso_kg;talla_cm;sintomas;sintomas_ausentes;diagnostico_cie10;notas"
)
HOSPITAL_ROWS = [
    "H001;José;Muñoz García;12345678Z;+34 600 111 222;jose@example.es;Calle Mayor 1;28001;12/03/1980;H;"
    "01/02/2024;38,5;C;70;175;fiebre, tos seca;erupción cutánea;J10.1;Refiere fiebre de dos días.",
    "H002;Ana;Pérez;87654321X;600222333;ana@example.es;C/ Sol 2;08001;31/12/1990;M;02/02/2024;101;F;60;160;"
    "dolor de cabeza;;G43;",
]


AGREED_CANONICAL_COLUMNS = [
    "row_number",
    "patient_id",
    "name",
    "first_name",
    "last_name",
    "birth_date",
    "age",
    "sex",
    "visit_date",
    "zip",
    "address",
    "phone",
    "fax",
    "email",
    "national_id",
    "mrn",
    "health_plan_id",
    "account_number",
    "license_number",
    "vehicle_id",
    "device_id",
    "url",
    "ip_address",
    "temperature",
    "temperature_unit",
    "weight",
    "weight_unit",
    "height",
    "height_unit",
    "symptoms",
    "absent_symptoms",
    "severity",
    "diagnoses",
    "notes",
]


def build(**overrides):
    """Return a profile with only the fields a test cares about."""
    return SourceProfile(name="test", **overrides)


def test_canonical_columns_are_the_agreed_list():
    assert CANONICAL_COLUMNS == AGREED_CANONICAL_COLUMNS


# ---------------------------------------------------------------------------------------------------------
# The profile object
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(BUILTIN_PROFILES))
def test_profiles_survive_a_json_round_trip(name):
    profile = BUILTIN_PROFILES[name]
    assert SourceProfile.from_dict(json.loads(json.dumps(profile.to_dict()))) == profile


@pytest.mark.parametrize(
    "data,message",
    [
        ({"name": "x", "colour": "red"}, "unknown source profile fields: \\['colour'\\]"),
        ({"name": "x", "symptom_layout": "diagonal"}, "symptom_layout must be one of"),
        ({"name": "x", "column_map": {"sintomas": "symptoms"}}, "not scalar canonical fields"),
    ],
)
def test_invalid_profiles_are_rejected(data, message):
    with pytest.raises(ValueError, match=message):
        SourceProfile.from_dict(data)


# ---------------------------------------------------------------------------------------------------------
# Applying a profile
# ---------------------------------------------------------------------------------------------------------


def test_wide_binary_layout():
    chunk = pd.DataFrame(
        {
            "row_number": [2, 3, 4],
            "id": ["S1", "S2", "S3"],
            "fever": ["1", "no", None],
            "chest_pain": ["yes", "0", "x"],
            "itching": ["Sí", "false", "maybe"],
        }
    )
    profile = build(
        column_map={"id": "patient_id"},
        symptom_layout="wide",
        symptom_columns=["fever", "chest_pain", "itching"],
    )
    records = apply_profile(chunk, profile)
    assert records.columns.tolist() == CANONICAL_COLUMNS
    assert records["symptoms"].tolist() == [["fever", "chest_pain", "itching"], [], ["chest_pain"]]
    assert records["absent_symptoms"].tolist() == [[], ["fever", "chest_pain", "itching"], []]
    assert records["severity"].tolist() == [None, None, None]
    assert records["row_number"].tolist() == [2, 3, 4]


def test_wide_layout_accepts_numbers_and_odd_cells():
    chunk = pd.DataFrame({"id": ["S1", "S2"], "fever": [1, 0.0], "rash": [["x"], None]})
    records = apply_profile(chunk, build(symptom_layout="wide", symptom_columns=["fever", "rash"]))
    assert records["symptoms"].tolist() == [["fever"], []]
    assert records["absent_symptoms"].tolist() == [[], ["fever"]]


def test_wide_severity_layout():
    chunk = pd.DataFrame({"id": ["S1", "S2"], "pain": ["7", "0"], "fatigue": ["10", "11"], "nausea": ["2,5", ""]})
    profile = build(
        column_map={"id": "patient_id"},
        symptom_layout="wide",
        wide_severity=True,
        symptom_columns=["pain", "fatigue", "nausea"],
    )
    records = apply_profile(chunk, profile)
    assert records["symptoms"].tolist() == [["pain", "fatigue", "nausea"], []]
    assert records["absent_symptoms"].tolist() == [[], ["pain"]]
    assert records["severity"].tolist() == [{"pain": 7.0, "fatigue": 10.0, "nausea": 2.5}, None]


def test_wide_symptoms_from_remaining_columns():
    chunk = pd.DataFrame(
        {
            "row_number": [2],
            "subject_id": ["S1"],
            "prognosis": ["Malaria"],
            "high_fever": ["1"],
            "shivering": ["1"],
            "skin_rash": ["0"],
        }
    )
    profile = build(
        column_map={"subject_id": "patient_id"},
        diagnosis_columns=["prognosis"],
        symptom_layout="wide",
        symptoms_from_remaining_columns=True,
    )
    records = apply_profile(chunk, profile)
    assert records["symptoms"].tolist() == [["high_fever", "shivering"]]
    assert records["absent_symptoms"].tolist() == [["skin_rash"]]
    assert records["diagnoses"].tolist() == [["Malaria"]]


def test_long_layout_with_numbered_columns():
    chunk = pd.DataFrame(
        {
            "id": ["A", "B"],
            "Symptom_1": ["fever", "cough"],
            "Symptom_2": [None, "fever"],
            "Symptom_3": ["rash", "cough"],
        }
    )
    profile = build(
        column_map={"id": "patient_id"},
        symptom_layout="long",
        symptom_columns=["Symptom_1", "Symptom_2", "Symptom_3"],
    )
    records = apply_profile(chunk, profile)
    assert records["symptoms"].tolist() == [["fever", "rash"], ["cough", "fever"]]
    assert records["row_number"].tolist() == [1, 2]


def test_long_layout_with_a_delimited_list_and_json_lists():
    chunk = pd.DataFrame(
        {
            "id": ["A", "B"],
            "symptoms": ["fever; cough ;; rash", ["HP:0001945", "HP:0012735"]],
            "orpha": ["558", "ORPHA:79"],
            "omim": [None, "154700"],
        }
    )
    profile = build(
        column_map={"id": "patient_id"},
        symptom_layout="long",
        symptom_columns=["symptoms"],
        symptom_delimiter=";",
        diagnosis_columns=["orpha", "omim"],
        diagnosis_prefixes={"orpha": "ORPHA:", "omim": "OMIM:"},
    )
    records = apply_profile(chunk, profile)
    assert records["symptoms"].tolist() == [["fever", "cough", "rash"], ["HP:0001945", "HP:0012735"]]
    assert records["diagnoses"].tolist() == [["ORPHA:558"], ["ORPHA:79", "OMIM:154700"]]


def test_units_dates_and_sex_are_normalised():
    chunk = pd.DataFrame(
        {
            "id": ["A", "B", "C"],
            "t": ["38,5", "101", "37"],
            "unit": [None, "F", "C"],
            "dob": ["12/03/1980", "1975-06-01", "31/02/1990"],
            "sexo": ["M", "H", "otro"],
        }
    )
    profile = build(
        column_map={"id": "patient_id", "t": "temperature", "dob": "birth_date", "sexo": "sex"},
        temperature_unit_column="unit",
        temperature_unit="C",
        date_format="%d/%m/%Y",
        sex_values={"M": "female", "H": "male"},
    )
    records = apply_profile(chunk, profile)
    assert records["temperature_unit"].tolist() == ["C", "F", "C"]
    assert records["birth_date"].tolist() == ["1980-03-12", "1975-06-01", "31/02/1990"]
    assert records["sex"].tolist() == ["female", "male", "other"]


def test_missing_profile_columns_are_named():
    chunk = pd.DataFrame({"id": ["A"]})
    profile = build(column_map={"id": "patient_id", "temp": "temperature"}, notes_column="notas")
    with pytest.raises(IngestionError, match="no column 'temp', 'notas'"):
        apply_profile(chunk, profile)


# ---------------------------------------------------------------------------------------------------------
# Proposing a profile
# ---------------------------------------------------------------------------------------------------------


def test_propose_hospital_profile(tmp_path):
    path = tmp_path / "hospital.csv"
    path.write_bytes("\n".join([HOSPITAL_HEADER, *HOSPITAL_ROWS]).encode("latin-1"))
    sample = read_sample(path)
    profile = propose_profile(list(sample.columns), sample)
    assert profile.column_map == {
        "id_paciente": "patient_id",
        "nombre": "first_name",
        "apellidos": "last_name",
        "dni": "national_id",
        "telefono": "phone",
        "email": "email",
        "direccion": "address",
        "cp": "zip",
        "fecha_nacimiento": "birth_date",
        "sexo": "sex",
        "fecha_visita": "visit_date",
        "temperatura": "temperature",
        "unidad_temp": "temperature_unit",
        "peso_kg": "weight",
        "talla_cm": "height",
    }
    assert (profile.weight_unit, profile.height_unit) == ("kg", "cm")
    assert (profile.symptom_layout, profile.symptom_columns, profile.symptom_delimiter) == (
        "long",
        ["sintomas"],
        ",",
    )
    assert profile.absent_columns == ["sintomas_ausentes"]
    assert profile.diagnosis_columns == ["diagnostico_cie10"]
    assert profile.notes_column == "notas"
    assert profile.date_format == "%d/%m/%Y"
    assert profile.sex_values == {"H": "male", "V": "male", "M": "female"}
    assert set(profile.id_columns) == {
        "id_paciente",
        "nombre",
        "apellidos",
        "dni",
        "telefono",
        "email",
        "direccion",
    }
    assert min(profile.confidence.values()) >= 0.9


def test_propose_registry_profile():
    sample = pd.DataFrame(
        [
            {
                "patient_id": "R1",
                "name": "Jane Roe",
                "birth_date": "2015-04-02",
                "sex": "F",
                "visit_date": "2024-01-10",
                "country": "ES",
                "zip": "28001",
                "hpo_terms": ["HP:0001250", "HP:0001263"],
                "excluded_hpo_terms": ["HP:0001945"],
                "orpha_code": "558",
                "omim_id": "154700",
                "temperature_c": "37.2",
                "notes": "Developmental delay since infancy, recurrent seizures.",
            },
        ]
    )
    profile = propose_profile(list(sample.columns), sample.to_dict(orient="records"))
    assert profile.column_map == {
        "patient_id": "patient_id",
        "name": "name",
        "birth_date": "birth_date",
        "sex": "sex",
        "visit_date": "visit_date",
        "zip": "zip",
        "temperature_c": "temperature",
    }
    assert profile.temperature_unit == "C"
    assert (profile.symptom_layout, profile.symptom_columns, profile.symptom_delimiter) == (
        "long",
        ["hpo_terms"],
        None,
    )
    assert profile.absent_columns == ["excluded_hpo_terms"]
    assert profile.diagnosis_prefixes == {"orpha_code": "ORPHA:", "omim_id": "OMIM:"}
    assert profile.date_format == "%Y-%m-%d"
    assert profile.confidence["country"] == 0.0
    assert profile.sex_values == {}


def test_propose_research_profile():
    sample = pd.DataFrame(
        {
            "subject_id": ["S1", "S2", "S3"],
            "age": ["34", "7", "61"],
            "gender": ["Male", "Female", "Female"],
            "weight_lb": ["154", "50", "170"],
            "height_in": ["65", "45", "62"],
            "temp_f": ["100.4", "98.6", "102"],
            "prognosis": ["Malaria", "Common Cold", "Dengue"],
            "high_fever": ["1", "0", "1"],
            "skin_rash": ["0", "0", "1"],
            "joint_pain": ["0", "1", "1"],
        }
    )
    profile = propose_profile(list(sample.columns), sample)
    assert profile.column_map == {
        "subject_id": "patient_id",
        "age": "age",
        "gender": "sex",
        "weight_lb": "weight",
        "height_in": "height",
        "temp_f": "temperature",
    }
    assert (profile.temperature_unit, profile.weight_unit, profile.height_unit) == ("F", "lb", "in")
    assert profile.diagnosis_columns == ["prognosis"]
    assert profile.symptom_layout == "wide"
    assert profile.symptom_columns == ["high_fever", "skin_rash", "joint_pain"]
    assert profile.wide_severity is False
    assert profile.confidence["high_fever"] == 0.7


def test_propose_notes_profile(tmp_path):
    path = tmp_path / "P000123.txt"
    path.write_text("Niño de 4 años con fiebre y exantema.", encoding="utf-8")
    sample = read_sample(path)
    profile = propose_profile(list(sample.columns), sample)
    assert profile.notes_column == "notes"
    assert profile.column_map == {"note_id": "patient_id"}
    assert profile.symptom_layout == "none"


def test_propose_long_numbered_and_value_based_columns():
    sample = pd.DataFrame(
        {
            "Case": ["1", "2"],
            "Symptom_1": ["fever", "cough"],
            "Symptom_2": ["rash", None],
            "codes": ["J10.1", "E75.22"],
            "contact": ["ana@example.es", "bob@example.com"],
            "doc": ["12345678Z", "X1234567L"],
            "pain_score": ["3", "8"],
        }
    )
    profile = propose_profile(list(sample.columns), sample)
    assert profile.symptom_layout == "long"
    assert profile.symptom_columns == ["Symptom_1", "Symptom_2"]
    assert profile.diagnosis_columns == ["codes"]
    assert profile.column_map == {"Case": "patient_id", "contact": "email", "doc": "national_id"}
    assert set(profile.id_columns) == {"Case", "contact", "doc"}
    # A 0–10 column next to long symptom columns is not used, and says so with a low confidence.
    assert profile.confidence["pain_score"] == 0.3
    assert (profile.confidence["contact"], profile.confidence["doc"]) == (0.8, 0.75)


def test_propose_wide_severity():
    sample = pd.DataFrame({"paciente_id": ["1", "2"], "dolor": ["0", "7"], "fatiga": ["10", "2"]})
    profile = propose_profile(list(sample.columns), sample)
    assert (profile.symptom_layout, profile.symptom_columns, profile.wide_severity) == (
        "wide",
        ["dolor", "fatiga"],
        True,
    )


# ---------------------------------------------------------------------------------------------------------
# The built-in profiles on demo-like files
# ---------------------------------------------------------------------------------------------------------


def read_canonical(path, profile_name):
    """Read a file with a built-in profile into validated canonical records."""
    frame = pd.concat(list(read_with_profile(path, BUILTIN_PROFILES[profile_name])), ignore_index=True)
    return validate_records(frame)


def test_hospital_csv_profile(tmp_path):
    path = tmp_path / "hospital.csv"
    path.write_bytes("\n".join([HOSPITAL_HEADER, *HOSPITAL_ROWS]).encode("latin-1"))
    valid, errors = read_canonical(path, "hospital_csv")
    assert errors == []
    first, second = valid.to_dict(orient="records")
    assert (first["patient_id"], first["first_name"], first["last_name"]) == ("H001", "José", "Muñoz García")
    assert (first["birth_date"], first["visit_date"], first["sex"]) == ("1980-03-12", "2024-02-01", "male")
    assert first["symptoms"] == ["fiebre", "tos seca"]
    assert first["absent_symptoms"] == ["erupción cutánea"]
    assert first["diagnoses"] == ["J10.1"]
    assert (first["temperature_c"], first["temperature_band"], first["age_years"]) == (38.5, "fever", 43.0)
    assert (second["sex"], second["temperature_c"], second["notes"]) == ("female", 38.33, None)


def test_hospital_csv_profile_reads_a_utf8_export_as_utf8(tmp_path):
    path = tmp_path / "hospital.csv"
    path.write_text("\n".join([HOSPITAL_HEADER, *HOSPITAL_ROWS]), encoding="utf-8")
    valid, _ = read_canonical(path, "hospital_csv")
    assert valid["first_name"].iloc[0] == "José"


def test_registry_jsonl_profile(tmp_path):
    record = {
        "patient_id": "R1",
        "name": "Jane Roe",
        "birth_date": "2015-04-02",
        "sex": "F",
        "visit_date": "2024-01-10",
        "country": "ES",
        "zip": "28001",
        "hpo_terms": ["HP:0001250", "HP:0001263"],
        "excluded_hpo_terms": ["HP:0001945"],
        "orpha_code": "558",
        "omim_id": None,
        "temperature_c": 37.2,
        "notes": "Recurrent seizures.",
    }
    path = tmp_path / "registry.jsonl"
    path.write_text(json.dumps(record) + "\n" + json.dumps({**record, "patient_id": None}) + "\n")
    valid, errors = read_canonical(path, "registry_jsonl")
    assert errors[0].row_number == 2 and errors[0].field == "patient_id"
    row = valid.iloc[0]
    assert (row["symptoms"], row["absent_symptoms"]) == (["HP:0001250", "HP:0001263"], ["HP:0001945"])
    assert row["diagnoses"] == ["ORPHA:558"]
    assert (row["sex"], row["temperature_c"], row["age_group"]) == ("female", 37.2, "5-14")


def test_research_xlsx_profile(tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(
        [
            "subject_id",
            "age",
            "gender",
            "weight_lb",
            "height_in",
            "temp_f",
            "prognosis",
            "high_fever",
            "skin_rash",
            "joint_pain",
        ]
    )
    sheet.append(["S1", 34, "Male", 154, 65, 100.4, "Malaria", 1, 0, 1])
    sheet.append(["S2", 7, "Female", 50, 45, 120, "Common Cold", 0, 0, 0])
    workbook.save(tmp_path / "research.xlsx")
    valid, errors = read_canonical(tmp_path / "research.xlsx", "research_xlsx")
    assert [(error.row_number, error.field) for error in errors] == [(3, "temperature")]
    row = valid.iloc[0]
    assert (row["weight_kg"], row["height_cm"], row["temperature_c"]) == (69.853, 165.1, 38.0)
    assert (row["symptoms"], row["absent_symptoms"]) == (["high_fever", "joint_pain"], ["skin_rash"])
    assert (row["diagnoses"], row["sex"], row["age_group"]) == (["Malaria"], "male", "25-44")


def test_clinic_notes_profile(tmp_path):
    path = tmp_path / "P000123.txt"
    path.write_text("Niño de 4 años con fiebre. Niega tos.", encoding="utf-8")
    valid, errors = read_canonical(path, "clinic_notes")
    assert errors == []
    assert valid[["patient_id", "notes"]].values.tolist() == [["P000123", "Niño de 4 años con fiebre. Niega tos."]]


def test_propose_never_maps_a_0_1_column_to_a_measurement():
    sample = pd.DataFrame({"weight_gain": ["0", "1", "0"], "weight_loss": ["1", "0", "0"],
                           "mild_fever": ["0", "0", "1"], "height_cm": ["170", "165", "180"],
                           "weight": ["0", "1", "1"], "prognosis": ["A", "B", "C"]})
    profile = propose_profile(list(sample.columns), sample)
    assert profile.column_map == {"height_cm": "height"}
    assert profile.symptom_layout == "wide"
    assert profile.symptom_columns == ["weight_gain", "weight_loss", "mild_fever", "weight"]


@pytest.mark.parametrize("header", ["label", "prognosis", "disease", "Diagnosis", "diagnóstico", "Diagnostico", "dx",
                                    "condition", "Disease", "enfermedad", "diagnosis_name", "illness"])
def test_propose_recognises_the_usual_diagnosis_column_names(header):
    sample = pd.DataFrame({header: ["Psoriasis", "Dengue", "Common Cold"],
                           "text": ["I have had a rash on my elbows for weeks and it itches.",
                                    "High fever, pain behind my eyes and aching joints since Monday.",
                                    "Runny nose, sneezing and a mild sore throat for two days now."]})
    profile = propose_profile(list(sample.columns), sample)
    assert profile.diagnosis_columns == [header] and profile.notes_column == "text"
    assert profile.rows_are_patients is True and profile.column_map == {}


def test_propose_says_rows_are_patients_only_without_a_patient_column():
    sample = pd.DataFrame({"patient_id": ["A1", "A2"], "symptoms": ["fever", "cough"]})
    assert propose_profile(list(sample.columns), sample).rows_are_patients is False
