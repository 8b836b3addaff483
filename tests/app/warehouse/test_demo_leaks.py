"""A generated demo (small, seeded) ingested with the built-in profiles leaves no identifier of its raw files in any
table: every name, address, phone, e-mail, id and exact birth date of the four sources is looked for in every
text and JSON column of every table, as a whole word."""

# ruff: noqa: F811 (the warehouse fixtures are imported from test_warehouse and requested by name)
from __future__ import annotations

import contextlib
import re
from datetime import datetime
from pathlib import Path

import pytest

from app.models import UploadStatus
from ml.ingest import read_file
from ml.knowledge import get_kb
from ml.schema import DIRECT_IDENTIFIER_COLUMNS, NAME_COLUMNS
from ml.synthetic import BUILTIN_PROFILES, generate_demo
from tests.app.warehouse.test_warehouse import _text_values, admin, ingest, kb_dir, wh, wh_settings  # noqa: F401

# 150 patients, seed 7: before the fix one hospital note kept its patient's "Gran Vía ..." address.
PATIENTS, SEED = 150, 7
IDENTIFIER_FIELDS = frozenset(DIRECT_IDENTIFIER_COLUMNS) | {"birth_date"}
# What the generator's notes label as identifiers (notes files have no columns to read them from).
NOTE_LABELS = re.compile(
    r"(?:Nombre|Name|Paciente|Patient|DNI|NIE|Teléfono|Phone|Correo|Email|Vive en|Lives at|Family contact)"
    r"\s*:?\s+(?P<value>[^.;\n]+(?:\.\s?\d+º?[^.;\n]*)?)"
)


def _tabular_identifiers(path: Path, source: str) -> set[str]:
    """Return the values of the identifier columns a built-in profile names, and the name tokens."""
    profile = BUILTIN_PROFILES[source]
    columns = {column: target for column, target in profile.column_map.items() if target in IDENTIFIER_FIELDS}
    assert columns, source
    values: set[str] = set()
    for chunk in read_file(path, sheet=profile.sheet, delimiter=profile.delimiter,
                           fallback_encoding=profile.encoding):
        for column, target in columns.items():
            for value in chunk[column].dropna().astype(str).str.strip():
                values.update(_forms(value, target, profile.date_format))
    return values


def _forms(value: str, target: str, date_format: str | None) -> set[str]:
    """Return a value as it may be written: itself, its name tokens, its date in ISO form."""
    if not value:
        return set()
    forms = {value}
    if target in NAME_COLUMNS:
        forms.update(token for token in value.split() if len(token) > 3)
    if target == "birth_date":
        for fmt in filter(None, (date_format, "%Y-%m-%d", "%d/%m/%Y")):
            with contextlib.suppress(ValueError):
                forms.add(datetime.strptime(value[:10], fmt).date().isoformat())
    return forms


def _note_identifiers(folder: Path) -> set[str]:
    """Return each note's file name (its patient's record number) and the identifiers its labelled lines give."""
    values: set[str] = set()
    for note in sorted(folder.glob("*.txt")):
        values.add(note.stem)
        for found in NOTE_LABELS.finditer(note.read_text(encoding="utf-8")):
            value = found.group("value").strip()
            values.add(value)
            values.update(token for token in value.split() if len(token) > 3 and token[0].isupper())
    return values


@pytest.mark.slow
def test_no_identifier_of_a_generated_demo_survives_in_any_table(wh, admin, kb_dir, tmp_path):
    result = generate_demo(tmp_path / "demo", kb=get_kb(kb_dir), patients=PATIENTS, seed=SEED)
    identifiers: set[str] = set()
    uploads = []
    for source, path in result.paths.items():
        if source == "clinic_notes":
            identifiers |= _note_identifiers(path)
            files = [(note.name, note.read_bytes()) for note in sorted(path.glob("*.txt"))]
        else:
            identifiers |= _tabular_identifiers(path, source)
            files = [(path.name, path.read_bytes())]
        assert files, source
        uploads += ingest(files, source=source, profile=source, quarantine=True, user=admin)
    assert [upload.status for upload in uploads] == [UploadStatus.LOADED] * len(uploads)
    assert sum(upload.rows_loaded for upload in uploads) >= PATIENTS
    assert len(identifiers) > 5 * PATIENTS and any("Gran Vía" in value for value in identifiers)

    haystack = "\n".join(_text_values()).casefold()
    assert len(haystack) > 10_000  # notes, reports, vocabulary: the tables are not empty
    leaked = sorted(value for value in identifiers
                    if re.search(rf"(?<!\w){re.escape(value.casefold())}(?!\w)", haystack))
    assert leaked == []
