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

import io
import json
import sys
import zipfile
import zlib
from collections.abc import Generator, Iterator, Mapping
from contextlib import closing
from pathlib import Path
from xml.etree.ElementTree import ParseError

import numpy as np
import pandas as pd

from ml.ingest.cells import clean_frame, json_scalar_text
from ml.ingest.formats import (
    DEFAULT_CHUNKSIZE,
    DEFAULT_MAX_BYTES,
    MAX_JSON_ARRAY_BYTES,
    MAX_LINE_BYTES,
    MAX_XLSX_UNCOMPRESSED_BYTES,
    SNIFF_BYTES,
    IngestionError,
    ReadReport,
    _checked_encoding,
    _decode_error,
    _read_head,
    detect_encoding,
    safe_filename,
    sniff_delimiter,
    sniff_format,
)
from ml.ingest.notes_archive import read_notes_zip
from ml.values import is_missing


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
        yield clean_frame(chunk.reset_index(drop=True), report)


def _flatten_record(record: Mapping, prefix: str = "") -> dict[str, object]:
    """Flatten nested objects into dotted keys; lists stay lists, scalars become text."""
    flat: dict[str, object] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten_record(value, prefix=f"{name}."))
        elif isinstance(value, list):
            flat[name] = [json_scalar_text(item) for item in value]
        else:
            flat[name] = json_scalar_text(value)
    return flat


def _loads_json(text: str, *, where: str):
    """Parse JSON text; raise IngestionError naming ``where`` for nesting or numbers Python refuses to decode.

    ``json.JSONDecodeError`` (malformed text) is left to the caller, which knows how to place it.
    """
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise
    except RecursionError:
        raise IngestionError(f"{where} is nested too deeply (objects or arrays inside one another hundreds of "
                             "levels deep); records need only a few levels.") from None
    except ValueError as error:  # int("9" * 5000): Python refuses integers over sys.get_int_max_str_digits()
        if "digits" not in str(error):
            raise
        raise IngestionError(f"{where} holds a number with more than {sys.get_int_max_str_digits():,} digits; "
                             "no clinical value is that long.") from None


def _records_frame(records: list[Mapping], row_numbers: list[int], report: ReadReport) -> pd.DataFrame:
    """Build a cleaned chunk from JSON objects and their row numbers."""
    try:
        flat = [_flatten_record(record) for record in records]
    except RecursionError:  # objects nested just under the decoder's limit still exceed it once flattened
        raise IngestionError(f"Record {row_numbers[0]} or one after it is nested too deeply; records need only "
                             "a few levels.") from None
    frame = pd.DataFrame(flat, dtype=object)
    frame.insert(0, "row_number", row_numbers)
    return clean_frame(frame, report)


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
        records = _loads_json(text, where=path.name)
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
        record = _loads_json(text, where=f"{filename}: line {line_number}")
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
    # From an open file, not a path: openpyxl refuses paths without an Excel extension (a stored upload may lack one).
    handle = path.open("rb")
    try:
        workbook = load_workbook(handle, read_only=True, data_only=True)
    except _WORKBOOK_ERRORS as error:
        handle.close()
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
        handle.close()
    if report.rows == 0:
        raise IngestionError(f"{path.name} has a header but no data rows.")


def _worksheet_chunks(rows: Iterator[tuple], chunksize: int, report: ReadReport) -> Iterator[pd.DataFrame]:
    """Turn worksheet rows (the first is the header) into cleaned, numbered chunks."""
    header = next(rows, None)
    if header is None or all(is_missing(value) for value in header):
        raise IngestionError("The worksheet is empty.")
    columns = [json_scalar_text(value) or f"column_{index}" for index, value in enumerate(header, start=1)]
    batch: list[list[str | None]] = []
    row_numbers: list[int] = []
    for row_number, values in enumerate(rows, start=2):
        texts = [json_scalar_text(value) for value in values]
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
    return clean_frame(frame, report)


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
    yield clean_frame(frame, report)


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
    elif file_format == "zip":
        chunks = read_notes_zip(path, filename=name, chunksize=chunksize, **text_options)
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


