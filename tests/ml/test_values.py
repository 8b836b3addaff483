"""The shared cell helpers: one missing-value check and one date parser for every stage."""

from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest

from ml.values import fold_text, is_blank, is_missing, parse_date


@pytest.mark.parametrize(
    "value", [None, float("nan"), np.float32("nan"), pd.NA, pd.NaT, np.datetime64("NaT"), "", "  "]
)
def test_is_missing_counts_empty_cells_and_blank_strings(value):
    assert is_missing(value) is True


@pytest.mark.parametrize(
    "value", [0, 0.0, False, "0", "-", "x", [], [None], {}, (), date(2024, 1, 1), np.array([1, 2])]
)
def test_is_missing_keeps_values_and_containers(value):
    assert is_missing(value) is False


def test_is_blank_adds_empty_containers():
    assert [is_blank(value) for value in ([], {}, (), set(), [""], " ", 0)] == [
        True,
        True,
        True,
        True,
        False,
        True,
        False,
    ]


def test_fold_text_drops_case_and_accents():
    assert fold_text("Erupción CUTÁNEA") == "erupcion cutanea"


@pytest.mark.parametrize(
    "text,date_format,dayfirst,expected",
    [
        # What harmonisation and validation parsed (the former ml.harmonization.parse_date).
        ("12/03/1980", "%d/%m/%Y", True, date(1980, 3, 12)),
        ("1980-03-12", "%d/%m/%Y", True, date(1980, 3, 12)),
        ("2024-02-01T10:30:00", None, True, date(2024, 2, 1)),
        ("2024-02-01 10:30:00", None, True, date(2024, 2, 1)),
        ("03/12/1980", None, False, date(1980, 3, 12)),
        ("03/12/1980", None, True, date(1980, 12, 3)),
        ("12/03/80", None, True, date(1980, 3, 12)),
        ("12-31-1980", None, True, date(1980, 12, 31)),
        ("31/02/2020", None, True, None),
        ("yesterday", None, True, None),
        # What anonymisation parsed (the former ml.anonymization.to_date).
        ("2024-02-01T10:30:00.250+01:00", None, True, date(2024, 2, 1)),
        ("2024-02-01 and some trailing text well past thirty-two characters", None, True, date(2024, 2, 1)),
        ("  01.02.2024 ", None, True, date(2024, 2, 1)),
        ("2024/02/01", None, True, date(2024, 2, 1)),
        ("20240201", None, True, date(2024, 2, 1)),
        ("2024-02-30", None, True, None),
        ("", None, True, None),
    ],
)
def test_parse_date_texts(text, date_format, dayfirst, expected):
    assert parse_date(text, date_format, dayfirst=dayfirst) == expected


@pytest.mark.parametrize(
    "value,expected",
    [
        (date(2024, 2, 1), date(2024, 2, 1)),
        (datetime(2024, 2, 1, 23, 59), date(2024, 2, 1)),
        (pd.Timestamp("2024-02-01 12:00"), date(2024, 2, 1)),
        (np.datetime64("2024-02-01T12:00:00.000000"), date(2024, 2, 1)),
        (20240201, None),
        (None, None),
        (pd.NaT, None),
        (np.datetime64("NaT"), None),
        (float("nan"), None),
        ([2024, 2, 1], None),
    ],
)
def test_parse_date_objects(value, expected):
    assert parse_date(value) == expected
