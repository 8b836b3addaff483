"""Coarsen quasi-identifiers: dates to years (or shifted dates), ages to Safe Harbor groups, ZIPs to ZIP3.
"""

from __future__ import annotations

import math
import re
from datetime import date, timedelta
from typing import Any

from ml.harmonization import AGE_BINS, MAX_AGE
from ml.values import call_or_none, is_missing, parse_date


def generalize_date(value: Any, *, mode: str = "year", shift_days: int | None = None) -> int | date | None:
    """Return the year of a date (``mode="year"``) or the date moved by ``shift_days`` (``mode="shift"``)."""
    if mode not in ("year", "shift"):
        raise ValueError(f"mode must be 'year' or 'shift', got {mode!r}")
    if mode == "shift" and shift_days is None:
        raise ValueError("mode='shift' needs shift_days (see patient_date_shift)")
    parsed = parse_date(value)
    if parsed is None:
        return None
    if mode == "year":
        return parsed.year
    return call_or_none(lambda: parsed + timedelta(days=int(shift_days)))



#: Ages above this are treated as data errors (shared with ml.harmonization).
MAX_PLAUSIBLE_AGE = MAX_AGE
#: Safe Harbor: ages over 89 are aggregated into a single "90 or older" category.
SAFE_HARBOR_AGE_CAP = 90

#: Age bins (inclusive lower bound, exclusive upper bound, label) used as a quasi-identifier:
#: 0-4, 5-14, 15-24, 25-44, 45-64, 65-89 and the Safe Harbor "90+" category. They are defined once,
#: in ml.harmonization, so that features and anonymised records use the same groups.
AGE_GROUPS = AGE_BINS
UNKNOWN_AGE_GROUP = "unknown"

#: Successively wider age bands used when k-anonymity needs a coarser age_group; values map to themselves
#: when already at least this coarse.
AGE_GROUP_WIDENING = (
    {"0-4": "0-14", "5-14": "0-14", "15-24": "15-44", "25-44": "15-44", "65-89": "65+", "90+": "65+"},
    {"0-14": "0-14", "15-44": "15-64", "45-64": "15-64", "65+": "65+"},
)


def age_from(birth_date: Any, visit_date: Any) -> int | None:
    """Return age in whole years at the visit, or None when a date is missing or the age is implausible."""
    born, visited = parse_date(birth_date), parse_date(visit_date)
    if born is None or visited is None:
        return None
    age = visited.year - born.year - ((visited.month, visited.day) < (born.month, born.day))
    return age if 0 <= age <= MAX_PLAUSIBLE_AGE else None


def clean_age(age: Any) -> float | None:
    """Return a plausible numeric age in years, or None."""
    if is_missing(age) or isinstance(age, bool):
        return None
    number = call_or_none(lambda: float(str(age).strip().replace(",", ".")))
    if number is None or not math.isfinite(number) or not 0 <= number <= MAX_PLAUSIBLE_AGE:
        return None
    return number


def safe_harbor_age(age: Any) -> str | int | None:
    """Return the age in whole years, "90+" above 89, or None when the age is missing or implausible."""
    number = clean_age(age)
    if number is None:
        return None
    return "90+" if number >= SAFE_HARBOR_AGE_CAP else int(number)


def age_group(age: Any) -> str:
    """Return the AGE_GROUPS label for an age, or "unknown"."""
    number = clean_age(age)
    if number is None:
        return UNKNOWN_AGE_GROUP
    years = int(number)
    for lower, upper, label in AGE_GROUPS:
        if lower <= years < upper:
            return label
    return UNKNOWN_AGE_GROUP


#: Three-digit ZIP prefixes with 20,000 or fewer people (HHS de-identification guidance, 2000 census);
#: Safe Harbor requires them to be replaced by "000".
RESTRICTED_ZIP3 = frozenset(
    {
        "036",
        "059",
        "063",
        "102",
        "203",
        "556",
        "692",
        "790",
        "821",
        "823",
        "830",
        "831",
        "878",
        "879",
        "884",
        "890",
        "893",
    }
)
_FIVE_DIGITS = re.compile(r"(?<!\d)(\d{5})(?:-?\d{4})?(?!\d)")


def zip3(zip_code: Any) -> str | None:
    """Return the first three digits of a US ZIP or Spanish postcode ("000" for restricted), or None."""
    if is_missing(zip_code) or isinstance(zip_code, bool):
        return None
    if isinstance(zip_code, int | float):
        if not math.isfinite(zip_code) or zip_code != int(zip_code) or not 0 <= zip_code <= 99999:
            return None
        # Numeric columns lose leading zeros: 2139 is ZIP 02139, 8001 is postcode 08001.
        text = f"{int(zip_code):05d}"
    else:
        match = _FIVE_DIGITS.search(str(zip_code)[:64])
        if match is None:
            return None
        text = match.group(1)
    prefix = text[:3]
    return "000" if prefix in RESTRICTED_ZIP3 else prefix


