"""Units, bins, dates and sex codes."""


import numpy as np
import pandas as pd
import pytest

from ml.harmonization import (
    AGE_BINS,
    age_group,
    harmonize_units,
    normalize_sex,
    parse_number,
    temperature_band,
    to_celsius,
    to_cm,
    to_kg,
)


@pytest.mark.parametrize(
    "value,unit,celsius",
    [
        ("38,5", None, 38.5),
        ("98.6", None, 37.0),
        (101, "F", 38.33),
        ("102 °F", None, 38.89),
        ("39 ºC", None, 39.0),
        ("37", "celsius", 37.0),
        ("100.4", "Fahrenheit", 38.0),
        (86, None, 30.0),
        (113, None, 45.0),
        (25, None, 25.0),
        (45, None, 45.0),
        ("50", None, None),
        ("20", None, None),
        ("120", None, None),
        ("38", "K", None),
        ("abc", None, None),
        (None, None, None),
        ("", "C", None),
    ],
)
def test_to_celsius(value, unit, celsius):
    assert to_celsius(value, unit) == celsius


@pytest.mark.parametrize(
    "value,unit,kg",
    [
        ("154", "lb", 69.853),
        ("150 lbs", None, 68.039),
        (70, None, 70.0),
        ("70 kg", None, 70.0),
        ("70,5", "kg", 70.5),
        ("3200", "g", 3.2),
        ("70", "stone", None),
        ("heavy", None, None),
    ],
)
def test_to_kg(value, unit, kg):
    assert to_kg(value, unit) == kg


@pytest.mark.parametrize(
    "value,unit,cm",
    [
        ("65", "in", 165.1),
        ("1,70", None, 170.0),
        ("1.7", "m", 170.0),
        ("175", None, 175.0),
        ("1750", "mm", 175.0),
        ('70"', None, 177.8),
        ("6", "ft", None),
        (None, "cm", None),
    ],
)
def test_to_cm(value, unit, cm):
    assert to_cm(value, unit) == cm


@pytest.mark.parametrize(
    "text,number",
    [
        ("38,5", 38.5),
        (" 1.234,5 ", 1234.5),
        ("1,234.5", 1234.5),
        ("-3", -3.0),
        ("12 años", 12.0),
        ("x12", None),
    ],
)
def test_parse_number(text, number):
    assert parse_number(text) == number


@pytest.mark.parametrize(
    "celsius,band",
    [
        (34.9, "low"),
        (35.0, "normal"),
        (37.4, "normal"),
        (37.5, "low_grade_fever"),
        (37.99, "low_grade_fever"),
        (38.0, "fever"),
        (38.99, "fever"),
        (39.0, "high_fever"),
        (41.5, "high_fever"),
        (None, None),
        (float("nan"), None),
    ],
)
def test_temperature_band(celsius, band):
    assert temperature_band(celsius) == band


@pytest.mark.parametrize(
    "age,group",
    [
        (0, "0-4"),
        (4.9, "0-4"),
        (5, "5-14"),
        (14, "5-14"),
        (15, "15-24"),
        (44, "25-44"),
        (64, "45-64"),
        (89, "65-89"),
        (90, "90+"),
        (120, "90+"),
        (120.5, None),
        (-1, None),
        (None, None),
    ],
)
def test_age_group(age, group):
    assert age_group(age) == group


def test_age_bins_cover_0_to_120_without_gaps():
    lowers = [lower for lower, _, _ in AGE_BINS]
    uppers = [upper for _, upper, _ in AGE_BINS]
    assert lowers[0] == 0
    assert lowers[1:] == uppers[:-1]
    assert uppers[-1] > 120


@pytest.mark.parametrize(
    "value,mapping,sex",
    [
        ("M", None, "male"),
        ("M", {"M": "female", "H": "male"}, "female"),
        ("h", {"M": "female", "H": "male"}, "male"),
        ("Mujer", None, "female"),
        ("varón", None, "male"),
        ("Female", None, "female"),
        ("?", None, None),
        (None, None, None),
    ],
)
def test_normalize_sex(value, mapping, sex):
    assert normalize_sex(value, mapping) == sex



def test_harmonize_units_adds_converted_columns():
    records = pd.DataFrame(
        {
            "temperature": ["101", "37,8", "hot", None],
            "temperature_unit": ["F", None, None, None],
            "weight": ["154", "70", None, "80"],
            "weight_unit": ["lb", "kg", None, None],
            "height": ["65", "1,70", None, None],
            "height_unit": ["in", None, None, None],
            "age": ["34", None, None, "abc"],
            "birth_date": [None, "1990-06-15", None, None],
            "visit_date": [None, "2024-06-14", None, None],
        }
    )
    harmonised = harmonize_units(records)
    assert harmonised["temperature_c"].tolist()[:2] == [38.33, 37.8]
    assert harmonised["temperature_c"].iloc[2:].isna().all()
    assert harmonised["temperature_band"].tolist() == ["fever", "low_grade_fever", None, None]
    assert harmonised["weight_kg"].tolist()[:2] == [69.853, 70.0]
    assert harmonised["height_cm"].tolist()[:2] == [165.1, 170.0]
    assert harmonised["age_years"].tolist()[:2] == [34.0, 33.0]
    assert np.isnan(harmonised["age_years"].iloc[3])
    assert harmonised["age_group"].tolist() == ["25-44", "25-44", None, None]
    assert "temperature_c" not in records.columns

