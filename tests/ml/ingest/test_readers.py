"""Readers for each upload format, the malformed uploads they refuse, and record validation."""

import csv
import inspect
import io
import json
import random
from datetime import datetime

import pandas as pd
import pytest
from openpyxl import Workbook

from ml.ingest import (
    SNIFF_BYTES,
    IngestionError,
    ReadReport,
    RowError,
    errors_to_csv,
    read_file,
    read_sample,
    safe_filename,
    sniff_format,
    validate_records,
)


@pytest.fixture
def write(tmp_path):
    """Write bytes or text to a file under tmp_path and return its path."""

    def _write(name, content, encoding="utf-8"):
        path = tmp_path / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
        return path

    return _write


def read_all(path, **options):
    """Read every chunk of a file into one frame."""
    return pd.concat(list(read_file(path, **options)), ignore_index=True)


def write_workbook(path, rows, title=None):
    """Save rows (the first is the header) as an .xlsx workbook."""
    workbook = Workbook()
    sheet = workbook.active
    if title:
        sheet.title = title
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


# ---------------------------------------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_csv_delimiter_is_detected(write, delimiter):
    lines = [["patient_id", "symptoms", "temperature"], ["P1", "fever", "38.5"], ["P2", "cough", "37,1"]]
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\n").writerows(lines)
    path = write("cases.csv", buffer.getvalue())
    report = ReadReport()
    frame = read_all(path, report=report)
    assert report.delimiter == delimiter
    assert frame.columns.tolist() == ["row_number", "patient_id", "symptoms", "temperature"]
    assert frame.to_dict(orient="records")[1] == {
        "row_number": 3,
        "patient_id": "P2",
        "symptoms": "cough",
        "temperature": "37,1",
    }


@pytest.mark.parametrize(
    "encoding,content,detected",
    [
        ("utf-8", "nombre;ciudad\nPeña;Ávila\nJosé;Cádiz\n".encode(), "utf-8-sig"),
        ("utf-8 BOM", b"\xef\xbb\xbf" + "nombre;ciudad\nPeña;Ávila\nJosé;Cádiz\n".encode(), "utf-8-sig"),
        ("latin-1", "nombre;ciudad\nPeña;Ávila\nJosé;Cádiz\n".encode("latin-1"), "cp1252"),
    ],
)
def test_csv_encoding_is_detected(write, encoding, content, detected):
    report = ReadReport()
    frame = read_all(write("pacientes.csv", content), report=report)
    assert report.encoding == detected
    assert frame.columns.tolist() == ["row_number", "nombre", "ciudad"]
    assert frame["nombre"].tolist() == ["Peña", "José"]
    assert frame["ciudad"].tolist() == ["Ávila", "Cádiz"]


def test_utf8_character_split_by_the_sniff_sample_is_still_utf8(write):
    header = b"id,notes\n"
    filler = b"1," + b"a" * (SNIFF_BYTES - len(header) - 3) + b"\xc3\xb1\n"  # "ñ" straddles the boundary
    path = write("split.csv", header + filler + "2,año\n".encode())
    report = ReadReport()
    frame = read_all(path, report=report)
    assert report.encoding == "utf-8-sig"
    assert frame["notes"].iloc[0].endswith("añ"[-1])
    assert frame["notes"].iloc[1] == "año"


def test_quoted_fields_keep_delimiters_and_newlines(write):
    content = 'id,notes,symptoms\n1,"Fever, then cough.\nNo rash.","fever;cough"\n2,"He said ""ouch""",pain\n'
    frame = read_all(write("quoted.csv", content))
    assert frame["notes"].tolist() == ["Fever, then cough.\nNo rash.", 'He said "ouch"']
    assert frame["symptoms"].tolist() == ["fever;cough", "pain"]
    assert frame["row_number"].tolist() == [2, 3]


def test_missing_markers_become_none_and_values_are_stripped(write):
    content = "id,a,b,c,d,e,f\n1,, NA ,n/a,null,-,  kept  \n"
    record = read_all(write("missing.csv", content)).iloc[0].to_dict()
    assert [record[column] for column in "abcdef"] == [None, None, None, None, None, "kept"]


def test_values_stay_text(write):
    frame = read_all(write("codes.csv", "zip,code\n08001,007\n"))
    assert frame[["zip", "code"]].values.tolist() == [["08001", "007"]]


def test_formula_injection_is_neutralised_and_counted(write):
    content = (
        "id,name,phone,value\n"
        '1,=HYPERLINK("http://evil"),+34 600 111 222,-5\n'
        "2,@SUM(A1:A9),+1(555)123-4567,+3.5e2\n"
        "3,+cmd|' /C calc'!A0,\t=1+1,-x\n"
    )
    report = ReadReport()
    frame = read_all(write("formulas.csv", content), report=report)
    assert frame["name"].tolist() == ['\'=HYPERLINK("http://evil")', "'@SUM(A1:A9)", "'+cmd|' /C calc'!A0"]
    assert frame["phone"].tolist() == ["+34 600 111 222", "+1(555)123-4567", "'=1+1"]
    assert frame["value"].tolist() == ["-5", "+3.5e2", "'-x"]
    assert report.neutralised_cells == 5


def test_csv_is_read_lazily_in_bounded_chunks(write):
    rows = 200_000
    lines = ["patient_id,symptoms,temperature"] + [f"P{i},fever;cough,{36 + i % 5}.5" for i in range(rows)]
    path = write("big.csv", "\n".join(lines) + "\n")
    report = ReadReport()
    chunks = read_file(path, chunksize=15_000, report=report)
    assert inspect.isgenerator(chunks)
    first = next(chunks)
    # Only the first chunk has been parsed and cleaned so far.
    assert len(first) == 15_000
    assert report.rows == 15_000
    sizes = [len(first)] + [len(chunk) for chunk in chunks]
    assert max(sizes) <= 15_000
    assert sum(sizes) == rows
    assert report.rows == rows


def test_read_sample_returns_the_first_rows(write):
    path = write("sample.csv", "id\n" + "".join(f"{i}\n" for i in range(500)))
    sample = read_sample(path, n_rows=20)
    assert sample["id"].tolist() == [str(i) for i in range(20)]


# ---------------------------------------------------------------------------------------------------------
# JSON, JSON Lines, XLSX, notes
# ---------------------------------------------------------------------------------------------------------


def test_json_array_with_nested_lists_and_objects(write):
    records = [
        {
            "patient_id": "R1",
            "hpo_terms": ["HP:0001945", "HP:0012735"],
            "temp": 38.5,
            "site": {"zip": "28001"},
        },
        {"patient_id": "R2", "hpo_terms": [], "temp": None, "flag": True},
    ]
    frame = read_all(write("registry.json", json.dumps(records)))
    assert frame.to_dict(orient="records") == [
        {
            "row_number": 1,
            "patient_id": "R1",
            "hpo_terms": ["HP:0001945", "HP:0012735"],
            "temp": "38.5",
            "site.zip": "28001",
            "flag": None,
        },
        {
            "row_number": 2,
            "patient_id": "R2",
            "hpo_terms": [],
            "temp": None,
            "site.zip": None,
            "flag": "true",
        },
    ]


def test_json_lines_are_chunked_and_numbered_by_line(write):
    lines = [json.dumps({"patient_id": f"R{i}", "hpo_terms": ["HP:0001945", " ", "=x"]}) for i in range(5)]
    path = write("registry.jsonl", "\n".join(lines[:2]) + "\n\n" + "\n".join(lines[2:]) + "\n")
    report = ReadReport()
    chunks = list(read_file(path, chunksize=2, report=report))
    assert report.neutralised_cells == 5
    assert [len(chunk) for chunk in chunks] == [2, 2, 1]
    frame = pd.concat(chunks, ignore_index=True)
    assert frame["row_number"].tolist() == [1, 2, 4, 5, 6]
    assert frame["hpo_terms"].iloc[0] == ["HP:0001945", "'=x"]


def test_xlsx_first_sheet_is_read_as_text(tmp_path):
    path = write_workbook(
        tmp_path / "research.xlsx",
        [
            ["subject_id", "age", "temp_f", "fever", "visit"],
            ["S1", 34, 100.4, 1, datetime(2024, 2, 1)],
            [None, None, None, None, None],
            ["S2", 40.0, 98.6, 0, datetime(2024, 2, 2, 9, 30)],
        ],
    )
    frame = read_all(path)
    assert frame.to_dict(orient="records") == [
        {
            "row_number": 2,
            "subject_id": "S1",
            "age": "34",
            "temp_f": "100.4",
            "fever": "1",
            "visit": "2024-02-01",
        },
        {
            "row_number": 4,
            "subject_id": "S2",
            "age": "40",
            "temp_f": "98.6",
            "fever": "0",
            "visit": "2024-02-02T09:30:00",
        },
    ]


def test_xlsx_named_sheet_and_chunks(tmp_path):
    workbook = Workbook()
    workbook.active.append(["ignored"])
    data = workbook.create_sheet("cases")
    data.append(["id"])
    for number in range(7):
        data.append([f"C{number}"])
    workbook.save(tmp_path / "two.xlsx")
    chunks = list(read_file(tmp_path / "two.xlsx", sheet="cases", chunksize=3))
    assert [len(chunk) for chunk in chunks] == [3, 3, 1]
    with pytest.raises(IngestionError, match="no sheet 'missing'"):
        list(read_file(tmp_path / "two.xlsx", sheet="missing"))


def test_text_note_is_one_row(write):
    frame = read_all(write("P000123.txt", "Paciente de 7 años.\nSin fiebre, con tos.\n", encoding="latin-1"))
    assert frame.to_dict(orient="records") == [
        {
            "row_number": 1,
            "notes": "Paciente de 7 años.\nSin fiebre, con tos.",
            "source_ref": "P000123.txt",
            "note_id": "P000123",
        },
    ]


def test_errors_name_the_uploaded_file_not_its_stored_copy(write):
    path = write("3f2a9c.csv", "id,symptoms\n")
    with pytest.raises(IngestionError, match="^cases.csv has a header but no data rows"):
        list(read_file(path, filename="cases.csv"))


# ---------------------------------------------------------------------------------------------------------
# Malformed uploads
# ---------------------------------------------------------------------------------------------------------


def truncated_workbook(tmp_path):
    """Write a valid workbook and cut it in half."""
    path = write_workbook(tmp_path / "full.xlsx", [["id", "fever"]] + [[f"S{i}", i % 2] for i in range(200)])
    truncated = tmp_path / "truncated.xlsx"
    content = path.read_bytes()
    truncated.write_bytes(content[: len(content) // 2])
    return truncated


@pytest.mark.parametrize(
    "name,content,message",
    [
        ("garbage.csv", random.Random(7).randbytes(4096), "binary file"),
        ("empty.csv", b"", "is empty"),
        ("blank.csv", b"  \n\n  ", "is empty"),
        ("header.csv", b"id;symptoms;notes\n", "header but no data rows"),
        ("long.csv", b"id,notes\n1," + b"x" * 10_000_000 + b"\n", "longer than 1,048,576 bytes"),
        ("long.jsonl", b'{"notes": "' + b"x" * 10_000_000 + b'"}\n', "line 1 is longer than"),
        ("ragged.csv", b"id,notes\n1,a\n2,b,c,d\n", "not a well-formed CSV"),
        ("scan.pdf", b"%PDF-1.7\n...", "PDF"),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "legacy Excel"),
        ("utf16.csv", "id,notes\n1,a\n".encode("utf-16"), "UTF-16"),
        ("data.dat", b"id,notes\n1,a\n", "unknown format"),
        ("fake.xlsx", b"id,notes\n1,a\n", "not a valid .xlsx"),
        ("bundle.zip", b"PK\x03\x04" + b"\x00" * 60, "zip archive"),
        ("bad.json", b'[{"id": 1},', "not valid JSON"),
        ("object.json", b'{"id": 1}\n{"id": 2', "line 2 is not valid JSON"),
        ("scalars.json", b"[1, 2]", "item 1 of the array is not an object"),
        ("nothing.json", b"[]", "no records"),
    ],
)
def test_malformed_uploads_raise_a_clear_error(write, name, content, message):
    path = write(name, content)
    with pytest.raises(IngestionError, match=message) as raised:
        list(read_file(path))
    assert raised.value.message == str(raised.value)


def test_truncated_xlsx_is_refused(tmp_path):
    with pytest.raises(IngestionError, match="not a readable .xlsx workbook"):
        list(read_file(truncated_workbook(tmp_path)))


def test_header_only_xlsx_is_refused(tmp_path):
    with pytest.raises(IngestionError, match="header but no data rows"):
        list(read_file(write_workbook(tmp_path / "header.xlsx", [["id", "fever"]])))


def test_forced_wrong_encoding_is_refused(write):
    path = write("latin.csv", "nombre\nPeña\n", encoding="latin-1")
    with pytest.raises(IngestionError, match=r"not valid UTF-8 text \(byte 0xf1"):
        list(read_file(path, encoding="utf-8"))


def test_invalid_utf8_after_the_sniffed_sample_is_refused(write):
    content = b"id,notes\n" + b"1,plain ascii\n" * (SNIFF_BYTES // 10) + "2,Peña\n".encode("latin-1")
    with pytest.raises(IngestionError, match="not valid UTF-8 text"):
        list(read_file(write("mixed.csv", content)))


def test_unknown_encoding_name_is_refused(write):
    with pytest.raises(IngestionError, match="Unknown text encoding 'klingon'"):
        list(read_file(write("a.csv", "id\n1\n"), encoding="klingon"))


def test_size_limit(write):
    path = write("big.csv", "id\n" + "1\n" * 1000)
    with pytest.raises(IngestionError, match="the limit is"):
        read_file(path, max_bytes=1000)
    assert len(read_all(path, max_bytes=10_000)) == 1000


def test_overlong_field_in_json_is_refused(write):
    path = write("long.json", json.dumps([{"notes": "x" * 2_000_000}], indent=1))
    with pytest.raises(IngestionError, match="Row 1, column 'notes' is longer than"):
        list(read_file(path))


@pytest.mark.parametrize(
    "name,safe",
    [
        ("report.csv", "report.csv"),
        ("dir/sub/report.csv", "report.csv"),
        ("C:\\Users\\ana\\report.csv", "report.csv"),
        ("/etc/passwd", "passwd"),
        ("informe final ñ.xlsx", "informe final ñ.xlsx"),
        ("report..csv", "report..csv"),
    ],
)
def test_safe_filename_strips_folders(name, safe):
    assert safe_filename(name) == safe


@pytest.mark.parametrize(
    "name,message",
    [
        ("../etc/passwd", r"tries to leave its folder"),
        ("..\\..\\boot.ini", r"tries to leave its folder"),
        ("uploads/../../secret.csv", r"tries to leave its folder"),
        ("..", r"tries to leave its folder"),
        ("", "has no name"),
        ("   ", "has no name"),
        ("bad\x00.csv", "control characters"),
        ("dir/", "names a folder"),
        ("x" * 300 + ".csv", "longer than 255 bytes"),
    ],
)
def test_safe_filename_rejects_traversal_and_junk(name, message):
    with pytest.raises(IngestionError, match=message):
        safe_filename(name)


def test_read_file_rejects_a_traversal_upload_name(write):
    with pytest.raises(IngestionError, match="tries to leave its folder"):
        read_file(write("ok.csv", "id\n1\n"), filename="../../ok.csv")


@pytest.mark.parametrize(
    "filename,head,file_format",
    [
        ("a.csv", b"id,x\n1,2\n", "csv"),
        ("a.tsv", b"id\tx\n", "csv"),
        ("a.json", b'  [{"id": 1}]', "json"),
        ("a.json", b'{"id": 1}\n{"id": 2}\n', "jsonl"),
        ("a.jsonl", b'\xef\xbb\xbf{"id": 1}\n', "jsonl"),
        ("upload", b'[{"id": 1}]', "json"),
        ("a.xlsx", b"PK\x03\x04\x14\x00\x00\x00[Content_Types].xml", "xlsx"),
        ("upload", b"PK\x03\x04\x14\x00\x00\x00[Content_Types].xml", "xlsx"),
        ("note.txt", "Paciente sin fiebre".encode("latin-1"), "text"),
    ],
)
def test_sniff_format(filename, head, file_format):
    assert sniff_format(filename, head) == file_format


# ---------------------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------------------


def canonical(**overrides):
    """Return one valid canonical record with some fields replaced."""
    record = {
        "row_number": 2,
        "patient_id": "P1",
        "symptoms": ["fiebre"],
        "absent_symptoms": [],
        "diagnoses": [],
        "notes": None,
        "temperature": "38,5",
        "temperature_unit": "C",
        "age": "34",
        "birth_date": "1990-01-01",
        "visit_date": "2024-02-01",
        "weight": "70",
        "weight_unit": "kg",
        "height": None,
        "height_unit": None,
    }
    return {**record, **overrides}


@pytest.mark.parametrize(
    "overrides,field,reason",
    [
        ({"patient_id": None}, "patient_id", "missing required field"),
        ({"patient_id": "  "}, "patient_id", "missing required field"),
        ({"symptoms": []}, "symptoms", "no symptoms, absent symptoms, diagnoses or notes"),
        ({"temperature": "50"}, "temperature", "temperature 50 °C is outside 25–45 °C"),
        (
            {"temperature": "20", "temperature_unit": None},
            "temperature",
            "lies outside 25–45 °C and 86–113 °F",
        ),
        ({"temperature": "38", "temperature_unit": "K"}, "temperature", "has an unknown unit"),
        ({"temperature": "'=1+1"}, "temperature", 'unparseable number "\'=1+1"'),
        ({"age": "130", "birth_date": None}, "age", "age 130 is outside 0–120 years"),
        ({"age": "abc"}, "age", "unparseable number 'abc'"),
        ({"age": None, "birth_date": "1890-01-01"}, "age", "age 134 is outside 0–120 years"),
        (
            {"birth_date": "2025-01-01", "age": None},
            "birth_date",
            "birth date 2025-01-01 is after visit date",
        ),
        ({"visit_date": "31/02/2024"}, "visit_date", "unparseable date '31/02/2024'"),
        ({"weight": "70", "weight_unit": "stone"}, "weight", "unknown weight unit 'stone'"),
        ({"height": "tall"}, "height", "unparseable number 'tall'"),
    ],
)
def test_validation_reports_the_row_field_and_reason(overrides, field, reason):
    valid, errors = validate_records(pd.DataFrame([canonical(), canonical(row_number=3, **overrides)]))
    assert valid["row_number"].tolist() == [2]
    assert [(error.row_number, error.field) for error in errors] == [(3, field)]
    assert reason in errors[0].reason


@pytest.mark.parametrize(
    "overrides",
    [
        {"symptoms": [], "notes": "Niega fiebre"},
        {"symptoms": [], "diagnoses": ["J10.1"]},
        {"symptoms": [], "absent_symptoms": ["tos"]},
        {"temperature": "101", "temperature_unit": None},
        {"temperature": None, "age": None, "birth_date": None, "visit_date": None, "weight": None},
    ],
)
def test_validation_accepts_complete_records(overrides):
    valid, errors = validate_records(pd.DataFrame([canonical(**overrides)]))
    assert errors == []
    assert len(valid) == 1


def test_validation_never_raises_on_odd_values():
    odd = canonical(patient_id=float("nan"), symptoms=None, temperature=["38"], age=float("inf"), visit_date=7)
    valid, errors = validate_records(pd.DataFrame([odd]))
    assert valid.empty
    assert {error.field for error in errors} >= {"patient_id", "symptoms", "age"}


def test_errors_to_csv_is_a_downloadable_report():
    errors = [
        RowError(3, "temperature", "temperature 50 °C is outside 25–45 °C"),
        RowError(None, "=cmd", "x, y"),
    ]
    rows = list(csv.reader(io.StringIO(errors_to_csv(errors))))
    assert rows == [
        ["row_number", "field", "reason"],
        ["3", "temperature", "temperature 50 °C is outside 25–45 °C"],
        ["", "'=cmd", "x, y"],
    ]


# ---------------------------------------------------------------------------------------------------------
# Bad files that used to end in "internal error" (issue #16.9)
# ---------------------------------------------------------------------------------------------------------

DEEP = '{"a":' * 100_000 + "1" + "}" * 100_000
HUGE_NUMBER = '{"age": ' + "9" * 5_000 + "}"


@pytest.mark.parametrize("name,content,message", [
    ("deep.json", f"[{DEEP}]", "deep.json is nested too deeply"),  # was RecursionError
    ("deep.jsonl", DEEP + "\n", "deep.jsonl: line 1 is nested too deeply"),
    ("arrays.json", "[" * 100_000 + "]" * 100_000, "arrays.json is nested too deeply"),
    ("huge.json", f"[{HUGE_NUMBER}]", "huge.json holds a number with more than 4,300 digits"),  # was ValueError
    ("huge.jsonl", '{"id": 1}\n' + HUGE_NUMBER + "\n", "huge.jsonl: line 2 holds a number with more than 4,300"),
])
def test_json_too_deep_or_with_a_huge_number_is_refused_with_its_own_message(write, name, content, message):
    with pytest.raises(IngestionError, match=message):
        read_all(write(name, content))


@pytest.mark.parametrize("name", ["cases.csv", "cases.json", "cases.txt"])
def test_a_workbook_under_another_extension_is_refused_with_its_own_message(tmp_path, name):
    workbook = write_workbook(tmp_path / "cases.xlsx", [["age", "sex"], [40, "F"]])
    misnamed = tmp_path / name
    misnamed.write_bytes(workbook.read_bytes())  # was openpyxl's InvalidFileException
    suffix = name.rpartition(".")[2]
    with pytest.raises(IngestionError, match=rf"{name} is an Excel workbook, not a \.{suffix} file; rename it"):
        read_all(misnamed)
    assert len(read_all(workbook)) == 1  # the same bytes named .xlsx read fine
    bare = tmp_path / "cases"
    bare.write_bytes(workbook.read_bytes())
    assert len(read_all(bare)) == 1  # and so do they without an extension (openpyxl refused that path too)
