"""Cell-level helpers shared by every stage: missing and blank cells, folded text, dates, parsers that fail soft.

There is one of each: :func:`is_missing` is what every stage means by an empty cell (a blank string is
missing), and :func:`parse_date` is the one date parser (harmonisation, validation and anonymisation agree on
which texts are dates).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

ISO_DATE_FORMATS = ("%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d", "%Y%m%d")
DAYFIRST_DATE_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%y")
MONTHFIRST_DATE_FORMATS = ("%m/%d/%Y", "%m-%d-%Y", "%m/%d/%y")
# No date is written in more characters than this: a longer text is cut (its first ten may still be an ISO date).
MAX_DATE_CHARS = 32


def fold_text(text: str) -> str:
    """Return text case-folded and stripped of accents (``"Fiebre Alta"`` and ``"fiebre alta"`` match)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def is_missing(value: object) -> bool:
    """Return True for None, NaN, NaT, pd.NA and blank strings; lists, dicts and other containers never are."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, float):
        return value != value  # only NaN differs from itself
    if isinstance(value, int | list | tuple | dict | set | Mapping):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def is_blank(value: Any) -> bool:
    """Return True for missing values and for lists, tuples, sets or dicts with nothing in them."""
    if is_missing(value):
        return True
    if isinstance(value, list | tuple | set | dict):
        return len(value) == 0
    return False


def parse_date(value: object, date_format: str | None = None, *, dayfirst: bool = True) -> date | None:
    """Parse a date by the given format, then ISO, then day-first (or month-first) forms; None if none fit.

    Dates, datetimes, Timestamps and ``numpy.datetime64`` values are returned as dates; other non-texts (the
    number ``20240301``) are not dates. ISO texts with a time, fractions or a zone
    (``2024-03-01T10:00:00.5+01:00``) or anything after the date give the date of their first ten characters.
    """
    if is_missing(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, np.datetime64):
        return call_or_none(lambda: pd.Timestamp(value).date())
    if not isinstance(value, str):
        return None
    text = value.strip()[:MAX_DATE_CHARS]
    fallbacks = (
        DAYFIRST_DATE_FORMATS + MONTHFIRST_DATE_FORMATS if dayfirst else MONTHFIRST_DATE_FORMATS + DAYFIRST_DATE_FORMATS
    )
    for candidate in ((date_format,) if date_format else ()) + ISO_DATE_FORMATS + fallbacks:
        try:
            return datetime.strptime(text, candidate).date()
        except ValueError:
            continue
    return call_or_none(lambda: date.fromisoformat(text[:10]))


def column_or_none(source: pd.DataFrame, column: str) -> pd.Series:
    """Return a column as objects, or a column of missing values when the source lacks it."""
    if column in source.columns:
        return source[column].astype(object)
    return pd.Series([None] * len(source), index=source.index, dtype=object)


def call_or_none(compute: Callable[[], Any]) -> Any:
    """Return compute() or None if it raises a value, type or overflow error (bad dates and numbers)."""
    try:
        return compute()
    except (ValueError, TypeError, OverflowError):
        return None
