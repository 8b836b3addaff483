"""Recognise uploaded files: safe file names, formats by extension and signature, encodings, delimiters.
"""

from __future__ import annotations

import codecs
import csv
import re
from dataclasses import dataclass
from pathlib import Path

DEFAULT_CHUNKSIZE = 50_000
DEFAULT_MAX_BYTES = 500 * 1024 * 1024
MAX_JSON_ARRAY_BYTES = 200 * 1024 * 1024
MAX_LINE_BYTES = 1024 * 1024
MAX_FIELD_CHARS = 1024 * 1024
# A workbook inflating past this is treated as a zip bomb rather than data.
MAX_XLSX_UNCOMPRESSED_BYTES = 2 * 1024 * 1024 * 1024
SNIFF_BYTES = 64 * 1024
CSV_DELIMITERS = ",;\t|"

CSV_EXTENSIONS = frozenset({".csv", ".tsv", ".tab"})
JSON_EXTENSIONS = frozenset({".json", ".jsonl", ".ndjson"})
XLSX_EXTENSIONS = frozenset({".xlsx", ".xlsm"})
TEXT_EXTENSIONS = frozenset({".txt", ".text", ".note", ".md"})
ZIP_EXTENSIONS = frozenset({".zip"})
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
    """Return "csv", "json", "jsonl", "xlsx", "text" or "zip" (of notes) from a file's magic bytes and extension."""
    extension = Path(filename).suffix.lower()
    if head_bytes.startswith((b"PK\x03\x04", b"PK\x05\x06")):  # a zip, or an empty one
        if extension in XLSX_EXTENSIONS or (b"[Content_Types].xml" in head_bytes and not extension):
            return "xlsx"
        if extension in ZIP_EXTENSIONS:
            return "zip"  # a batch of clinic notes (ml.ingest.notes_archive)
        if b"[Content_Types].xml" in head_bytes:  # a name that says otherwise is a mistake worth naming
            raise IngestionError(f"{filename} is an Excel workbook, not a {extension} file; "
                                 "rename it to .xlsx and upload it again.")
        raise IngestionError(f"{filename} is a zip archive, not an Excel workbook nor a .zip of notes.")
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
    raise IngestionError(
        f"{filename}: unknown format. Upload .csv, .tsv, .json, .jsonl, .xlsx or .txt files (or a .zip of notes)."
    )


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


