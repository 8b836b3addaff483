"""Small value checks shared by every stage: missing cells, blank cells, parsers that fail soft.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd


def column_or_none(source: pd.DataFrame, column: str) -> pd.Series:
    """Return a column as objects, or a column of missing values when the source lacks it."""
    if column in source.columns:
        return source[column].astype(object)
    return pd.Series([None] * len(source), index=source.index, dtype=object)


def is_na(value: Any) -> bool:
    """Return True for None, NaN, NaT and pd.NA, without choking on lists or arrays."""
    if value is None:
        return True
    if isinstance(value, list | tuple | dict | set | Mapping):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def is_blank(value: Any) -> bool:
    """Return True for missing values and strings or lists with nothing in them."""
    if is_na(value):
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | tuple | set | dict):
        return len(value) == 0
    return False


def call_or_none(compute: Callable[[], Any]) -> Any:
    """Return compute() or None if it raises a value, type or overflow error (bad dates and numbers)."""
    try:
        return compute()
    except (ValueError, TypeError, OverflowError):
        return None
