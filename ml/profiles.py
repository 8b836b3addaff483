"""Source profiles: how the columns of one data source map onto canonical records, and how to guess them.

A profile maps scalar source columns onto canonical fields through ``column_map``; symptoms, absent
symptoms, diagnoses and notes have their own fields because they need a layout:

* ``symptom_layout="long"``: ``symptom_columns`` hold symptom names (``Symptom_1..Symptom_N``, or one
  column holding a list, split by ``symptom_delimiter``, or a JSON list);
* ``symptom_layout="wide"``: one column per symptom, whose name is the raw symptom; a cell of 1, yes, sí,
  true or x means present, 0, no or false means absent, a number 1–10 is present with that severity (when
  ``wide_severity``), and anything else (blank, 11, "maybe") means not recorded.

Raw symptom and diagnosis strings are kept as written; ``ml.knowledge`` maps them to HPO and disease ids.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from itertools import compress
from pathlib import Path

import numpy as np
import pandas as pd

from ml.harmonization import (
    fold_text,
    harmonize_units,
    is_missing,
    map_cached,
    normalize_sex,
    parse_date,
)
from ml.ingestion import DEFAULT_CHUNKSIZE, DEFAULT_MAX_BYTES, IngestionError, ReadReport, read_file
from ml.schema import DIRECT_IDENTIFIER_COLUMNS

CANONICAL_COLUMNS: list[str] = [
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
STRUCTURED_FIELDS = frozenset({"row_number", "symptoms", "absent_symptoms", "severity", "diagnoses", "notes"})
SCALAR_FIELDS = tuple(column for column in CANONICAL_COLUMNS if column not in STRUCTURED_FIELDS)
# The fields a proposal lists as the source's identifier columns; ml.privacy decides what is dropped.
DIRECT_IDENTIFIER_FIELDS = frozenset(DIRECT_IDENTIFIER_COLUMNS) - {"zip"}
DATE_FIELDS = ("birth_date", "visit_date")
SYMPTOM_LAYOUTS = ("none", "long", "wide")
# Columns a reader adds itself (``ml.ingestion``); never symptoms.
READER_COLUMNS = frozenset({"row_number", "source_ref", "note_id"})

PRESENT_WORDS = frozenset(
    {
        "1",
        "yes",
        "y",
        "si",
        "sí",
        "s",
        "true",
        "t",
        "x",
        "present",
        "presente",
        "positive",
        "positivo",
        "positiva",
    }
)
ABSENT_WORDS = frozenset({"0", "no", "n", "false", "f", "absent", "ausente", "negative", "negativo", "negativa"})
MAX_SEVERITY = 10.0


@dataclass
class SourceProfile:
    """How to read one data source into canonical records; stored as JSON by the web app."""

    name: str
    format: str | None = None
    delimiter: str | None = None
    encoding: str | None = None
    sheet: str | None = None
    column_map: dict[str, str] = field(default_factory=dict)
    symptom_layout: str = "none"
    symptom_columns: list[str] = field(default_factory=list)
    symptom_delimiter: str | None = None
    symptoms_from_remaining_columns: bool = False
    wide_severity: bool = False
    absent_columns: list[str] = field(default_factory=list)
    absent_delimiter: str | None = None
    diagnosis_columns: list[str] = field(default_factory=list)
    diagnosis_delimiter: str | None = None
    diagnosis_prefixes: dict[str, str] = field(default_factory=dict)
    notes_column: str | None = None
    temperature_unit: str | None = None
    temperature_unit_column: str | None = None
    weight_unit: str | None = None
    height_unit: str | None = None
    date_format: str | None = None
    dayfirst: bool = True
    sex_values: dict[str, str] = field(default_factory=dict)
    id_columns: list[str] = field(default_factory=list)
    confidence: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Reject a profile that could not be applied."""
        if self.symptom_layout not in SYMPTOM_LAYOUTS:
            raise ValueError(f"symptom_layout must be one of {SYMPTOM_LAYOUTS}, not {self.symptom_layout!r}")
        unknown = sorted(set(self.column_map.values()) - set(SCALAR_FIELDS))
        if unknown:
            raise ValueError(f"column_map targets {unknown} are not scalar canonical fields")

    def to_dict(self) -> dict:
        """Return the profile as a JSON-serialisable dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping) -> SourceProfile:
        """Build a profile from ``to_dict`` output, rejecting unknown keys."""
        unknown = sorted(set(data) - {item.name for item in fields(cls)})
        if unknown:
            raise ValueError(f"unknown source profile fields: {unknown}")
        return cls(**data)

    def referenced_columns(self) -> list[str]:
        """Return every source column the profile reads, in a stable order."""
        named = [
            *self.column_map,
            *self.symptom_columns,
            *self.absent_columns,
            *self.diagnosis_columns,
            self.notes_column,
            self.temperature_unit_column,
        ]
        return list(dict.fromkeys(column for column in named if column))


# ---------------------------------------------------------------------------------------------------------
# Applying a profile
# ---------------------------------------------------------------------------------------------------------


def _cell_items(value: object, delimiter: str | None) -> list[str]:
    """Return the non-empty items of a list cell: a JSON list, a delimited text or one text."""
    if isinstance(value, list | tuple):
        items = [str(item) for item in value if not is_missing(item)]
    elif is_missing(value):
        return []
    else:
        items = str(value).split(delimiter) if delimiter else [str(value)]
    return [item.strip() for item in items if item.strip()]


def _list_column(
    chunk: pd.DataFrame,
    columns: Sequence[str],
    delimiter: str | None,
    prefixes: Mapping[str, str] | None = None,
) -> list[list[str]]:
    """Gather the items of several list columns into one de-duplicated list per row."""
    rows: list[list[str]] = [[] for _ in range(len(chunk))]
    for column in columns:
        prefix = (prefixes or {}).get(column, "")
        for items, value in zip(rows, chunk[column], strict=True):
            for item in _cell_items(value, delimiter):
                items.append(item if not prefix or item.upper().startswith(prefix.upper()) else prefix + item)
    return [list(dict.fromkeys(items)) for items in rows]


def _wide_text(value: object) -> str | None:
    """Fold a wide symptom cell to lower-case text, without the quote a neutralised "+" or "-" gained."""
    return None if is_missing(value) else str(value).strip().casefold().lstrip("'")


def wide_cell_states(values: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (present, absent, severity) arrays for one wide symptom column; severity is NaN if none."""
    text = pd.Series(map_cached(_wide_text, values), index=values.index, dtype=object)
    numbers = pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce").to_numpy(dtype=float)
    in_scale = (numbers > 0) & (numbers <= MAX_SEVERITY)
    present = text.isin(PRESENT_WORDS).to_numpy() | in_scale
    absent = text.isin(ABSENT_WORDS).to_numpy() | (numbers == 0)
    severity = np.where(in_scale, numbers, np.nan)
    return present, absent & ~present, severity


def _wide_symptoms(
    chunk: pd.DataFrame, columns: Sequence[str], with_severity: bool
) -> tuple[list[list[str]], list[list[str]], list[dict | None]]:
    """Read wide symptom columns into present lists, absent lists and severity dicts per row."""
    states = [wide_cell_states(chunk[column]) for column in columns]
    present = np.column_stack([state[0] for state in states]).tolist()
    absent = np.column_stack([state[1] for state in states]).tolist()
    severity = np.column_stack([state[2] for state in states])
    present_lists = [list(compress(columns, row)) for row in present]
    absent_lists = [list(compress(columns, row)) for row in absent]
    if not with_severity:
        return present_lists, absent_lists, [None] * len(chunk)
    severities = [
        {column: float(level) for column, level in zip(columns, row, strict=True) if not np.isnan(level)} or None
        for row in severity
    ]
    return present_lists, absent_lists, severities


def wide_symptom_columns(profile: SourceProfile, columns: Sequence[str]) -> list[str]:
    """Return the wide symptom columns: the listed ones, or every column the profile does not use."""
    if not profile.symptoms_from_remaining_columns:
        return list(profile.symptom_columns)
    used = set(profile.referenced_columns()) | READER_COLUMNS
    return [column for column in columns if column not in used]


def _iso_date(value: object, date_format: str | None, dayfirst: bool) -> object:
    """Rewrite a parseable date as ISO text; leave unparseable text for validation to report."""
    parsed = parse_date(value, date_format, dayfirst=dayfirst)
    return parsed.isoformat() if parsed else (None if is_missing(value) else value)


def _iso_dates(values: pd.Series, date_format: str | None, dayfirst: bool) -> pd.Series:
    """Rewrite a column of dates as ISO text, parsing each distinct value once."""
    rewritten = map_cached(lambda value: _iso_date(value, date_format, dayfirst), values)
    return pd.Series(rewritten, index=values.index, dtype=object)


def _check_columns(chunk: pd.DataFrame, profile: SourceProfile) -> None:
    """Raise IngestionError naming the profile's columns that the file lacks."""
    missing = [column for column in profile.referenced_columns() if column not in chunk.columns]
    if missing:
        raise IngestionError(
            f"The file has no column {', '.join(map(repr, missing))}, which the source "
            f"profile {profile.name!r} expects. Check the profile or the file."
        )


def _fill(current: pd.Series, values: pd.Series) -> pd.Series:
    """Keep current values and fill the missing ones from ``values``."""
    return current.where(current.notna(), values.where(values.notna(), None))


def apply_profile(chunk: pd.DataFrame, profile: SourceProfile) -> pd.DataFrame:
    """Turn one chunk of a source file into canonical records (``CANONICAL_COLUMNS``)."""
    _check_columns(chunk, profile)
    chunk = chunk.reset_index(drop=True)
    empty = pd.Series([None] * len(chunk), dtype=object)
    out = {column: empty.copy() for column in CANONICAL_COLUMNS}
    if "row_number" in chunk.columns:
        out["row_number"] = chunk["row_number"]
    else:
        out["row_number"] = pd.Series(np.arange(1, len(chunk) + 1))
    unit_map = {profile.temperature_unit_column: "temperature_unit"} if profile.temperature_unit_column else {}
    for source, target in {**profile.column_map, **unit_map}.items():
        out[target] = _fill(out[target], chunk[source].astype(object))
    for target, fixed in (
        ("temperature_unit", profile.temperature_unit),
        ("weight_unit", profile.weight_unit),
        ("height_unit", profile.height_unit),
    ):
        if fixed:
            out[target] = out[target].where(out[target].notna(), fixed)
    for target in DATE_FIELDS:
        out[target] = _iso_dates(out[target], profile.date_format, profile.dayfirst)
    sexes = map_cached(lambda value: normalize_sex(value, profile.sex_values) or value, out["sex"])
    out["sex"] = pd.Series(sexes, dtype=object).where(~out["sex"].isna(), None)
    _apply_symptoms(chunk, profile, out)
    out["diagnoses"] = pd.Series(
        _list_column(chunk, profile.diagnosis_columns, profile.diagnosis_delimiter, profile.diagnosis_prefixes),
        dtype=object,
    )
    if profile.notes_column:
        out["notes"] = chunk[profile.notes_column].astype(object)
    return pd.DataFrame(out, columns=CANONICAL_COLUMNS)


def _apply_symptoms(chunk: pd.DataFrame, profile: SourceProfile, out: dict[str, pd.Series]) -> None:
    """Fill symptoms, absent_symptoms and severity in ``out`` by the profile's layout."""
    absent = _list_column(chunk, profile.absent_columns, profile.absent_delimiter)
    present: list[list[str]] = [[] for _ in range(len(chunk))]
    severity: list[dict | None] = [None] * len(chunk)
    if profile.symptom_layout == "long":
        present = _list_column(chunk, profile.symptom_columns, profile.symptom_delimiter)
    elif profile.symptom_layout == "wide":
        columns = wide_symptom_columns(profile, list(chunk.columns))
        if columns:
            present, wide_absent, severity = _wide_symptoms(chunk, columns, profile.wide_severity)
            absent = [list(dict.fromkeys(listed + found)) for listed, found in zip(absent, wide_absent, strict=True)]
    out["symptoms"] = pd.Series(present, dtype=object)
    out["absent_symptoms"] = pd.Series(absent, dtype=object)
    out["severity"] = pd.Series(severity, dtype=object)


def read_with_profile(
    path: str | Path,
    profile: SourceProfile,
    *,
    filename: str | None = None,
    chunksize: int = DEFAULT_CHUNKSIZE,
    max_bytes: int = DEFAULT_MAX_BYTES,
    report: ReadReport | None = None,
) -> Iterator[pd.DataFrame]:
    """Yield harmonised canonical chunks of a file read with a profile; validate each one next."""
    # The profile's encoding is a fallback: a file that is valid UTF-8 is read as UTF-8 whatever it says.
    chunks = read_file(
        path,
        filename=filename,
        chunksize=chunksize,
        max_bytes=max_bytes,
        fallback_encoding=profile.encoding,
        delimiter=profile.delimiter,
        sheet=profile.sheet,
        report=report,
    )
    for chunk in chunks:
        yield harmonize_units(apply_profile(chunk, profile))


# ---------------------------------------------------------------------------------------------------------
# Proposing a profile from a header and a sample
# ---------------------------------------------------------------------------------------------------------

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
        "diagnosis",
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
        if target in DATE_FIELDS and profile.date_format is None:
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


# ---------------------------------------------------------------------------------------------------------
# Built-in profiles for the four demo sources
# ---------------------------------------------------------------------------------------------------------

BUILTIN_PROFILES: dict[str, SourceProfile] = {
    "hospital_csv": SourceProfile(
        name="hospital_csv",
        format="csv",
        delimiter=";",
        encoding="latin-1",
        column_map={
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
            "peso_kg": "weight",
            "talla_cm": "height",
        },
        temperature_unit_column="unidad_temp",
        weight_unit="kg",
        height_unit="cm",
        symptom_layout="long",
        symptom_columns=["sintomas"],
        symptom_delimiter=",",
        absent_columns=["sintomas_ausentes"],
        absent_delimiter=",",
        diagnosis_columns=["diagnostico_cie10"],
        diagnosis_delimiter=",",
        notes_column="notas",
        date_format="%d/%m/%Y",
        dayfirst=True,
        sex_values={"H": "male", "V": "male", "M": "female"},
        id_columns=["id_paciente", "nombre", "apellidos", "dni", "telefono", "email", "direccion"],
    ),
    "registry_jsonl": SourceProfile(
        name="registry_jsonl",
        format="jsonl",
        column_map={
            "patient_id": "patient_id",
            "name": "name",
            "birth_date": "birth_date",
            "sex": "sex",
            "visit_date": "visit_date",
            "zip": "zip",
            "temperature_c": "temperature",
        },
        temperature_unit="C",
        symptom_layout="long",
        symptom_columns=["hpo_terms"],
        absent_columns=["excluded_hpo_terms"],
        diagnosis_columns=["orpha_code", "omim_id"],
        diagnosis_prefixes={"orpha_code": "ORPHA:", "omim_id": "OMIM:"},
        notes_column="notes",
        date_format="%Y-%m-%d",
        id_columns=["patient_id", "name"],
    ),
    "research_xlsx": SourceProfile(
        name="research_xlsx",
        format="xlsx",
        column_map={
            "subject_id": "patient_id",
            "age": "age",
            "gender": "sex",
            "weight_lb": "weight",
            "height_in": "height",
            "temp_f": "temperature",
        },
        temperature_unit="F",
        weight_unit="lb",
        height_unit="in",
        symptom_layout="wide",
        symptoms_from_remaining_columns=True,
        diagnosis_columns=["prognosis"],
        id_columns=["subject_id"],
    ),
    # One note per file, named after the patient id: ``P000123.txt`` holds a note about patient P000123.
    "clinic_notes": SourceProfile(
        name="clinic_notes",
        format="text",
        column_map={"note_id": "patient_id"},
        notes_column="notes",
        id_columns=["note_id"],
    ),
}
