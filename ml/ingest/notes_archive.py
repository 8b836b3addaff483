"""A batch of clinic notes as one file: a ``.zip`` of plain-text notes, read as one row per note.

A folder or a multi-file selection of notes is packed with :func:`pack_notes` (deterministically: the same notes
give the same bytes, so the same batch is recognised when uploaded twice); :func:`read_notes_zip` reads it back.

The archive is checked whole before any row is read: at most ``MAX_NOTES_ENTRIES`` entries, each a plain-text note
(``.txt``, ``.text``, ``.note``, ``.md``; folders and macOS ``__MACOSX``/``._`` metadata are passed over), no
absolute path nor ``..``, no symbolic link nor encrypted entry, each note at most ``MAX_NOTE_BYTES`` and the whole
at most ``MAX_NOTES_UNCOMPRESSED_BYTES`` once inflated, and no large entry inflating more than
``MAX_COMPRESSION_RATIO`` times (a zip bomb). Nothing is extracted to disk. Note file names are usually patient
ids, so messages name an entry by its number, never by its name.
"""

from __future__ import annotations

import stat
import zipfile
from collections.abc import Generator, Iterable
from pathlib import Path, PurePosixPath
from typing import BinaryIO

import pandas as pd

from ml.ingest.cells import clean_frame
from ml.ingest.formats import (
    DEFAULT_CHUNKSIZE,
    MAX_LINE_BYTES,
    SNIFF_BYTES,
    TEXT_EXTENSIONS,
    IngestionError,
    ReadReport,
    _checked_encoding,
    _looks_binary,
    detect_encoding,
    safe_filename,
)

MAX_NOTES_ENTRIES = 100_000
MAX_NOTE_BYTES = 10 * 1024 * 1024
MAX_NOTES_UNCOMPRESSED_BYTES = 2 * 1024 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100
RATIO_CHECKED_FROM_BYTES = 1024 * 1024  # small notes may compress well (blank lines); large ones must not explode
_FIXED_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest zip date: packed bytes do not depend on when they were packed


def is_note_name(name: str) -> bool:
    """Return whether a file name is a plain-text note by its extension."""
    return PurePosixPath(name).suffix.lower() in TEXT_EXTENSIONS


def pack_notes(notes: Iterable[tuple[str, BinaryIO]], out: BinaryIO, *, max_note_bytes: int = MAX_NOTE_BYTES) -> int:
    """Write ``(file name, stream)`` notes into ``out`` as one zip, sorted by name; return the number of notes."""
    contents: dict[str, bytes] = {}
    for number, (name, stream) in enumerate(notes, start=1):
        base = safe_filename(name)
        if not is_note_name(base):
            raise IngestionError(f"File {number} is not a text note (.txt, .text, .note, .md).")
        if base in contents:
            raise IngestionError(f"Two notes have the same file name (file {number}); each note needs its own.")
        data = stream.read(max_note_bytes + 1)
        if len(data) > max_note_bytes:
            raise IngestionError(f"File {number} is larger than {max_note_bytes // 2**20} MB; is it a note?")
        contents[base] = data
    if not contents:
        raise IngestionError("There are no text notes to pack.")
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for base in sorted(contents):
            info = zipfile.ZipInfo(base, date_time=_FIXED_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            archive.writestr(info, contents[base])
    return len(contents)


def _is_metadata(name: str) -> bool:
    """Return whether an entry is a folder or macOS metadata rather than a file of the batch."""
    path = PurePosixPath(name)
    return name.endswith("/") or "__MACOSX" in path.parts or path.name.startswith("._") or path.name == ".DS_Store"


def note_entries(
    archive: zipfile.ZipFile,
    *,
    name: str,
    max_entries: int = MAX_NOTES_ENTRIES,
    max_note_bytes: int = MAX_NOTE_BYTES,
    max_total_bytes: int = MAX_NOTES_UNCOMPRESSED_BYTES,
    max_ratio: float = MAX_COMPRESSION_RATIO,
) -> list[zipfile.ZipInfo]:
    """Check every entry of a notes archive and return the notes in name order (raises IngestionError)."""
    infos = archive.infolist()
    if len(infos) > max_entries:
        raise IngestionError(f"{name} holds {len(infos):,} entries; the limit is {max_entries:,} notes per upload.")
    notes, total = [], 0
    for number, info in enumerate(infos, start=1):
        entry = f"{name}: entry {number}"
        path = info.filename.replace("\\", "/")
        if path.startswith("/") or (len(path) > 1 and path[1] == ":") or ".." in PurePosixPath(path).parts:
            raise IngestionError(f"{entry} has a path that leaves the archive (absolute or '..').")
        if stat.S_ISLNK(info.external_attr >> 16):
            raise IngestionError(f"{entry} is a symbolic link; only text notes are accepted.")
        if _is_metadata(path):
            continue
        if info.flag_bits & 0x1:
            raise IngestionError(f"{entry} is encrypted; upload the notes unencrypted.")
        if not is_note_name(path):
            raise IngestionError(f"{entry} is not a text note (.txt, .text, .note, .md); a zip holds notes only.")
        if info.file_size > max_note_bytes:
            raise IngestionError(f"{entry} is larger than {max_note_bytes // 2**20} MB once inflated; is it a note?")
        if info.file_size > RATIO_CHECKED_FROM_BYTES and info.file_size > max_ratio * max(info.compress_size, 1):
            raise IngestionError(f"{entry} inflates over {max_ratio:g} times: the archive looks like a zip bomb.")
        total += info.file_size
        if total > max_total_bytes:
            raise IngestionError(f"{name} inflates past {max_total_bytes // 2**20} MB; split it into several zips.")
        notes.append(info)
    if not notes:
        raise IngestionError(f"{name} holds no text notes (.txt, .text, .note, .md).")
    notes.sort(key=lambda info: info.filename)
    bases = [PurePosixPath(info.filename.replace("\\", "/")).name for info in notes]
    if len(set(bases)) != len(bases):
        raise IngestionError(f"{name} holds two notes with the same file name in different folders.")
    return notes


def _read_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo, *, entry: str, max_note_bytes: int) -> bytes:
    """Read one entry, trusting its inflated size only as far as the limit (headers can lie)."""
    try:
        with archive.open(info) as stream:
            raw = stream.read(max_note_bytes + 1)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as error:
        raise IngestionError(f"{entry} cannot be read ({type(error).__name__}); the archive may be corrupt.") from None
    if len(raw) > max_note_bytes:
        raise IngestionError(f"{entry} is larger than {max_note_bytes // 2**20} MB once inflated; is it a note?")
    return raw


def _decode_note(raw: bytes, *, entry: str, encoding: str | None, fallback_encoding: str | None) -> tuple[str, str]:
    """Decode one note strictly, detecting its encoding unless given."""
    encoding = _checked_encoding(encoding or detect_encoding(raw, complete=True, fallback=fallback_encoding))
    try:
        return raw.decode(encoding), encoding
    except UnicodeDecodeError:
        raise IngestionError(f"{entry} is not valid {encoding} text.") from None


def read_notes_zip(
    path: str | Path,
    *,
    filename: str | None = None,
    chunksize: int = DEFAULT_CHUNKSIZE,
    encoding: str | None = None,
    fallback_encoding: str | None = None,
    max_line_bytes: int = MAX_LINE_BYTES,
    max_note_bytes: int = MAX_NOTE_BYTES,
    report: ReadReport | None = None,
) -> Generator[pd.DataFrame, None, None]:
    """Yield chunks of one row per note in a zip: row number, text (``notes``), file name and stem."""
    path, report = Path(path), report or ReadReport()
    name = safe_filename(filename or path.name)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise IngestionError(f"{name} is not a readable zip archive (it may be corrupt or truncated).") from None
    with archive:
        notes = note_entries(archive, name=name, max_note_bytes=max_note_bytes)
        report.format = "zip"
        rows: list[dict] = []
        for number, info in enumerate(notes, start=1):
            entry = f"{name}: note {number}"
            raw = _read_entry(archive, info, entry=entry, max_note_bytes=max_note_bytes)
            if _looks_binary(raw[:SNIFF_BYTES]):
                raise IngestionError(f"{entry} looks like a binary file, not a text note.")
            if max((len(line) for line in raw.split(b"\n")), default=0) > max_line_bytes:
                raise IngestionError(f"{entry}: a line is longer than {max_line_bytes:,} bytes.")
            text, report.encoding = _decode_note(raw, entry=entry, encoding=encoding,
                                                 fallback_encoding=fallback_encoding)
            text = text.removeprefix("\ufeff").strip()
            if not text:
                raise IngestionError(f"{entry} is empty.")
            base = PurePosixPath(info.filename.replace("\\", "/")).name
            rows.append({"row_number": number, "notes": text, "source_ref": base, "note_id": PurePosixPath(base).stem})
            if len(rows) == chunksize:
                yield clean_frame(pd.DataFrame(rows, dtype=object), report)
                rows = []
        if rows:
            yield clean_frame(pd.DataFrame(rows, dtype=object), report)
