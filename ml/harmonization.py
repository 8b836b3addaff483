"""Harmonise units, dates, sex and age bins of canonical records.

Temperature without a unit is read by value range: 86–113 is Fahrenheit, 25–45 is Celsius, anything else
is unknown (``None``). Weight without a unit is kilograms; height without a unit is centimetres, except values
under 3, which are metres (a "talla 1,70" is 170 cm).

Temperature bands (°C): < 35.0 low, < 37.5 normal, < 38.0 low-grade fever, < 39.0 fever, ≥ 39.0 high fever.

``AGE_BINS`` is the single source of truth for age groups; ``ml.privacy`` imports it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date

import numpy as np
import pandas as pd

from ml.values import fold_text, is_missing, parse_date

# (lower inclusive, upper exclusive, label), in years. The bands are the ones ml.privacy generalises
# (its widening tables build on these labels); 90+ is pooled because HIPAA Safe Harbor treats exact ages over
# 89 as identifying.
AGE_BINS: tuple[tuple[int, int, str], ...] = (
    (0, 5, "0-4"),
    (5, 15, "5-14"),
    (15, 25, "15-24"),
    (25, 45, "25-44"),
    (45, 65, "45-64"),
    (65, 90, "65-89"),
    (90, 121, "90+"),
)
MAX_AGE = 120
AGE_GROUP_LABELS: tuple[str, ...] = tuple(label for _, _, label in AGE_BINS)

TEMPERATURE_BANDS: tuple[tuple[float, str], ...] = (
    (35.0, "low"),
    (37.5, "normal"),
    (38.0, "low_grade_fever"),
    (39.0, "fever"),
    (float("inf"), "high_fever"),
)
CELSIUS_RANGE = (25.0, 45.0)
FAHRENHEIT_RANGE = (86.0, 113.0)

_TEMPERATURE_UNITS = {
    "c": "C",
    "°c": "C",
    "celsius": "C",
    "centigrade": "C",
    "centigrados": "C",
    "grados": "C",
    "oc": "C",
    "f": "F",
    "°f": "F",
    "of": "F",
    "fahrenheit": "F",
}
_KG_PER_UNIT = {
    "kg": 1.0,
    "kgs": 1.0,
    "kilo": 1.0,
    "kilos": 1.0,
    "kilogram": 1.0,
    "kilograms": 1.0,
    "kilogramos": 1.0,
    "g": 0.001,
    "gr": 0.001,
    "grams": 0.001,
    "gramos": 0.001,
    "lb": 0.45359237,
    "lbs": 0.45359237,
    "pound": 0.45359237,
    "pounds": 0.45359237,
    "libras": 0.45359237,
}
_CM_PER_UNIT = {
    "cm": 1.0,
    "cms": 1.0,
    "centimetres": 1.0,
    "centimeters": 1.0,
    "centimetros": 1.0,
    "m": 100.0,
    "metres": 100.0,
    "meters": 100.0,
    "metros": 100.0,
    "mm": 0.1,
    "in": 2.54,
    "inch": 2.54,
    "inches": 2.54,
    '"': 2.54,
    "pulgadas": 2.54,
}
_SEX_VALUES = {
    "f": "female",
    "female": "female",
    "woman": "female",
    "w": "female",
    "mujer": "female",
    "femenino": "female",
    "fem": "female",
    "m": "male",
    "male": "male",
    "man": "male",
    "hombre": "male",
    "varon": "male",
    "masculino": "male",
    "masc": "male",
    "h": "male",
    "v": "male",
    "other": "other",
    "otro": "other",
    "x": "other",
    "intersex": "other",
    "non-binary": "other",
}
_QUANTITY = re.compile(r"^\s*([+-]?(?:\d[\d.,]*|[.,]\d+))\s*([^\d\s].*?)?\s*$")






def parse_quantity(value: object) -> tuple[float | None, str | None]:
    """Split ``"38,5 °C"`` into ``(38.5, "°C")``; return ``(None, None)`` when there is no leading number."""
    if is_missing(value) or isinstance(value, bool):
        return None, None
    if isinstance(value, int | float | np.number):
        return float(value), None
    match = _QUANTITY.match(str(value))
    if not match:
        return None, None
    number = _parse_decimal(match.group(1))
    unit = match.group(2).strip() if match.group(2) else None
    return number, unit


def _parse_decimal(text: str) -> float | None:
    """Parse a decimal written with a point or a comma; the last separator is the decimal one."""
    if "," in text and "." in text:
        thousands = "." if text.rfind(",") > text.rfind(".") else ","
        text = text.replace(thousands, "")
    text = text.replace(",", ".")
    try:
        return float(text)
    except ValueError:
        return None


def parse_number(value: object) -> float | None:
    """Return the number in a cell (``"38,5"`` → 38.5), ignoring a trailing unit; None if there is none."""
    return parse_quantity(value)[0]


def normalize_temperature_unit(unit: object) -> str | None:
    """Return ``"C"`` or ``"F"`` for a unit spelling, or None when it is missing or unknown."""
    if is_missing(unit):
        return None
    spelling = fold_text(str(unit)).replace(" ", "").replace(".", "")
    for word in ("degrees", "degree", "grados", "deg"):
        if spelling.startswith(word) and spelling != word:
            spelling = spelling[len(word) :]
    return _TEMPERATURE_UNITS.get(spelling)


def _temperature_unit_by_range(number: float) -> str | None:
    """Guess a temperature unit from a bare value: 86–113 is °F, 25–45 is °C, anything else is unknown."""
    if FAHRENHEIT_RANGE[0] <= number <= FAHRENHEIT_RANGE[1]:
        return "F"
    if CELSIUS_RANGE[0] <= number <= CELSIUS_RANGE[1]:
        return "C"
    return None


def to_celsius(value: object, unit: object = None) -> float | None:
    """Convert a temperature to °C by its unit, or by the documented value-range rule when unit is None."""
    number, inline_unit = parse_quantity(value)
    if number is None:
        return None
    given_unit = inline_unit if is_missing(unit) else unit
    if is_missing(given_unit):
        known_unit = _temperature_unit_by_range(number)
    else:
        known_unit = normalize_temperature_unit(given_unit)
    if known_unit is None:
        return None
    celsius = (number - 32.0) * 5.0 / 9.0 if known_unit == "F" else number
    return round(celsius, 2)


def to_kg(value: object, unit: object = None) -> float | None:
    """Convert a weight to kilograms (lb, g or kg; no unit means kg); None if unparseable or unit unknown."""
    number, inline_unit = parse_quantity(value)
    unit = unit if not is_missing(unit) else inline_unit
    factor = 1.0 if is_missing(unit) else _KG_PER_UNIT.get(fold_text(str(unit)).strip(". "))
    if number is None or factor is None:
        return None
    return round(number * factor, 3)


def to_cm(value: object, unit: object = None) -> float | None:
    """Convert a height to centimetres (in, m, mm or cm; no unit means cm, or metres below 3)."""
    number, inline_unit = parse_quantity(value)
    unit = unit if not is_missing(unit) else inline_unit
    if number is None:
        return None
    if is_missing(unit):
        factor = 100.0 if 0 < number < 3 else 1.0
    else:
        factor = _CM_PER_UNIT.get(fold_text(str(unit)).strip(". "))
    if factor is None:
        return None
    return round(number * factor, 2)


def temperature_band(celsius: float | None) -> str | None:
    """Return the band of a °C temperature: low, normal, low_grade_fever, fever or high_fever."""
    if celsius is None or np.isnan(celsius):
        return None
    return next(label for upper, label in TEMPERATURE_BANDS if celsius < upper)


def age_group(age: float | None) -> str | None:
    """Return the ``AGE_BINS`` label for an age in years, or None when missing or outside 0–120."""
    if age is None or np.isnan(age) or not 0 <= age <= MAX_AGE:
        return None
    return next((label for lower, upper, label in AGE_BINS if lower <= age < upper), None)


def normalize_sex(value: object, mapping: Mapping[str, str] | None = None) -> str | None:
    """Return ``"female"``, ``"male"`` or ``"other"``; a source mapping wins, unknown values give None."""
    if is_missing(value):
        return None
    text = str(value).strip()
    if mapping:
        folded_mapping = {fold_text(key): target for key, target in mapping.items()}
        if fold_text(text) in folded_mapping:
            return folded_mapping[fold_text(text)]
    return _SEX_VALUES.get(fold_text(text))




def years_between(start: date, end: date) -> int:
    """Return whole years from start to end (an age at a visit)."""
    return end.year - start.year - ((end.month, end.day) < (start.month, start.day))


def map_cached(convert: Callable[..., object], *columns: Iterable) -> list:
    """Apply ``convert`` to zipped cells, computing each distinct combination once (cells repeat a lot)."""
    cache: dict[tuple, object] = {}
    results = []
    for key in zip(*columns, strict=True):
        try:
            result = cache[key]
        except KeyError:
            result = cache[key] = convert(*key)
        except TypeError:  # an unhashable cell, such as a JSON list
            result = convert(*key)
        results.append(result)
    return results


def _floats(values: list, index: pd.Index) -> pd.Series:
    """Return a float Series with NaN where a converter gave None."""
    return pd.Series([np.nan if value is None else value for value in values], index=index, dtype=float)


def _column(df: pd.DataFrame, name: str) -> pd.Series:
    """Return a column, or an all-missing one when the frame lacks it."""
    if name in df.columns:
        return df[name]
    return pd.Series(None, index=df.index, dtype=object)


def _age_from_dates(birth: object, visit: object) -> float | None:
    """Return whole years from birth to visit; None for an unreadable date or a birth after the visit."""
    born, seen = parse_date(birth), parse_date(visit)
    # A birth after the visit is a data error that validation reports; it gives no age.
    return float(years_between(born, seen)) if born and seen and born <= seen else None


def _age_years(df: pd.DataFrame) -> pd.Series:
    """Return age in years: the age column when parseable, else birth date to visit date."""
    ages = _floats(map_cached(parse_number, _column(df, "age")), df.index)
    unknown = ages.isna()
    if unknown.any():
        derived = map_cached(_age_from_dates, _column(df, "birth_date")[unknown], _column(df, "visit_date")[unknown])
        ages[unknown] = _floats(derived, ages.index[unknown])
    return ages


def harmonize_units(df: pd.DataFrame) -> pd.DataFrame:
    """Return a copy with temperature_c, weight_kg, height_cm, temperature_band, age_years and age_group."""
    out = df.copy()
    for target, source, convert in (
        ("temperature_c", "temperature", to_celsius),
        ("weight_kg", "weight", to_kg),
        ("height_cm", "height", to_cm),
    ):
        converted = map_cached(convert, _column(df, source), _column(df, f"{source}_unit"))
        out[target] = _floats(converted, df.index)
    out["temperature_band"] = map_cached(temperature_band, out["temperature_c"])
    out["age_years"] = _age_years(df)
    out["age_group"] = map_cached(age_group, out["age_years"])
    return out


