"""The one CSV writer for files dxflow hands out: text cells a spreadsheet would run as formulas are neutralised.

A cell starting with ``= + - @``, a tab or a carriage return gets a leading ``'`` (plain signed numbers and phone
numbers stay as they are), so an auditor opening an export in a spreadsheet sees the text instead of running it.
The rule is defined here, once: :mod:`ml.ingest.cells` applies the same :func:`neutralise_formula` to cells as
they are read.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from typing import Any, TextIO

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_SAFE_SIGNED_TEXT = re.compile(r"^[+-]?(?:\d+(?:[.,]\d+)*|[.,]\d+)(?:[eE][+-]?\d+)?$|^\+?[\d\s().-]{6,}$")


def neutralise_formula(value: str) -> str:
    """Return a text prefixed with ``'`` when a spreadsheet would run it as a formula, else unchanged."""
    if value.startswith(FORMULA_TRIGGERS) and not _SAFE_SIGNED_TEXT.match(value):
        return "'" + value
    return value


def safe_cell(value: Any) -> Any:
    """Return a text cell neutralised against formula injection; other values unchanged."""
    return neutralise_formula(value) if isinstance(value, str) else value


def safe_row(row: Iterable[Any]) -> list[Any]:
    """Return the cells of ``row`` neutralised against formula injection."""
    return [safe_cell(value) for value in row]


class SafeWriter:
    """A ``csv.writer`` that neutralises every text cell it writes."""

    def __init__(self, handle: TextIO, **fmtparams: Any) -> None:
        self._writer = csv.writer(handle, **fmtparams)

    def writerow(self, row: Iterable[Any]) -> Any:
        """Write one row, its text cells neutralised."""
        return self._writer.writerow(safe_row(row))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        """Write many rows, their text cells neutralised."""
        for row in rows:
            self.writerow(row)


def writer(handle: TextIO, **fmtparams: Any) -> SafeWriter:
    """Return a CSV writer on ``handle`` (``csv.writer`` options) that neutralises every text cell."""
    return SafeWriter(handle, **fmtparams)


def write_rows(rows: Iterable[Iterable[Any]], header: Iterable[Any], **fmtparams: Any) -> str:
    """Return ``header`` and ``rows`` as CSV text, every text cell neutralised."""
    buffer = io.StringIO()
    csv_writer = writer(buffer, **fmtparams)
    csv_writer.writerow(header)
    csv_writer.writerows(rows)
    return buffer.getvalue()
