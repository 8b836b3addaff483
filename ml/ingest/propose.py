"""Propose a source profile from a file's header and a sample of its rows, with a confidence per field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime

import numpy as np
import pandas as pd

from ml.ingest.profiles import (
    ABSENT_WORDS,
    DIRECT_IDENTIFIER_FIELDS,
    MAX_SEVERITY,
    PRESENT_WORDS,
    READER_COLUMNS,
    SourceProfile,
)
from ml.schema import DATE_COLUMNS
from ml.values import fold_text, is_missing

HEADER_SYNONYMS: dict[str, tuple[str, ...]] = {
    "patient_id": (
        "patient_id",
        "id_paciente",
        "paciente_id",
        "patientid",
        "subject_id",
        "subject",
        "case_id",
        "case",
        "caso",
        "record_id",
        "id",
        "participant_id",
        "id_sujeto",
        "codigo_paciente",
    ),
    "name": ("name", "full_name", "patient_name", "nombre_completo", "nombre_y_apellidos", "paciente"),
    "first_name": ("first_name", "firstname", "given_name", "forename", "nombre", "nombres"),
    "last_name": (
        "last_name",
        "lastname",
        "surname",
        "family_name",
        "apellidos",
        "apellido",
        "primer_apellido",
    ),
    "birth_date": (
        "birth_date",
        "birthdate",
        "date_of_birth",
        "dob",
        "fecha_nacimiento",
        "fecha_de_nacimiento",
        "f_nacimiento",
        "fnac",
        "nacimiento",
    ),
    "age": ("age", "edad", "age_years", "edad_anos", "anos"),
    "sex": ("sex", "gender", "sexo", "genero"),
    "visit_date": (
        "visit_date",
        "fecha_visita",
        "fecha_consulta",
        "encounter_date",
        "admission_date",
        "fecha_ingreso",
        "date",
        "fecha",
        "consultation_date",
    ),
    "zip": ("zip", "zipcode", "zip_code", "postal_code", "postcode", "cp", "codigo_postal", "cod_postal"),
    "address": ("address", "street_address", "direccion", "domicilio", "calle"),
    "phone": ("phone", "phone_number", "telephone", "mobile", "telefono", "tel", "movil", "telefono_movil"),
    "fax": ("fax", "fax_number"),
    "email": ("email", "e_mail", "mail", "email_address", "correo", "correo_electronico"),
    "national_id": ("national_id", "dni", "nie", "nif", "ssn", "passport", "pasaporte", "documento"),
    "mrn": ("mrn", "medical_record_number", "nhc", "historia_clinica", "numero_historia"),
    "health_plan_id": ("health_plan_id", "insurance_id", "tarjeta_sanitaria", "cip", "nss", "poliza"),
    "account_number": ("account_number", "account", "iban", "cuenta"),
    "license_number": ("license_number", "licence_number", "licencia"),
    "vehicle_id": ("vehicle_id", "license_plate", "matricula"),
    "device_id": ("device_id", "serial_number", "dispositivo"),
    "url": ("url", "website", "web"),
    "ip_address": ("ip_address", "ip"),
    "temperature": ("temperature", "temp", "temperatura", "body_temperature", "fever_temp"),
    "temperature_unit": ("temperature_unit", "temp_unit", "unidad_temp", "unidad_temperatura", "unit_temp"),
    "weight": ("weight", "peso", "body_weight"),
    "height": ("height", "altura", "talla", "estatura"),
}
LIST_HEADER_SYNONYMS: dict[str, tuple[str, ...]] = {
    "symptoms": (
        "symptoms",
        "sintomas",
        "hpo_terms",
        "hpo",
        "phenotypes",
        "phenotype",
        "signs",
        "findings",
        "clinical_features",
        "signos",
        "hallazgos",
        "present_symptoms",
    ),
    "absent_symptoms": (
        "absent_symptoms",
        "sintomas_ausentes",
        "excluded_hpo_terms",
        "excluded_symptoms",
        "negated_symptoms",
        "absent",
        "no_symptoms",
        "ausentes",
        "negative_findings",
    ),
    "diagnoses": (
        "label",
        "labels",
        "diagnosis",
        "diagnosis_name",
        "final_diagnosis",
        "diagnostic",
        "disease_name",
        "diseases",
        "illness",
        "disorder",
        "conditions",
        "patologia",
        "enfermedades",
        "diagnoses",
        "diagnostico",
        "diagnosticos",
        "dx",
        "icd10",
        "icd_10",
        "cie10",
        "cie_10",
        "diagnostico_cie10",
        "prognosis",
        "disease",
        "enfermedad",
        "orpha_code",
        "orphacode",
        "omim_id",
        "omim",
        "condition",
    ),
    "notes": (
        "notes",
        "note",
        "notas",
        "nota",
        "observaciones",
        "comments",
        "comentarios",
        "clinical_notes",
        "text",
        "texto",
        "anamnesis",
        "narrative",
    ),
}
SPANISH_HEADERS = frozenset(
    {
        "nombre",
        "apellidos",
        "fecha_nacimiento",
        "sexo",
        "edad",
        "temperatura",
        "peso",
        "altura",
        "talla",
        "telefono",
        "correo",
        "dni",
        "direccion",
        "cp",
        "codigo_postal",
        "diagnostico",
        "sintomas",
        "notas",
        "id_paciente",
        "fecha_visita",
    }
)
UNIT_SUFFIXES: dict[str, tuple[str, str]] = {
    "c": ("temperature", "C"),
    "f": ("temperature", "F"),
    "celsius": ("temperature", "C"),
    "fahrenheit": ("temperature", "F"),
    "kg": ("weight", "kg"),
    "lb": ("weight", "lb"),
    "lbs": ("weight", "lb"),
    "cm": ("height", "cm"),
    "in": ("height", "in"),
    "m": ("height", "m"),
}
DIAGNOSIS_PREFIXES = {"orpha_code": "ORPHA:", "orphacode": "ORPHA:", "omim_id": "OMIM:", "omim": "OMIM:"}
LONG_SYMPTOM_HEADER = re.compile(r"^(symptom|sintoma|sign|signo|hpo|phenotype|feature|finding)s?_?\d+$")
HPO_VALUE = re.compile(r"^HP:\d{7}$")
DIAGNOSIS_VALUE = re.compile(r"^(?:[A-TV-Z]\d{2}(?:\.\d{1,4})?|ORPHA:\d+|OMIM:\d{6})$", re.IGNORECASE)
EMAIL_VALUE = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.IGNORECASE)
PHONE_VALUE = re.compile(r"^\+?[\d\s().-]{9,}$")
DNI_VALUE = re.compile(r"^[XYZ]?\d{7,8}-?[A-Z]$", re.IGNORECASE)
DATE_FORMAT_CANDIDATES = ("%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y/%m/%d", "%d/%m/%y")
LIST_DELIMITERS = (";", ",", "|")
# Free text longer than this on average reads as a note rather than a code or a name.
NOTE_MIN_MEAN_CHARS = 40
# Fields that hold a number: a 0/1 column is never one of them ("weight_gain" is a symptom, not a weight).
MEASUREMENT_FIELDS = frozenset({"temperature", "weight", "height", "age"})


def normalize_header(name: str) -> str:
    """Fold a column name to accent-free snake_case ("Fecha Nacimiento" → "fecha_nacimiento")."""
    return re.sub(r"[^a-z0-9]+", "_", fold_text(str(name))).strip("_")


def _header_match(header: str) -> tuple[str | None, float, str | None]:
    """Return (canonical field or list field, confidence, unit) for a normalised header."""
    for target, synonyms in {**HEADER_SYNONYMS, **LIST_HEADER_SYNONYMS}.items():
        if header in synonyms:
            return target, 0.95, None
    stem, _, suffix = header.rpartition("_")
    if suffix in UNIT_SUFFIXES:
        measure, unit = UNIT_SUFFIXES[suffix]
        if stem in HEADER_SYNONYMS[measure]:
            return measure, 0.9, unit
    for target, synonyms in {**HEADER_SYNONYMS, **LIST_HEADER_SYNONYMS}.items():
        if any(header.startswith(synonym + "_") for synonym in synonyms if len(synonym) > 3):
            return target, 0.6, None
    return None, 0.0, None


def _texts(values: pd.Series) -> list[str]:
    """Return the non-missing sample values of a column as stripped text (list cells are flattened)."""
    texts: list[str] = []
    for value in values:
        if isinstance(value, list | tuple):
            texts.extend(str(item).strip() for item in value if not is_missing(item))
        elif not is_missing(value):
            texts.append(str(value).strip())
    return texts


def _share(texts: list[str], pattern: re.Pattern) -> float:
    """Return the share of texts matching a pattern (0 for no texts)."""
    return sum(bool(pattern.match(text)) for text in texts) / len(texts) if texts else 0.0


def _list_delimiter(values: pd.Series) -> str | None:
    """Return the delimiter most used inside the text cells of a list column, if any."""
    texts = [str(value) for value in values if isinstance(value, str)]
    counts = {delimiter: sum(text.count(delimiter) for text in texts) for delimiter in LIST_DELIMITERS}
    best = max(counts, key=counts.get)
    return best if counts[best] else None


def _wide_kind(texts: list[str]) -> str | None:
    """Return "binary" or "severity" when sample values read as a wide symptom column."""
    if not texts:
        return None
    folded = [text.casefold() for text in texts]
    if all(text in PRESENT_WORDS | ABSENT_WORDS for text in folded):
        return "binary"
    numbers = pd.to_numeric(pd.Series(folded).str.replace(",", ".", regex=False), errors="coerce")
    if numbers.notna().all() and numbers.between(0, MAX_SEVERITY).all() and (numbers % 1 == 0).all():
        return "severity"
    return None


def _value_match(texts: list[str]) -> tuple[str | None, float]:
    """Guess a field from sample values alone: identifiers, codes, or free-text notes."""
    for target, pattern, confidence in (
        ("symptoms", HPO_VALUE, 0.85),
        ("diagnoses", DIAGNOSIS_VALUE, 0.8),
        ("email", EMAIL_VALUE, 0.8),
        ("national_id", DNI_VALUE, 0.75),
        ("phone", PHONE_VALUE, 0.6),
    ):
        if _share(texts, pattern) >= 0.8:
            return target, confidence
    if texts and np.mean([len(text) for text in texts]) >= NOTE_MIN_MEAN_CHARS:
        return "notes", 0.5
    return None, 0.0


def _parses_as(text: str, date_format: str) -> bool:
    """Return True when a text is a date in exactly this format."""
    try:
        datetime.strptime(text, date_format)
    except ValueError:
        return False
    return True


def _date_format(texts: list[str], *, spanish: bool) -> str | None:
    """Return the first date format that fits every sample value; day-first wins ties for Spanish sources."""
    candidates = list(DATE_FORMAT_CANDIDATES)
    if not spanish:
        candidates.remove("%m/%d/%Y")
        candidates.insert(1, "%m/%d/%Y")
    fitting = [fmt for fmt in candidates if texts and all(_parses_as(text, fmt) for text in texts)]
    return fitting[0] if fitting else None


def _sex_values(texts: list[str]) -> dict[str, str]:
    """Return a Spanish H/M mapping when the sample codes men as H or V (so M is mujer, not male)."""
    codes = {text.strip().upper() for text in texts}
    if codes & {"H", "V"} and "F" not in codes:
        return {"H": "male", "V": "male", "M": "female"}
    return {}


def propose_profile(
    columns: Sequence[str], sample_rows: pd.DataFrame | Sequence[Mapping], *, name: str = "proposed"
) -> SourceProfile:
    """Guess a source profile from column names (English or Spanish) and sample values, with confidences."""
    sample = sample_rows if isinstance(sample_rows, pd.DataFrame) else pd.DataFrame(list(sample_rows))
    sample = sample.reindex(columns=list(columns))
    headers = {column: normalize_header(column) for column in columns if column not in READER_COLUMNS}
    spanish = any(header in SPANISH_HEADERS for header in headers.values())
    profile = SourceProfile(name=name)
    wide: dict[str, str] = {}
    for column, header in headers.items():
        texts = _texts(sample[column])
        target, confidence, unit = _header_match(header)
        if target in MEASUREMENT_FIELDS and _wide_kind(texts) == "binary":
            target, confidence, unit = None, 0.0, None
        if target is None and LONG_SYMPTOM_HEADER.match(header):
            target, confidence = "long_symptom", 0.9
        if target is None:
            kind = _wide_kind(texts)
            if kind:
                wide[column] = kind
                profile.confidence[column] = 0.7 if kind == "binary" else 0.55
                continue
            target, confidence = _value_match(texts)
        profile.confidence[column] = confidence
        _assign(profile, column, target, unit, sample[column], texts, spanish=spanish)
    _settle_symptom_layout(profile, wide)
    if profile.absent_columns and profile.absent_delimiter is None:
        profile.absent_delimiter = profile.symptom_delimiter
    if "note_id" in columns and "patient_id" not in profile.column_map.values():
        # Notes files carry no id column; by convention each file is named after its patient.
        profile.column_map["note_id"] = "patient_id"
        profile.confidence["note_id"] = 0.5
    # A research data set has no patient column: each row is then its own anonymous patient.
    profile.rows_are_patients = "patient_id" not in profile.column_map.values()
    profile.id_columns = [source for source, target in profile.column_map.items() if target in DIRECT_IDENTIFIER_FIELDS]
    profile.dayfirst = spanish or profile.date_format not in {"%m/%d/%Y"}
    return profile


def _assign(
    profile: SourceProfile,
    column: str,
    target: str | None,
    unit: str | None,
    values: pd.Series,
    texts: list[str],
    *,
    spanish: bool,
) -> None:
    """Record one column's guessed role in the profile."""
    if target is None:
        return
    if target == "long_symptom":
        profile.symptom_columns.append(column)
    elif target == "symptoms":
        profile.symptom_columns.append(column)
        profile.symptom_delimiter = profile.symptom_delimiter or _list_delimiter(values)
    elif target == "absent_symptoms":
        profile.absent_columns.append(column)
        profile.absent_delimiter = profile.absent_delimiter or _list_delimiter(values)
    elif target == "diagnoses":
        profile.diagnosis_columns.append(column)
        profile.diagnosis_delimiter = profile.diagnosis_delimiter or _list_delimiter(values)
        if normalize_header(column) in DIAGNOSIS_PREFIXES:
            profile.diagnosis_prefixes[column] = DIAGNOSIS_PREFIXES[normalize_header(column)]
    elif target == "notes":
        if profile.notes_column is None:
            profile.notes_column = column
    elif target not in profile.column_map.values():
        profile.column_map[column] = target
        if unit:
            setattr(profile, f"{target}_unit", unit)
        if target in DATE_COLUMNS and profile.date_format is None:
            profile.date_format = _date_format(texts, spanish=spanish)
        if target == "sex":
            profile.sex_values = _sex_values(texts)
    else:
        profile.confidence[column] = 0.0


def _settle_symptom_layout(profile: SourceProfile, wide: Mapping[str, str]) -> None:
    """Choose long when symptom list columns exist, else wide when 0/1 or 0–10 columns do."""
    if profile.symptom_columns:
        profile.symptom_layout = "long"
        for column in wide:
            profile.confidence[column] = 0.3
    elif wide:
        profile.symptom_layout = "wide"
        profile.symptom_columns = list(wide)
        profile.wide_severity = any(kind == "severity" for kind in wide.values())


