"""Units, bins, dates, sex codes and negated mentions in notes."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from ml.harmonization import (
    AGE_BINS,
    age_group,
    extract_mentions,
    harmonize_units,
    normalize_sex,
    parse_date,
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


@pytest.mark.parametrize(
    "text,date_format,dayfirst,expected",
    [
        ("12/03/1980", "%d/%m/%Y", True, date(1980, 3, 12)),
        ("1980-03-12", "%d/%m/%Y", True, date(1980, 3, 12)),
        ("2024-02-01T10:30:00", None, True, date(2024, 2, 1)),
        ("03/12/1980", None, False, date(1980, 3, 12)),
        ("03/12/1980", None, True, date(1980, 12, 3)),
        ("31/02/2020", None, True, None),
        ("yesterday", None, True, None),
    ],
)
def test_parse_date(text, date_format, dayfirst, expected):
    assert parse_date(text, date_format, dayfirst=dayfirst) == expected


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


LEXICON = {
    "fever": "HP:0001945",
    "cough": "HP:0012735",
    "rash": "HP:0000988",
    "headache": "HP:0002315",
    "seizures": "HP:0001250",
    "fiebre": "HP:0001945",
    "fiebre alta": "HP:0001945",
    "tos": "HP:0012735",
    "erupción cutánea": "HP:0000988",
    "dolor de cabeza": "HP:0002315",
    "neumonia": "HP:0002090",
    "tos no productiva": "HP:0031245",
    "opresion en el pecho": "HP:0031352",
}


@pytest.mark.parametrize(
    "text,expected",
    [
        ("No fever, cough or rash.", {"fever": False, "cough": False, "rash": False}),
        ("Denies fever. Has cough", {"fever": False, "cough": True}),
        ("Patient has fever but no cough.", {"fever": True, "cough": False}),
        ("Fever and cough, without rash.", {"fever": True, "cough": True, "rash": False}),
        ("Negative for rash; reports headache.", {"rash": False, "headache": True}),
        ("No fever, reports cough.", {"fever": False, "cough": True}),
        ("Never had seizures.", {"seizures": False}),
        ("Absence of fever and cough", {"fever": False, "cough": False}),
        ("Free of rash since Monday; severe HEADACHE", {"rash": False, "headache": True}),
        ("Fever: negative. Cough present.", {"fever": False, "cough": True}),
        ("No change in diet, fever", {"fever": False}),
        ("No change in diet this week, fever", {"fever": True}),
        ("Feverish and coughing", {}),
    ],
)
def test_negation_english(text, expected):
    mentions = extract_mentions(text, lexicon=LEXICON, lang="en")
    assert {mention.term: mention.present for mention in mentions} == expected


@pytest.mark.parametrize(
    "text,expected",
    [
        ("Sin fiebre ni tos.", {"fiebre": False, "tos": False}),
        ("Niega fiebre, refiere tos.", {"fiebre": False, "tos": True}),
        ("No presenta erupción cutánea.", {"erupción cutánea": False}),
        ("No refiere dolor de cabeza; tos seca.", {"dolor de cabeza": False, "tos": True}),
        ("Fiebre alta pero no tos.", {"fiebre alta": True, "tos": False}),
        ("Ausencia de fiebre. Tos productiva.", {"fiebre": False, "tos": True}),
        ("Se descarta neumonía.", {"neumonia": False}),
        ("Negativo para fiebre, aunque tos persistente.", {"fiebre": False, "tos": True}),
        ("Negó fiebre", {"fiebre": False}),
        (
            "Paciente con DOLOR DE CABEZA y erupcion cutanea",
            {"dolor de cabeza": True, "erupción cutánea": True},
        ),
        ("Tos: negativa. Fiebre ausente.", {"tos": False, "fiebre": False}),
        ("Comió una tostada", {}),
        # "no" inside a lexicon phrase is part of the phrase, not a negation of what follows
        ("Presenta tos no productiva y opresión en el pecho.", {"tos no productiva": True,
                                                                "opresion en el pecho": True}),
    ],
)
def test_negation_spanish(text, expected):
    mentions = extract_mentions(text, lexicon=LEXICON, lang="es")
    assert {mention.term: mention.present for mention in mentions} == expected


def test_mentions_carry_hpo_ids_and_spans_into_the_original_text():
    text = "Niña con FIEBRE ALTA, sin tos"
    mentions = extract_mentions(text, lexicon=LEXICON)
    assert [(m.term, m.hpo_id, m.present, text[m.span[0] : m.span[1]]) for m in mentions] == [
        ("fiebre alta", "HP:0001945", True, "FIEBRE ALTA"),
        ("tos", "HP:0012735", False, "tos"),
    ]


def test_language_restricts_the_negation_cues():
    assert extract_mentions("sin fever", lexicon=LEXICON, lang="en")[0].present is True
    assert extract_mentions("sin fever", lexicon=LEXICON, lang="es")[0].present is False
    assert extract_mentions("sin fever", lexicon=LEXICON)[0].present is False


@pytest.mark.parametrize("text", ["", None])
def test_no_text_gives_no_mentions(text):
    assert extract_mentions(text, lexicon=LEXICON) == []
