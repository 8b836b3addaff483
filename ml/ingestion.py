"""Read uploaded CSV, JSON, JSON Lines, XLSX and plain-text notes in bounded chunks, and validate records.

Every reader yields pandas DataFrames of at most ``chunksize`` rows, all values as strings (JSON lists stay
lists of strings), plus a ``row_number`` column: the spreadsheet row for CSV/XLSX (the header is row 1, so the
first record is row 2), the element number for a JSON array, the line number for JSON Lines, 1 for a note.

Cleaning applied to every cell: surrounding whitespace is stripped; ``""``, ``NA``, ``N/A``, ``null`` and
``-`` (any case) become None; and, against CSV formula injection, a text starting with ``=``, ``+``, ``-``,
``@``, tab or CR that is not a number or a phone number gets a ``'`` prefix (the OWASP recommendation: the
value stays readable and a spreadsheet shows it as text). The count is in ``ReadReport.neutralised_cells``.

Anything unreadable raises ``IngestionError`` whose message can be shown to the uploader as is.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import zipfile
import zlib
from collections.abc import Generator, Iterator, Mapping
from contextlib import closing
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import lru_cache
from pathlib import Path
from xml.etree.ElementTree import ParseError

import numpy as np
import pandas as pd

from ml.harmonization import (
    CELSIUS_RANGE,
    MAX_AGE,
    harmonize_units,
    is_missing,
    parse_date,
    parse_number,
)

DEFAULT_CHUNKSIZE = 50_000
DEFAULT_MAX_BYTES = 500 * 1024 * 1024
MAX_JSON_ARRAY_BYTES = 200 * 1024 * 1024
MAX_LINE_BYTES = 1024 * 1024
MAX_FIELD_CHARS = 1024 * 1024
# A workbook inflating past this is treated as a zip bomb rather than data.
MAX_XLSX_UNCOMPRESSED_BYTES = 2 * 1024 * 1024 * 1024
SNIFF_BYTES = 64 * 1024
CSV_DELIMITERS = ",;\t|"
MISSING_MARKERS = frozenset({"", "na", "n/a", "null", "-"})
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

CSV_EXTENSIONS = frozenset({".csv", ".tsv", ".tab"})
JSON_EXTENSIONS = frozenset({".json", ".jsonl", ".ndjson"})
XLSX_EXTENSIONS = frozenset({".xlsx", ".xlsm"})
TEXT_EXTENSIONS = frozenset({".txt", ".text", ".note", ".md"})
_BINARY_SIGNATURES = (
    (b"%PDF", "PDF"),
    (b"\xd0\xcf\x11\xe0", "legacy Excel .xls / Word .doc (save it as .xlsx or .csv)"),
    (b"\x89PNG", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF8", "GIF image"),
    (b"\x1f\x8b", "gzip archive"),
    (b"\xff\xfe", "UTF-16 text (save it as UTF-8)"),
    (b"\xfe\xff", "UTF-16 text (save it as UTF-8)"),
)
_SAFE_SIGNED_TEXT = re.compile(r"^[+-]?(?:\d+(?:[.,]\d+)*|[.,]\d+)(?:[eE][+-]?\d+)?$|^\+?[\d\s().-]{6,}$")
_CONTROL_BYTES = bytes(byte for byte in range(32) if byte not in b"\t\n\r\f\v") + b"\x7f"


class IngestionError(Exception):
    """An uploaded file cannot be read; ``message`` is meant for the person who uploaded it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class ReadReport:
    """What a reader found out while reading: pass one in to collect it."""

    format: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    rows: int = 0
    neutralised_cells: int = 0


# ---------------------------------------------------------------------------------------------------------
# File names, formats, encodings
# ---------------------------------------------------------------------------------------------------------


def safe_filename(name: str) -> str:
    """Return the bare file name of an upload, rejecting empty names, NUL, control characters and ``..``."""
    if not name or not name.strip():
        raise IngestionError("The file has no name.")
    if "\x00" in name or any(ord(char) < 32 for char in name):
        raise IngestionError("The file name contains control characters.")
    parts = re.split(r"[\\/]", name)
    if ".." in (part.strip() for part in parts):
        raise IngestionError(f"The file name {name!r} tries to leave its folder ('..').")
    base = parts[-1].strip()
    if base in {"", "."}:
        raise IngestionError(f"The file name {name!r} names a folder, not a file.")
    if len(base.encode("utf-8")) > 255:
        raise IngestionError("The file name is longer than 255 bytes.")
    return base


def _looks_binary(head: bytes) -> bool:
    """Return True when a file start holds NUL bytes or more than 1% control characters."""
    if b"\x00" in head:
        return True
    control = len(head) - len(head.translate(None, _CONTROL_BYTES))
    return control > max(1, len(head) // 100)


def sniff_format(filename: str, head_bytes: bytes) -> str:
    """Return "csv", "json", "jsonl", "xlsx" or "text" from a file's magic bytes and extension."""
    extension = Path(filename).suffix.lower()
    if head_bytes.startswith(b"PK\x03\x04"):
        if b"[Content_Types].xml" in head_bytes or extension in XLSX_EXTENSIONS:
            return "xlsx"
        raise IngestionError(f"{filename} is a zip archive, not an Excel workbook; upload the files inside.")
    if extension in XLSX_EXTENSIONS:
        raise IngestionError(f"{filename} is not a valid .xlsx workbook (it may be corrupt or truncated).")
    for signature, kind in _BINARY_SIGNATURES:
        if head_bytes.startswith(signature):
            raise IngestionError(f"{filename} looks like a {kind}, which cannot be imported.")
    if _looks_binary(head_bytes):
        raise IngestionError(f"{filename} looks like a binary file, not text, JSON or a workbook.")
    text_start = head_bytes.removeprefix(codecs.BOM_UTF8).lstrip()
    if not text_start:
        raise IngestionError(f"{filename} is empty.")
    json_kind = "json" if text_start.startswith(b"[") else "jsonl"
    if extension in JSON_EXTENSIONS:
        return json_kind
    if extension in CSV_EXTENSIONS:
        return "csv"
    if extension in TEXT_EXTENSIONS:
        return "text"
    if text_start[:1] in (b"[", b"{"):
        return json_kind
    raise IngestionError(f"{filename}: unknown format. Upload .csv, .tsv, .json, .jsonl, .xlsx or .txt files.")


def detect_encoding(sample: bytes, *, complete: bool = False, fallback: str | None = None) -> str:
    """Return "utf-8-sig" when the sample is UTF-8 (BOM or not), else ``fallback``, "cp1252" or "latin-1"."""
    try:
        sample.decode("utf-8-sig")
        return "utf-8-sig"
    except UnicodeDecodeError as error:
        # A sample cut from a longer file may end inside a multibyte character.
        if not complete and error.reason == "unexpected end of data" and error.start >= len(sample) - 3:
            return "utf-8-sig"
    if fallback:
        return fallback
    # cp1252 is what Excel on Windows writes as "Latin-1"; it agrees with Latin-1 on every letter (ñ, á, ü)
    # and also decodes € and curly quotes. True Latin-1 decodes any byte, so it is the last resort.
    try:
        sample.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


def _checked_encoding(encoding: str) -> str:
    """Return a codec name, raising IngestionError when Python does not know it."""
    try:
        return codecs.lookup(encoding).name
    except LookupError as error:
        raise IngestionError(f"Unknown text encoding {encoding!r}.") from error


_ENCODING_LABELS = {"utf-8-sig": "UTF-8", "utf-8": "UTF-8", "cp1252": "Windows-1252", "iso8859-1": "Latin-1"}


def _decode_error(filename: str, encoding: str, error: UnicodeDecodeError) -> IngestionError:
    """Build the user-facing message for bytes that do not decode."""
    label = _ENCODING_LABELS.get(encoding, encoding)
    return IngestionError(
        f"{filename} is not valid {label} text "
        f"(byte 0x{error.object[error.start]:02x} cannot be decoded). "
        "Re-save it as UTF-8, or choose its real encoding (for example Latin-1) in the source profile."
    )


def _read_head(path: Path, size: int = SNIFF_BYTES) -> bytes:
    """Return the first ``size`` bytes of a file."""
    with path.open("rb") as handle:
        return handle.read(size)


def sniff_delimiter(sample_text: str) -> str:
    """Return the CSV delimiter among ``, ; tab |``; a one-column file gets ","."""
    complete_lines = sample_text[: sample_text.rfind("\n") + 1] or sample_text
    header = complete_lines.splitlines()[0] if complete_lines.strip() else ""
    try:
        delimiter = csv.Sniffer().sniff(complete_lines, delimiters=CSV_DELIMITERS).delimiter
        if delimiter in header:
            return delimiter
    except csv.Error:
        pass
    # Sniffer gives up on irregular samples; the header line is the most reliable witness.
    counts = {candidate: header.count(candidate) for candidate in CSV_DELIMITERS}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


# ---------------------------------------------------------------------------------------------------------
# Cell cleaning
# ---------------------------------------------------------------------------------------------------------


def neutralise_formula(value: str) -> str:
    """Return a text prefixed with ``'`` when a spreadsheet would run it as a formula, else unchanged."""
    if value.startswith(FORMULA_TRIGGERS) and not _SAFE_SIGNED_TEXT.match(value):
        return "'" + value
    return value


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
    texts = (value if isinstance(value, str) else _json_scalar_text(value) for value in values)
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


def _clean_frame(frame: pd.DataFrame, report: ReadReport) -> pd.DataFrame:
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


def _json_scalar_text(value: object) -> str | None:
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


# ---------------------------------------------------------------------------------------------------------
# Readers
# ---------------------------------------------------------------------------------------------------------


class _LineLengthGuard(io.RawIOBase):
    """A binary stream that raises IngestionError as soon as a line grows past ``limit`` bytes."""

    def __init__(self, raw: io.BufferedIOBase, limit: int) -> None:
        super().__init__()
        self._raw = raw
        self._limit = limit
        self._open_line = 0

    def readable(self) -> bool:
        """Report that the stream can be read."""
        return True

    def readinto(self, buffer) -> int:
        """Read into buffer, checking the length of every line seen so far."""
        data = self._raw.read(len(buffer))
        buffer[: len(data)] = data
        self._check(data)
        return len(data)

    def _check(self, data: bytes) -> None:
        """Track the unfinished line across reads and reject one that is too long."""
        last_newline = data.rfind(b"\n")
        if last_newline == -1:
            longest = self._open_line = self._open_line + len(data)
        else:
            longest = self._open_line + data.find(b"\n")
            if len(data) > self._limit:
                longest = max(longest, *(len(line) for line in data.split(b"\n")))
            self._open_line = len(data) - last_newline - 1
        if max(longest, self._open_line) > self._limit:
            raise IngestionError(f"A line is longer than {self._limit:,} bytes; is this really a CSV file?")


def read_csv_chunks(
    path: str | Path,
    *,
    chunksize: int = DEFAULT_CHUNKSIZE,
    encoding: str | None = None,
    fallback_encoding: str | None = None,
    delimiter: str | None = None,
    max_line_bytes: int = MAX_LINE_BYTES,
    report: ReadReport | None = None,
) -> Generator[pd.DataFrame, None, None]:
    """Yield chunks of a delimited text file, detecting its encoding and delimiter unless given."""
    path, report = Path(path), report or ReadReport()
    head = _read_head(path)
    encoding = _checked_encoding(
        encoding or detect_encoding(head, complete=len(head) < SNIFF_BYTES, fallback=fallback_encoding)
    )
    try:
        sample_text = head.decode(encoding, errors="ignore" if len(head) == SNIFF_BYTES else "strict")
    except UnicodeDecodeError as error:
        raise _decode_error(path.name, encoding, error) from error
    report.format, report.encoding = "csv", encoding
    report.delimiter = delimiter = delimiter or sniff_delimiter(sample_text)
    with path.open("rb") as raw:
        text = io.TextIOWrapper(
            io.BufferedReader(_LineLengthGuard(raw, max_line_bytes)),
            encoding=encoding,
            errors="strict",
            newline="",
        )
        try:
            with pd.read_csv(
                text,
                sep=delimiter,
                dtype=str,
                keep_default_na=False,
                chunksize=chunksize,
                skip_blank_lines=True,
                engine="c",
            ) as chunks:
                yield from _numbered_csv_chunks(chunks, report)
        except UnicodeDecodeError as error:
            raise _decode_error(path.name, encoding, error) from error
        except pd.errors.EmptyDataError as error:
            raise IngestionError(f"{path.name} is empty.") from error
        except pd.errors.ParserError as error:
            raise IngestionError(f"{path.name} is not a well-formed CSV file: {error}") from error
    if report.rows == 0:
        raise IngestionError(f"{path.name} has a header but no data rows.")


def _numbered_csv_chunks(chunks: Iterator[pd.DataFrame], report: ReadReport) -> Iterator[pd.DataFrame]:
    """Add spreadsheet row numbers (the header is row 1) to CSV chunks and clean them."""
    next_row = 2
    for chunk in chunks:
        if chunk.empty:
            continue
        chunk.insert(0, "row_number", np.arange(next_row, next_row + len(chunk)))
        next_row += len(chunk)
        yield _clean_frame(chunk.reset_index(drop=True), report)


def _flatten_record(record: Mapping, prefix: str = "") -> dict[str, object]:
    """Flatten nested objects into dotted keys; lists stay lists, scalars become text."""
    flat: dict[str, object] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten_record(value, prefix=f"{name}."))
        elif isinstance(value, list):
            flat[name] = [_json_scalar_text(item) for item in value]
        else:
            flat[name] = _json_scalar_text(value)
    return flat


def _records_frame(records: list[Mapping], row_numbers: list[int], report: ReadReport) -> pd.DataFrame:
    """Build a cleaned chunk from JSON objects and their row numbers."""
    frame = pd.DataFrame([_flatten_record(record) for record in records], dtype=object)
    frame.insert(0, "row_number", row_numbers)
    return _clean_frame(frame, report)


def _decode_whole(path: Path, raw: bytes, encoding: str | None, fallback_encoding: str | None) -> tuple[str, str]:
    """Decode a whole small file strictly, detecting its encoding unless given."""
    encoding = _checked_encoding(encoding or detect_encoding(raw, complete=True, fallback=fallback_encoding))
    try:
        return raw.decode(encoding), encoding
    except UnicodeDecodeError as error:
        raise _decode_error(path.name, encoding, error) from error


def read_json_chunks(
    path: str | Path,
    *,
    chunksize: int = DEFAULT_CHUNKSIZE,
    encoding: str | None = None,
    fallback_encoding: str | None = None,
    max_bytes: int = MAX_JSON_ARRAY_BYTES,
    report: ReadReport | None = None,
) -> Generator[pd.DataFrame, None, None]:
    """Yield chunks of a JSON array of objects (read whole, so it is limited to ``max_bytes``)."""
    path, report = Path(path), report or ReadReport()
    if path.stat().st_size > max_bytes:
        raise IngestionError(f"{path.name} is a JSON array over {max_bytes // 2**20} MB; use JSON Lines instead.")
    text, report.encoding = _decode_whole(path, path.read_bytes(), encoding, fallback_encoding)
    report.format = "json"
    try:
        records = json.loads(text)
    except json.JSONDecodeError as error:
        raise IngestionError(
            f"{path.name} is not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})."
        ) from error
    if not isinstance(records, list):
        raise IngestionError(f"{path.name} must hold a JSON array of objects, one per record.")
    if not records:
        raise IngestionError(f"{path.name} holds an empty array: there are no records.")
    for number, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            raise IngestionError(f"{path.name}: item {number} of the array is not an object.")
    for start in range(0, len(records), chunksize):
        batch = records[start : start + chunksize]
        yield _records_frame(batch, list(range(start + 1, start + len(batch) + 1)), report)


def read_jsonl_chunks(
    path: str | Path,
    *,
    chunksize: int = DEFAULT_CHUNKSIZE,
    encoding: str | None = None,
    fallback_encoding: str | None = None,
    max_line_bytes: int = MAX_LINE_BYTES,
    report: ReadReport | None = None,
) -> Generator[pd.DataFrame, None, None]:
    """Yield chunks of a JSON Lines file, one object per line; blank lines are skipped."""
    path, report = Path(path), report or ReadReport()
    head = _read_head(path)
    encoding = _checked_encoding(
        encoding or detect_encoding(head, complete=len(head) < SNIFF_BYTES, fallback=fallback_encoding)
    )
    report.format, report.encoding = "jsonl", encoding
    records: list[Mapping] = []
    line_numbers: list[int] = []
    with path.open("rb") as handle:
        for line_number, line in enumerate(iter(lambda: handle.readline(max_line_bytes + 1), b""), start=1):
            if len(line) > max_line_bytes:
                raise IngestionError(f"{path.name}: line {line_number} is longer than {max_line_bytes:,} bytes.")
            record = _parse_json_line(path.name, line, line_number, encoding)
            if record is None:
                continue
            records.append(record)
            line_numbers.append(line_number)
            if len(records) == chunksize:
                yield _records_frame(records, line_numbers, report)
                records, line_numbers = [], []
    if records:
        yield _records_frame(records, line_numbers, report)
    if report.rows == 0:
        raise IngestionError(f"{path.name} holds no JSON records.")


def _parse_json_line(filename: str, line: bytes, line_number: int, encoding: str) -> dict | None:
    """Decode one JSON Lines line into an object; None for a blank line."""
    try:
        text = line.decode(encoding)
    except UnicodeDecodeError as error:
        raise _decode_error(filename, encoding, error) from error
    text = text.removeprefix("\ufeff").strip()
    if not text:
        return None
    try:
        record = json.loads(text)
    except json.JSONDecodeError as error:
        raise IngestionError(f"{filename}: line {line_number} is not valid JSON ({error.msg}).") from error
    if not isinstance(record, dict):
        raise IngestionError(f"{filename}: line {line_number} is not a JSON object.")
    return record


def _check_workbook_archive(path: Path) -> None:
    """Reject a workbook whose zip is unreadable or inflates suspiciously."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            inflated = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise IngestionError(f"{path.name} is not a readable .xlsx workbook (corrupt or truncated).") from error
    if "[Content_Types].xml" not in names:
        raise IngestionError(f"{path.name} is a zip archive, not an Excel workbook.")
    if inflated > MAX_XLSX_UNCOMPRESSED_BYTES:
        raise IngestionError(f"{path.name} unpacks to more than {MAX_XLSX_UNCOMPRESSED_BYTES // 2**30} GB.")


_WORKBOOK_ERRORS = (
    zipfile.BadZipFile,
    KeyError,
    OSError,
    EOFError,
    ValueError,
    TypeError,
    zlib.error,
    ParseError,
    IndexError,
)


def read_xlsx_chunks(
    path: str | Path,
    *,
    chunksize: int = DEFAULT_CHUNKSIZE,
    sheet: str | None = None,
    report: ReadReport | None = None,
) -> Generator[pd.DataFrame, None, None]:
    """Yield chunks of one worksheet (the first unless named) in openpyxl's streaming read-only mode."""
    from openpyxl import load_workbook  # deferred: only workbook uploads pay for importing openpyxl

    path, report = Path(path), report or ReadReport()
    _check_workbook_archive(path)
    report.format = "xlsx"
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except _WORKBOOK_ERRORS as error:
        raise IngestionError(f"{path.name} is not a readable .xlsx workbook (corrupt or truncated).") from error
    try:
        if sheet is not None and sheet not in workbook.sheetnames:
            raise IngestionError(f"{path.name} has no sheet {sheet!r}; its sheets are {workbook.sheetnames}.")
        worksheet = workbook[sheet] if sheet is not None else workbook.worksheets[0]
        yield from _worksheet_chunks(worksheet.iter_rows(values_only=True), chunksize, report)
    except IngestionError:
        raise
    except _WORKBOOK_ERRORS as error:
        raise IngestionError(f"{path.name} is not a readable .xlsx workbook (corrupt or truncated).") from error
    finally:
        workbook.close()
    if report.rows == 0:
        raise IngestionError(f"{path.name} has a header but no data rows.")


def _worksheet_chunks(rows: Iterator[tuple], chunksize: int, report: ReadReport) -> Iterator[pd.DataFrame]:
    """Turn worksheet rows (the first is the header) into cleaned, numbered chunks."""
    header = next(rows, None)
    if header is None or all(is_missing(value) for value in header):
        raise IngestionError("The worksheet is empty.")
    columns = [_json_scalar_text(value) or f"column_{index}" for index, value in enumerate(header, start=1)]
    batch: list[list[str | None]] = []
    row_numbers: list[int] = []
    for row_number, values in enumerate(rows, start=2):
        texts = [_json_scalar_text(value) for value in values]
        if all(is_missing(text) for text in texts):
            continue
        columns += [f"column_{index + 1}" for index in range(len(columns), len(texts))]
        batch.append(texts + [None] * (len(columns) - len(texts)))
        row_numbers.append(row_number)
        if len(batch) == chunksize:
            yield _worksheet_frame(batch, columns, row_numbers, report)
            batch, row_numbers = [], []
    if batch:
        yield _worksheet_frame(batch, columns, row_numbers, report)


def _worksheet_frame(batch: list[list], columns: list[str], row_numbers: list[int], report: ReadReport) -> pd.DataFrame:
    """Build a cleaned chunk from worksheet rows padded to the header width."""
    width = len(columns)
    frame = pd.DataFrame([row + [None] * (width - len(row)) for row in batch], columns=columns, dtype=object)
    frame.insert(0, "row_number", row_numbers)
    return _clean_frame(frame, report)


def read_text_note(
    path: str | Path,
    *,
    filename: str | None = None,
    encoding: str | None = None,
    fallback_encoding: str | None = None,
    max_line_bytes: int = MAX_LINE_BYTES,
    report: ReadReport | None = None,
) -> Generator[pd.DataFrame, None, None]:
    """Yield one row holding a whole clinical note, its file name (``source_ref``) and stem (``note_id``)."""
    path, report = Path(path), report or ReadReport()
    name = safe_filename(filename or path.name)
    raw = path.read_bytes()
    if max((len(line) for line in raw.split(b"\n")), default=0) > max_line_bytes:
        raise IngestionError(f"{name}: a line is longer than {max_line_bytes:,} bytes.")
    text, report.encoding = _decode_whole(path, raw, encoding, fallback_encoding)
    report.format = "text"
    text = text.removeprefix("\ufeff").strip()
    if not text:
        raise IngestionError(f"{name} is empty.")
    frame = pd.DataFrame(
        {"row_number": [1], "notes": [text], "source_ref": [name], "note_id": [Path(name).stem]}, dtype=object
    )
    yield _clean_frame(frame, report)


def read_file(
    path: str | Path,
    *,
    filename: str | None = None,
    chunksize: int = DEFAULT_CHUNKSIZE,
    max_bytes: int = DEFAULT_MAX_BYTES,
    encoding: str | None = None,
    fallback_encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
    report: ReadReport | None = None,
) -> Generator[pd.DataFrame, None, None]:
    """Check an uploaded file now and return an iterator of its chunks; ``filename`` is the upload's name."""
    path = Path(path)
    name = safe_filename(filename or path.name)
    if not path.is_file():
        raise IngestionError(f"{name} was not found.")
    size = path.stat().st_size
    if size == 0:
        raise IngestionError(f"{name} is empty.")
    if size > max_bytes:
        raise IngestionError(f"{name} is {size / 2**20:.1f} MB; the limit is {max_bytes / 2**20:.1f} MB.")
    file_format = sniff_format(name, _read_head(path))
    report = report if report is not None else ReadReport()
    text_options = {"encoding": encoding, "fallback_encoding": fallback_encoding, "report": report}
    if file_format == "csv":
        chunks = read_csv_chunks(path, chunksize=chunksize, delimiter=delimiter, **text_options)
    elif file_format == "json":
        chunks = read_json_chunks(path, chunksize=chunksize, **text_options)
    elif file_format == "jsonl":
        chunks = read_jsonl_chunks(path, chunksize=chunksize, **text_options)
    elif file_format == "xlsx":
        chunks = read_xlsx_chunks(path, chunksize=chunksize, sheet=sheet, report=report)
    else:
        chunks = read_text_note(path, filename=name, **text_options)
    return _named_after_upload(chunks, stored_name=path.name, upload_name=name)


def _named_after_upload(
    chunks: Generator[pd.DataFrame, None, None], *, stored_name: str, upload_name: str
) -> Generator[pd.DataFrame, None, None]:
    """Pass chunks through, naming the uploaded file rather than its stored copy in error messages."""
    try:
        yield from chunks
    except IngestionError as error:
        if stored_name == upload_name:
            raise
        raise IngestionError(error.message.replace(stored_name, upload_name)) from error


def read_sample(path: str | Path, *, n_rows: int = 100, **options) -> pd.DataFrame:
    """Return the first ``n_rows`` records of a file, e.g. to propose a source profile."""
    with closing(read_file(path, chunksize=n_rows, **options)) as chunks:
        return next(chunks)


# ---------------------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------------------

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


def record_errors(record: Mapping) -> list[RowError]:
    """Return every problem of one harmonised canonical record (empty when it is valid)."""
    row = record.get("row_number")
    row = None if is_missing(row) else int(row)
    errors = []
    if is_missing(record.get("patient_id")):
        errors.append(RowError(row, "patient_id", "missing required field"))
    if not any(_has_content(record.get(field)) for field in REQUIRED_CONTENT):
        errors.append(RowError(row, "symptoms", "no symptoms, absent symptoms, diagnoses or notes"))
    return errors + _number_errors(record, row) + _date_errors(record, row)


def validate_records(df: pd.DataFrame) -> tuple[pd.DataFrame, list[RowError]]:
    """Split canonical records into the valid ones and a list of row errors; never raises on bad values."""
    harmonised = df if "temperature_c" in df.columns else harmonize_units(df)
    errors: list[RowError] = []
    valid = np.ones(len(harmonised), dtype=bool)
    columns = [column for column in VALIDATED_COLUMNS if column in harmonised.columns]
    rows = zip(*(harmonised[column].tolist() for column in columns), strict=True)
    for position, record in enumerate(dict(zip(columns, row, strict=True)) for row in rows):
        problems = record_errors(record)
        if problems:
            valid[position] = False
            errors.extend(problems)
    return harmonised[valid], errors


def errors_to_csv(errors: list[RowError]) -> str:
    """Render row errors as the downloadable CSV report (row_number, field, reason)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["row_number", "field", "reason"])
    for error in errors:
        row = "" if error.row_number is None else str(error.row_number)
        writer.writerow([row, neutralise_formula(error.field), neutralise_formula(error.reason)])
    return buffer.getvalue()
