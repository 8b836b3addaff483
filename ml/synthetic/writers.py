"""Write demo sources to disk deterministically: semicolon CSV, JSON Lines and a minimal byte-stable XLSX.
"""


from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from xml.sax.saxutils import escape

from ml.synthetic.settings import HOSPITAL_COLUMNS, ZIP_TIMESTAMP


def write_hospital_csv(path: Path, rows: Iterable[Sequence[str]]) -> None:
    """Write the hospital CSV: semicolons, Latin-1, CRLF, as a Spanish Excel export."""
    with open(path, "w", encoding="latin-1", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(HOSPITAL_COLUMNS)
        writer.writerows(rows)


def write_jsonl(path: Path, records: Iterable[Mapping]) -> None:
    """Write one JSON object per line, UTF-8."""
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def _column_letter(index: int) -> str:
    """Return the spreadsheet letter of a 0-based column index (0 → A, 26 → AA)."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _sheet_xml(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """Return the worksheet XML with inline strings; a None cell is left out."""
    out = io.StringIO()
    out.write('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n')
    out.write('<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
    letters = [_column_letter(index) for index in range(len(header))]
    for number, row in enumerate([header, *rows], start=1):
        out.write(f'<row r="{number}">')
        for letter, value in zip(letters, row, strict=True):
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                text = escape(str(value))
                out.write(f'<c r="{letter}{number}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>')
            else:
                out.write(f'<c r="{letter}{number}"><v>{value}</v></c>')
        out.write("</row>")
    out.write("</sheetData></worksheet>")
    return out.getvalue().encode("utf-8")


_XLSX_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="research" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
        'Target="worksheets/sheet1.xml"/></Relationships>'
    ),
}


def write_xlsx(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """Write a one-sheet workbook directly as Office Open XML.

    openpyxl's writer needs about 28 s for the 20,000-patient sheet and stamps the current time into the
    file; this writer takes about a second and gives the same bytes for the same rows.
    """
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        parts = {**_XLSX_PARTS, "xl/worksheets/sheet1.xml": _sheet_xml(header, rows)}
        for name, content in parts.items():
            info = zipfile.ZipInfo(name, date_time=ZIP_TIMESTAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)


