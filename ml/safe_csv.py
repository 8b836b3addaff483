"""The one CSV writer for files dxflow hands out: text cells a spreadsheet would run as formulas are neutralised.

A cell starting with ``= + - @``, a tab or a carriage return gets a leading ``'`` (the rule of
:func:`ml.ingestion.neutralise_formula`, which keeps plain signed numbers and phone numbers as they are), so an
auditor opening an export in a spreadsheet sees the text instead of running it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any, TextIO

from ml.ingestion import neutralise_formula


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
