"""Validate canonical records row by row: numbers and dates in range, some clinical content present.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import numpy as np
import pandas as pd

from ml import safe_csv
from ml.harmonization import CELSIUS_RANGE, MAX_AGE, harmonize_units, parse_number
from ml.values import is_missing, parse_date

AGE_RANGE = (0.0, float(MAX_AGE))
REQUIRED_CONTENT = ("symptoms", "absent_symptoms", "diagnoses", "notes")
VALIDATED_COLUMNS = (
    "row_number",
    "patient_id",
    *REQUIRED_CONTENT,
    "temperature",
    "temperature_unit",
    "temperature_c",
    "weight",
    "weight_unit",
    "weight_kg",
    "height",
    "height_unit",
    "height_cm",
    "age",
    "age_years",
    "birth_date",
    "visit_date",
)


@dataclass(frozen=True)
class RowError:
    """Why one row of an upload was rejected: its source row, the field, and a reason for the user."""

    row_number: int | None
    field: str
    reason: str


@lru_cache(maxsize=100_000)
def _text_number(text: str) -> float | None:
    """Parse a number from text, remembering recent answers (the same values recur row after row)."""
    return parse_number(text)


@lru_cache(maxsize=100_000)
def _text_date(text: str) -> date | None:
    """Parse a date from text, remembering recent answers."""
    return parse_date(text)


def _number(value: object) -> float | None:
    """Return the number in a cell, using the cache for text."""
    return _text_number(value) if isinstance(value, str) else parse_number(value)


def _date(value: object) -> date | None:
    """Return the date in a cell, using the cache for text."""
    return _text_date(value) if isinstance(value, str) else parse_date(value)


def _has_content(value: object) -> bool:
    """Return True for a non-empty list, dict or text."""
    if isinstance(value, list | tuple | dict | set):
        return len(value) > 0
    return not is_missing(value)


def _number_errors(record: Mapping, row: int | None) -> list[RowError]:
    """Check the numeric fields of one harmonised record: parseable, known unit, plausible range."""
    errors = []
    for field in ("temperature", "weight", "height", "age"):
        raw = record.get(field)
        if not is_missing(raw) and _number(raw) is None:
            errors.append(RowError(row, field, f"unparseable number {raw!r}"))
    celsius = record.get("temperature_c")
    if _number(record.get("temperature")) is not None:
        if is_missing(celsius):
            errors.append(
                RowError(
                    row,
                    "temperature",
                    f"temperature {record['temperature']!r} has an unknown unit or lies outside 25–45 °C and 86–113 °F",
                )
            )
        elif not CELSIUS_RANGE[0] <= celsius <= CELSIUS_RANGE[1]:
            errors.append(RowError(row, "temperature", f"temperature {celsius:g} °C is outside 25–45 °C"))
    for field, converted in (("weight", "weight_kg"), ("height", "height_cm")):
        if _number(record.get(field)) is not None and is_missing(record.get(converted)):
            errors.append(RowError(row, field, f"unknown {field} unit {record.get(field + '_unit')!r}"))
    age = record.get("age_years")
    if not is_missing(age) and not AGE_RANGE[0] <= age <= AGE_RANGE[1]:
        errors.append(RowError(row, "age", f"age {age:g} is outside 0–120 years"))
    return errors


def _date_errors(record: Mapping, row: int | None) -> list[RowError]:
    """Check the dates of one record: parseable, and birth not after visit."""
    errors, parsed = [], {}
    for field in ("birth_date", "visit_date"):
        raw = record.get(field)
        if is_missing(raw):
            continue
        parsed[field] = _date(raw)
        if parsed[field] is None:
            errors.append(RowError(row, field, f"unparseable date {raw!r}"))
    birth, visit = parsed.get("birth_date"), parsed.get("visit_date")
    if birth and visit and birth > visit:
        errors.append(RowError(row, "birth_date", f"birth date {birth} is after visit date {visit}"))
    return errors


def record_errors(record: Mapping, *, require_patient_id: bool = True) -> list[RowError]:
    """Return every problem of one harmonised canonical record (empty when it is valid)."""
    row = record.get("row_number")
    row = None if is_missing(row) else int(row)
    errors = []
    if require_patient_id and is_missing(record.get("patient_id")):
        errors.append(RowError(row, "patient_id", "missing required field"))
    if not any(_has_content(record.get(field)) for field in REQUIRED_CONTENT):
        errors.append(RowError(row, "symptoms", "no symptoms, absent symptoms, diagnoses or notes"))
    return errors + _number_errors(record, row) + _date_errors(record, row)


def validate_records(df: pd.DataFrame, *, require_patient_id: bool = True) -> tuple[pd.DataFrame, list[RowError]]:
    """Split canonical records into the valid ones and a list of row errors; never raises on bad values.

    ``require_patient_id=False`` accepts rows without a patient id (a source whose rows are its patients).
    """
    harmonised = df if "temperature_c" in df.columns else harmonize_units(df)
    errors: list[RowError] = []
    valid = np.ones(len(harmonised), dtype=bool)
    columns = [column for column in VALIDATED_COLUMNS if column in harmonised.columns]
    rows = zip(*(harmonised[column].tolist() for column in columns), strict=True)
    for position, record in enumerate(dict(zip(columns, row, strict=True)) for row in rows):
        problems = record_errors(record, require_patient_id=require_patient_id)
        if problems:
            valid[position] = False
            errors.extend(problems)
    return harmonised[valid], errors


def errors_to_csv(errors: list[RowError]) -> str:
    """Render row errors as the downloadable CSV report (row_number, field, reason), formula-safe."""
    rows = (("" if error.row_number is None else str(error.row_number), error.field, error.reason) for error in errors)
    return safe_csv.write_rows(rows, header=["row_number", "field", "reason"], lineterminator="\n")
