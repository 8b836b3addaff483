"""ml.safe_csv: every CSV dxflow writes shows formulas as text, and keeps everything else as it was."""

import csv
import io

import pytest

from ml import safe_csv


@pytest.mark.parametrize("cell,written", [
    ("=2+5@example.org", "'=2+5@example.org"),
    ("+cmd|'/C calc'!A0@example.org", "'+cmd|'/C calc'!A0@example.org"),
    ("-1+1", "'-1+1"),
    ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
    ("\t=1+1", "'\t=1+1"),
    ("\r=1+1", "'\r=1+1"),
    ("-12.5", "-12.5"),  # a signed number stays a number
    ("+34 600 123 456", "+34 600 123 456"),  # so does a phone number
    ("auth.login_failed", "auth.login_failed"),
    ("", ""),
])
def test_text_cells_that_would_run_as_formulas_are_neutralised(cell, written):
    text = safe_csv.write_rows([[cell, 7]], header=["target", "count"])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [["target", "count"], [written, "7"]]


def test_non_text_cells_are_written_as_they_are():
    text = safe_csv.write_rows([[-3, 1.5, None]], header=["a", "b", "c"], lineterminator="\n")
    assert text == "a,b,c\n-3,1.5,\n"


def test_the_writer_wraps_a_stream_row_by_row():
    buffer = io.StringIO()
    writer = safe_csv.writer(buffer, lineterminator="\n")
    writer.writerow(["=1"])
    writer.writerows([["@x"], ["ok"]])
    assert buffer.getvalue() == "'=1\n'@x\nok\n"
