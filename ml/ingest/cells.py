"""Clean cells as they are read: strip, turn missing markers into None, neutralise spreadsheet formulas.

The formula rule is :func:`ml.safe_csv.neutralise_formula`, the one every CSV that dxflow writes applies.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time

import numpy as np
import pandas as pd

from ml.ingest.formats import MAX_FIELD_CHARS, IngestionError, ReadReport
from ml.safe_csv import FORMULA_TRIGGERS, neutralise_formula
from ml.values import is_missing

MISSING_MARKERS = frozenset({"", "na", "n/a", "null", "-"})


def _clean_text(text: str, report: ReadReport) -> str | None:
    """Strip a text, turn missing markers into None and neutralise (and count) a formula."""
    text = text.strip()
    if len(text) <= 4 and text.casefold() in MISSING_MARKERS:
        return None
    if text.startswith(FORMULA_TRIGGERS):
        neutralised = neutralise_formula(text)
        report.neutralised_cells += neutralised is not text
        return neutralised
    return text


def _clean_list(values: list, report: ReadReport) -> list[str]:
    """Clean each element of a list cell and drop the missing ones."""
    texts = (value if isinstance(value, str) else json_scalar_text(value) for value in values)
    return [cleaned for text in texts if text is not None and (cleaned := _clean_text(text, report)) is not None]


def _clean_series(series: pd.Series, column: str, first_row: pd.Series, report: ReadReport) -> pd.Series:
    """Strip, blank out missing markers, neutralise formulas and enforce the field size on one column."""
    cleaned = []
    for position, value in enumerate(series.tolist()):
        if isinstance(value, str):
            if len(value) > MAX_FIELD_CHARS:
                row = first_row.iloc[position]
                raise IngestionError(f"Row {row}, column {column!r} is longer than {MAX_FIELD_CHARS:,} characters.")
            cleaned.append(_clean_text(value, report))
        elif isinstance(value, list):
            cleaned.append(_clean_list(value, report))
        else:
            cleaned.append(None if is_missing(value) else value)
    return pd.Series(cleaned, index=series.index, dtype=object)


def clean_frame(frame: pd.DataFrame, report: ReadReport) -> pd.DataFrame:
    """Clean every cell of a chunk and count its rows."""
    frame.columns = _unique_names([str(name).strip().lstrip("\ufeff") for name in frame.columns])
    row_numbers = frame["row_number"]
    for column in frame.columns:
        if column != "row_number":
            frame[column] = _clean_series(frame[column], column, row_numbers, report)
    report.rows += len(frame)
    return frame


def _unique_names(names: list[str]) -> list[str]:
    """Make column names unique and non-empty ("", "x", "x" → "column_1", "x", "x.1")."""
    seen: dict[str, int] = {}
    unique = []
    for index, name in enumerate(names, start=1):
        name = name or f"column_{index}"
        if name in seen:
            seen[name] += 1
            name = f"{name}.{seen[name]}"
        seen.setdefault(name, 0)
        unique.append(name)
    return unique


def json_scalar_text(value: object) -> str | None:
    """Render a JSON or spreadsheet scalar as the text a user would type."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


