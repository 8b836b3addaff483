"""De-identify canonical patient records before they reach the warehouse.

Everything here is a pure function over pandas and the standard library. The ingestion pipeline hands
``anonymize_records`` a frame of canonical records; what comes back holds a keyed pseudonym instead of
any identifier, coarse quasi-identifiers (age group, visit year, ZIP3) that are k-anonymous, and free
text with identifiers replaced by typed placeholders such as ``[NAME]`` or ``[PHONE]``.
See docs/PRIVACY.md for what this does and does not cover relative to HIPAA Safe Harbor.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from ml.harmonization import AGE_BINS, MAX_AGE

# --------------------------------------------------------------------------------------------------
# Column vocabulary of canonical records
# --------------------------------------------------------------------------------------------------

NAME_COLUMNS = ("name", "first_name", "last_name")

#: Columns that identify a person directly; none of them survives ``anonymize_records``.
#: ``zip`` is listed because only its generalisation (``zip3``) is kept.
DIRECT_IDENTIFIER_COLUMNS = (
    "patient_id",
    *NAME_COLUMNS,
    "zip",
    "address",
    "phone",
    "fax",
    "email",
    "national_id",
    "mrn",
    "health_plan_id",
    "account_number",
    "license_number",
    "vehicle_id",
    "device_id",
    "url",
    "ip_address",
)

#: Dates of the record: dropped in ``date_mode="year"``, shifted per patient in ``date_mode="shift"``.
DATE_COLUMNS = ("birth_date", "visit_date")

#: Clinical columns copied unchanged: measurements, units and coded categories carry no identifiers.
CLINICAL_COLUMNS = (
    "sex",
    "temperature",
    "temperature_unit",
    "weight",
    "weight_unit",
    "height",
    "height_unit",
    "severity",
)

#: Columns anonymize_records computes; "age" is kept only when it is a quasi-identifier.
DERIVED_COLUMNS = ("pseudonym", "age", "age_group", "year", "zip3")

DEFAULT_QUASI_IDENTIFIERS = ("age_group", "sex", "zip3", "year")

# --------------------------------------------------------------------------------------------------
# Pseudonyms and dates
# --------------------------------------------------------------------------------------------------

PSEUDONYM_PREFIX = "p_"
#: 24 hex characters = 96 bits. By the birthday bound, the chance that any two of n patients collide is
#: about n**2 / 2**97: ~6e-16 for ten million patients, so linkage errors from truncation are negligible.
PSEUDONYM_HEX_CHARS = 24

# Whitespace, ASCII hyphen, the Unicode hyphens and dashes U+2010..U+2015, and underscore.
_ID_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015_]+")


def normalize_patient_id(patient_id: Any) -> str | None:
    """Return the id in the form used for linkage, or None when there is no usable id."""
    if patient_id is None or isinstance(patient_id, bool):
        return None
    if isinstance(patient_id, float):
        if not math.isfinite(patient_id):
            return None
        # Spreadsheets read integer ids as floats whenever a column has gaps: 12345.0 is id 12345.
        if patient_id.is_integer():
            patient_id = int(patient_id)
    if _is_missing(patient_id):
        return None
    text = unicodedata.normalize("NFKC", str(patient_id)).casefold()
    # Control and format characters are export debris, not part of an id.
    text = "".join(char for char in text if unicodedata.category(char)[0] != "C")
    text = _ID_SEPARATORS.sub("", text)
    return text or None


def pseudonymize(patient_id: Any, *, key: bytes) -> str:
    """Return a keyed, irreversible pseudonym (``p_`` + 24 hex chars) for a patient id."""
    _check_key(key)
    normalized = normalize_patient_id(patient_id)
    if normalized is None:
        raise ValueError(f"cannot pseudonymize a missing or empty patient id: {patient_id!r}")
    digest = hmac.new(key, b"pseudonym\x00" + normalized.encode("utf-8"), hashlib.sha256).hexdigest()
    return PSEUDONYM_PREFIX + digest[:PSEUDONYM_HEX_CHARS]


def patient_date_shift(pseudonym: str, *, key: bytes, max_days: int = 365) -> int:
    """Return this patient's date shift in days, non-zero and within ±max_days, derived from the key."""
    _check_key(key)
    if not isinstance(pseudonym, str) or not pseudonym:
        raise ValueError(f"a date shift needs a non-empty pseudonym, got {pseudonym!r}")
    if max_days < 1:
        raise ValueError(f"max_days must be at least 1, got {max_days}")
    digest = hmac.new(key, b"date-shift\x00" + pseudonym.encode("utf-8"), hashlib.sha256).digest()
    draw = int.from_bytes(digest[:8], "big")
    magnitude = 1 + draw % max_days
    # A zero shift would publish the real dates, so the sign comes from a separate bit.
    return magnitude if digest[8] & 1 else -magnitude


def pseudonym_key(secret: str | bytes) -> bytes:
    """Turn the configured PSEUDONYM_KEY secret into key bytes, the same way for every caller."""
    # One conversion for everybody: if one job hex-decoded the secret and another UTF-8 encoded it,
    # the same patient would get two pseudonyms and linkage would silently break.
    key = secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)
    _check_key(key)
    return key


def _check_key(key: bytes) -> None:
    """Reject keys that would make pseudonyms guessable."""
    if not isinstance(key, bytes | bytearray) or len(key) == 0:
        raise ValueError("the pseudonymisation key must be non-empty bytes")


_DAY_FIRST_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%m/%d/%Y", "%Y/%m/%d", "%Y%m%d")


def to_date(value: Any) -> date | None:
    """Parse a date, datetime, Timestamp or date string (ISO first, then day-first); None if unparseable."""
    if _is_missing(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, np.datetime64):
        return _call_or_none(lambda: pd.Timestamp(value).date())
    if not isinstance(value, str):
        return None
    text = value.strip()[:32]
    parsed = _call_or_none(lambda: date.fromisoformat(text[:10]))
    if parsed is not None:
        return parsed
    for fmt in _DAY_FIRST_FORMATS:
        parsed = _call_or_none(lambda fmt=fmt: datetime.strptime(text, fmt).date())
        if parsed is not None:
            return parsed
    return None


def generalize_date(value: Any, *, mode: str = "year", shift_days: int | None = None) -> int | date | None:
    """Return the year of a date (``mode="year"``) or the date moved by ``shift_days`` (``mode="shift"``)."""
    if mode not in ("year", "shift"):
        raise ValueError(f"mode must be 'year' or 'shift', got {mode!r}")
    if mode == "shift" and shift_days is None:
        raise ValueError("mode='shift' needs shift_days (see patient_date_shift)")
    parsed = to_date(value)
    if parsed is None:
        return None
    if mode == "year":
        return parsed.year
    return _call_or_none(lambda: parsed + timedelta(days=int(shift_days)))


# --------------------------------------------------------------------------------------------------
# Ages and ZIP codes
# --------------------------------------------------------------------------------------------------

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
    born, visited = to_date(birth_date), to_date(visit_date)
    if born is None or visited is None:
        return None
    age = visited.year - born.year - ((visited.month, visited.day) < (born.month, born.day))
    return age if 0 <= age <= MAX_PLAUSIBLE_AGE else None


def clean_age(age: Any) -> float | None:
    """Return a plausible numeric age in years, or None."""
    if _is_missing(age) or isinstance(age, bool):
        return None
    number = _call_or_none(lambda: float(str(age).strip().replace(",", ".")))
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
    if _is_missing(zip_code) or isinstance(zip_code, bool):
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


# --------------------------------------------------------------------------------------------------
# Free-text scrubbing
# --------------------------------------------------------------------------------------------------

PLACEHOLDER_TYPES = (
    "NAME",
    "DATE",
    "PHONE",
    "EMAIL",
    "SSN",
    "NATIONAL_ID",
    "MRN",
    "ADDRESS",
    "URL",
    "IP",
    "ID",
)
#: Notes longer than this are truncated before scrubbing so a pathological cell cannot stall ingestion.
MAX_TEXT_CHARS = 100_000

_UPPER = "A-ZÁÉÍÓÚÜÑÀÈÌÒÙÇÏ"
_LOWER = "a-záéíóúüñàèìòùçï"
# A capitalised word such as "García", "O'Brien" or "McDonald"; \b stops it inside tokens like "HbA1c".
_CAP_WORD = (
    rf"[{_UPPER}](?:[{_LOWER}]{{0,2}}['’]?[{_UPPER}])?[{_LOWER}'’]*"
    rf"(?:-[{_UPPER}{_LOWER}][{_LOWER}'’]*)*[{_LOWER}]\b"
)
_ANY_WORD = rf"[{_UPPER}{_LOWER}][{_UPPER}{_LOWER}'’-]*\b"
_NAME_PARTICLE = r"(?:de|del|de\s+la|de\s+los|de\s+las|y|van|von|da|di|le|la)"
_INITIAL = rf"(?:[{_UPPER}]\.\s*)"
_CAP_NAME = rf"{_INITIAL}?{_CAP_WORD}(?:\s+(?:{_NAME_PARTICLE}\s+)?(?:{_INITIAL}|{_CAP_WORD})){{0,3}}"
_OPEN_NAME = rf"{_ANY_WORD}(?:\s+(?:{_NAME_PARTICLE}\s+)?{_CAP_WORD}){{0,3}}"

_TITLE_CUE = r"(?<!\w)(?:Mr|Mrs|Ms|Miss|Mx|Dr|Dra|Prof|Sr|Sra|Srta|Dña|Dª|Don|Doña)\.?\s+"
_WEAK_NAME_CUE = (
    r"(?<!\w)(?i:patient|paciente|seen\s+by|attended\s+by|referred\s+by|atendid[oa]\s+por|derivad[oa]\s+por"
    r"|wife|husband|son|daughter|mother|father|brother|sister|esposa|esposo|marido|hij[oa]|madre|padre"
    r"|herman[oa])\s+"
)
_STRONG_NAME_CUE = (
    r"(?<!\w)(?i:my\s+name\s+is|name\s+is|me\s+llamo|mi\s+nombre\s+es|se\s+llama|(?:patient\s+)?name\s*:"
    r"|nombre(?:\s+y\s+apellidos)?\s*:|apellidos\s*:)\s*"
)
#: Capitalised words that often follow a name cue but are not names ("Paciente Refiere ...").
_NOT_A_NAME_TEXT = (
    "Name Nombre Patient Paciente Has Had Is Was Reports Reported Denies Presents With Without Male "
    "Female Man Woman Boy Girl Refiere Presenta Acude Consulta Niega Con Sin De Del Varón Mujer Hombre "
    "Niño Niña The El La Los Las Un Una And Y Who Que"
)
NOT_A_NAME = frozenset(word.casefold() for word in _NOT_A_NAME_TEXT.split(" "))

_EN_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec|JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)\b\.?"
)
_ES_MONTH = (
    r"(?i:enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre"
    r"|diciembre)\b"
)
_ANY_MONTH_ABBR = r"(?i:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|ene|abr|ago|dic)"
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_VIN = "A-HJ-NPR-Z0-9"
_ES_PREFIX = r"(?:(?:\+|00)34[\s.-]?)?"
_ROMAN_MONTH = r"XII|XI|X|IX|VIII|VII|VI|V|IV|III|II|I"
_ORDINAL = r"(?:st|nd|rd|th|º|°)?"

_NUMBER_LABEL = r"(?:\s*(?i:n[º°o]\.?|num\.?|número|numero|number|no\.?|#))?"
# An identifier value: letters, digits and separators, with at least one digit.
_ID_VALUE = r"(?=[\w./-]*\d)[A-Za-z0-9][A-Za-z0-9./-]*[A-Za-z0-9]"

_EN_STREET = (
    r"(?:(?:Street|Avenue|Road|Boulevard|Lane|Drive|Court|Way|Place|Terrace|Highway|Parkway|Square)\b"
    r"|(?:St|Ave|Rd|Blvd|Ln|Dr|Ct|Pl|Hwy|Pkwy|Sq)\b\.?)"
)
_ES_STREET = (
    r"(?:[Cc]alle|[Cc]/|[Aa]vda\.?|[Aa]vd\.|[Aa]v\.|[Aa]venida|[Pp]laza|[Pp]za\.|[Pp]aseo|Pº|[Rr]onda"
    r"|[Cc]amino|[Cc]arretera|[Cc]tra\.|[Tt]ravesía|[Gg]lorieta|[Pp]asaje|[Uu]rbanización|[Uu]rb\.)"
)
_FLOOR_SIDE = r"(?:izq(?:uierda|da)?|dcha|der(?:echa)?|centro|ext(?:erior)?|int(?:erior)?)\b\.?"
_CITY = rf"[{_UPPER}][{_LOWER}]+(?:\s+[{_UPPER}][{_LOWER}]+){{0,2}}"


# Titles and weak cues ("paciente", "his wife") need capitalised names; "me llamo" takes any case.
_NAME_CUES = ((_TITLE_CUE, _CAP_NAME), (_WEAK_NAME_CUE, _CAP_NAME), (_STRONG_NAME_CUE, _OPEN_NAME))


class _Pattern(NamedTuple):
    kind: str
    regex: re.Pattern[str]
    accept: Callable[[re.Match[str]], bool] | None = None
    # Most identifiers contain a digit; skipping those patterns on digit-free text halves scrubbing time.
    needs_digit: bool = True


def _name_is_plausible(match: re.Match[str]) -> bool:
    """Reject cue matches whose first word is a common non-name word."""
    first_word = re.split(r"[\s.]+", match.group("value").strip())[0]
    return first_word.casefold() not in NOT_A_NAME


def _numeric_date_is_valid(match: re.Match[str]) -> bool:
    """Accept d/m/y or m/d/y with a real day and month."""
    first, second = int(match.group("a")), int(match.group("b"))
    return (1 <= first <= 31 and 1 <= second <= 12) or (1 <= first <= 12 and 1 <= second <= 31)


def _iso_date_is_valid(match: re.Match[str]) -> bool:
    """Accept y-m-d with a real month and day."""
    return 1 <= int(match.group("m")) <= 12 and 1 <= int(match.group("d")) <= 31


_DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"


def dni_checksum_ok(value: str) -> bool:
    """Return True when a Spanish DNI or NIE has the control letter that its number implies."""
    compact = re.sub(r"[\s.-]", "", str(value)).upper()
    match = re.fullmatch(r"([XYZ]?)(\d{7,8})([A-Z])", compact)
    if match is None:
        return False
    prefix, digits, letter = match.groups()
    number = int(str("XYZ".index(prefix)) + digits if prefix else digits)
    return _DNI_LETTERS[number % 23] == letter


def _dni_is_plausible(match: re.Match[str]) -> bool:
    """Scrub every compact DNI; with a space before the letter ("12345678 h") demand a valid checksum."""
    return " " not in match.group(0) or dni_checksum_ok(match.group(0))


def _compile(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """Compile a scrubbing pattern (verbose mode is not used so that spaces in patterns stay literal)."""
    return re.compile(pattern, flags)


# Overlapping spans are merged before replacement, so order only decides the type of a tie.
_PATTERNS: tuple[_Pattern, ...] = (
    _Pattern(
        "EMAIL",
        _compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"),
        needs_digit=False,
    ),
    _Pattern("URL", _compile(r"(?i)\b(?:https?://|ftp://|www\.)[^\s<>\"']*[^\s<>\"'.,;:!?)\]]"), needs_digit=False),
    _Pattern(
        "URL",
        _compile(
            r"(?i)(?<![\w@.-])(?:[a-z0-9-]+\.)+(?:com|org|net|edu|gov|es|cat|eus|gal|info|io|uk|us|eu)"
            r"(?:/[^\s<>\"']*[^\s<>\"'.,;:!?)\]])?(?![\w-])"
        ),
        needs_digit=False,
    ),
    _Pattern("IP", _compile(rf"(?<![\w.])(?:{_OCTET}\.){{3}}{_OCTET}(?![\w.]|\.\d)")),
    _Pattern(
        "IP",
        _compile(
            r"(?i)(?<![\w:])(?:(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}"
            r"|(?:[0-9a-f]{1,4}:){1,7}:(?:[0-9a-f]{1,4}(?::[0-9a-f]{1,4}){0,6})?"
            r"|::[0-9a-f]{1,4}(?::[0-9a-f]{1,4}){0,6})(?![\w:])"
        ),
        needs_digit=False,
    ),
    _Pattern("SSN", _compile(r"(?<![\w-])\d{3}([- ])\d{2}\1\d{4}(?![\w-])")),
    _Pattern(
        "SSN",
        _compile(
            r"(?<!\w)(?i:SSN|social\s+security(?:\s+(?:number|no\.?|\#))?)\s*[:#]?\s*"
            r"(?P<value>\d{3}[- ]?\d{2}[- ]?\d{4})(?!\w)"
        ),
    ),
    _Pattern("NATIONAL_ID", _compile(r"(?<![\w.])\d{8}[\s-]?[A-Za-z](?!\w)"), _dni_is_plausible),
    _Pattern("NATIONAL_ID", _compile(r"(?<![\w.])\d{1,2}\.\d{3}\.\d{3}[\s-]?[A-Za-z](?!\w)")),
    _Pattern("NATIONAL_ID", _compile(r"(?<!\w)[XYZxyz][\s-]?\d{7}[\s-]?[A-Za-z](?!\w)")),
    _Pattern(
        "NATIONAL_ID",
        _compile(
            r"(?<!\w)(?i:DNI|NIF|NIE|pasaporte|passport|documento\s+de\s+identidad|national\s+id|id\s+card)"
            rf"{_NUMBER_LABEL}\s*[:#]?\s*(?P<value>{_ID_VALUE})"
        ),
    ),
    _Pattern(
        "MRN",
        _compile(
            r"(?<!\w)(?i:MRN|NHC|N\.H\.C\.|medical\s+record(?:\s+number)?|record\s+(?:number|no\.?|\#)"
            r"|chart\s+(?:number|no\.?|\#)|historia\s+cl[ií]nica|n[º°]\.?\s*(?:de\s+)?historia"
            r"|n[uú]mero\s+de\s+historia|hist\.\s*cl[ií]n\.?|hospital\s+(?:number|no\.?|\#)"
            r"|patient\s+(?:number|no\.?|\#))"
            rf"{_NUMBER_LABEL}\s*[:#]?\s*(?P<value>{_ID_VALUE})"
        ),
    ),
    _Pattern(
        "ID",
        _compile(
            r"(?<!\w)(?:ID|(?i:patient\s+id|identifier|identificador|health\s+plan|insurance|policy|member"
            r"|beneficiary|account|acct|licen[cs]e|licencia|permiso\s+de\s+conducir|plate|matr[ií]cula"
            r"|vehicle|VIN|serial|device|tarjeta\s+sanitaria|CIP|NUSS|NASS|afiliaci[oó]n|cuenta|IBAN"
            r"|p[oó]liza|seguridad\s+social))"
            rf"(?:\s+(?i:id|number|no\.?|n[º°]\.?|número))?\s*[:#]?\s*(?P<value>{_ID_VALUE})"
        ),
    ),
    _Pattern("ID", _compile(r"(?<!\w)[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?(?!\w)")),
    _Pattern("ID", _compile(rf"(?<!\w)(?=[{_VIN}]*\d)(?=[{_VIN}]*[A-HJ-NPR-Z])[{_VIN}]{{17}}(?!\w)")),
    _Pattern(
        "PHONE",
        _compile(
            r"(?<!\w)(?i:tel[eé]fono|telephone|tel|tlf|tfno|telf|phone|mobile|m[oó]vil|cell|fax)\.?"
            rf"{_NUMBER_LABEL}\s*[:#]?\s*(?P<value>\+?\(?\d[\d\s().-]{{5,}}\d)"
        ),
    ),
    _Pattern("PHONE", _compile(r"(?<![\w+])(?:\+?1[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-]?)\d{3}[\s.-]?\d{4}(?!\w)")),
    _Pattern(
        "PHONE",
        _compile(
            r"(?<![\w+])(?:(?:\+|00)34[\s.-]?)?[6-9]\d{2}(?:[\s.-]?\d{3}[\s.-]?\d{3}|[\s.-]?\d{2}[\s.-]?\d{2}[\s.-]?\d{2})(?!\w)"
        ),
    ),
    _Pattern("PHONE", _compile(rf"(?<![\w+]){_ES_PREFIX}[89]\d[\s.-]?\d{{3}}[\s.-]?\d{{2}}[\s.-]?\d{{2}}(?!\w)")),
    _Pattern("PHONE", _compile(r"(?<![\w+])\+\d{1,3}[\s.-]?\(?\d{1,4}\)?(?:[\s.-]?\d){5,12}(?!\w)")),
    _Pattern(
        "DATE",
        _compile(r"(?<![\w./-])(?P<y>\d{4})([-/.])(?P<m>\d{1,2})\2(?P<d>\d{1,2})(?![\d/-]|\.\d)"),
        _iso_date_is_valid,
    ),
    _Pattern(
        "DATE",
        _compile(r"(?<![\w./-])(?P<a>\d{1,2})([-/.])(?P<b>\d{1,2})\2(?:\d{4}|\d{2})(?![\d/-]|\.\d)"),
        _numeric_date_is_valid,
    ),
    _Pattern(
        "DATE",
        _compile(rf"(?<![\w.])\d{{1,2}}{_ORDINAL}\s+(?:of\s+)?{_EN_MONTH}(?:,?\s+\d{{4}})?(?!\w)"),
    ),
    _Pattern("DATE", _compile(rf"(?<!\w){_EN_MONTH}\s+\d{{1,2}}{_ORDINAL}(?:,?\s+\d{{4}})?(?!\w)")),
    _Pattern("DATE", _compile(rf"(?<!\w){_EN_MONTH},?\s+\d{{4}}(?!\w)")),
    _Pattern(
        "DATE",
        _compile(rf"(?<![\w.])\d{{1,2}}{_ORDINAL}\s+(?i:de)\s+{_ES_MONTH}(?:\s+(?i:de|del)\s+\d{{4}})?(?!\w)"),
    ),
    _Pattern("DATE", _compile(rf"(?<!\w){_ES_MONTH}\s+(?i:de|del)\s+\d{{4}}(?!\w)")),
    _Pattern("DATE", _compile(rf"(?<![\w./-])\d{{1,2}}([-/.])(?:{_ROMAN_MONTH})\1\d{{2,4}}(?![\w/-])")),
    _Pattern("DATE", _compile(rf"(?<![\w.])\d{{1,2}}[-/\s]{_ANY_MONTH_ABBR}[a-z]*\.?[-/\s]\d{{2,4}}(?!\w)")),
    _Pattern(
        "ADDRESS",
        _compile(
            rf"(?<![\w/.,])\d{{1,6}}[A-Za-z]?\s+(?:(?:[NSEW]\.?|North|South|East|West)\s+)?"
            rf"(?:[A-Z0-9][\w'.-]*\s+){{0,4}}{_EN_STREET}"
            r"(?:,?\s*(?:Apt|Apartment|Suite|Ste|Unit|Fl|Floor|\#)\.?\s*\#?[\w-]+)?"
            rf"(?:,\s*{_CITY})?(?:,?\s*[A-Z]{{2}}(?!\w))?(?:,?\s+\d{{5}}(?:-\d{{4}})?)?"
        ),
    ),
    _Pattern(
        "ADDRESS",
        _compile(
            rf"(?<!\w){_ES_STREET}\s*(?:{_NAME_PARTICLE}\s+|el\s+|los\s+|las\s+)?{_CAP_WORD}"
            rf"(?:\s+(?:{_NAME_PARTICLE}\s+|el\s+)?{_CAP_WORD}){{0,4}}"
            r"(?:,?\s*(?:n[º°o]\.?\s*|número\s*)?\d{1,4}[A-Za-z]?(?!\w))?"
            rf"(?:,?\s*\d{{1,2}}\s*[º°ª](?:\s*\d{{1,2}}\s*[º°ª]?)?(?:\s*(?:[A-Za-z](?!\w)|(?i:{_FLOOR_SIDE})))?)?"
            rf"(?:,?\s*(?i:piso|planta|puerta|esc\.?|escalera|bajo|ático|{_FLOOR_SIDE})(?:\s*\w+(?!\w))?)*"
            rf"(?:,?\s*(?:C\.?P\.?\s*)?\d{{5}}(?:\s*,?\s*{_CITY})?)?"
        ),
        needs_digit=False,
    ),
    _Pattern("ADDRESS", _compile(r"(?<!\w)(?i:P\.?\s?O\.?\s+Box|apartado(?:\s+de\s+correos)?)\s*\d+(?!\w)")),
    _Pattern(
        "ADDRESS",
        _compile(
            r"(?<!\w)(?:(?i:zip(?:\s+code)?|postal\s+code|postcode|c[óo]digo\s+postal)|C\.P\.|CP)\s*[:#]?\s*"
            r"(?P<value>\d{5}(?:-\d{4})?)(?!\d)"
        ),
    ),
    *(
        _Pattern("NAME", _compile(rf"{cue}(?P<value>{name})"), _name_is_plausible, needs_digit=False)
        for cue, name in _NAME_CUES
    ),
    # Last: any other run of eight or more digits. Ties go to earlier, more specific patterns.
    _Pattern("ID", _compile(r"(?<![\w.,])\d{8,}(?![\w]|[.,]\d)")),
)

#: Particles that are part of many Spanish and Dutch names but also everyday words.
_NAME_TOKEN_STOPWORDS = frozenset(
    (
        "de",
        "del",
        "la",
        "las",
        "los",
        "el",
        "y",
        "e",
        "i",
        "da",
        "das",
        "do",
        "dos",
        "di",
        "du",
        "van",
        "von",
        "der",
        "den",
        "le",
        "mc",
        "mac",
        "san",
        "santa",
    )
)
#: Own-name tokens this short are matched only where the text capitalises them.
SHORT_NAME_CHARS = 3
_NAME_TOKEN_SPLIT = re.compile(r"[\s,;/()\-‐–—.]+")


class ScrubResult(NamedTuple):
    """Scrubbed text and how many placeholders of each type replaced identifiers."""

    text: str
    counts: dict[str, int]


def known_name_tokens(names: Iterable[Any]) -> tuple[str, ...]:
    """Split the patient's own names into matchable tokens, dropping initials and particles."""
    tokens: set[str] = set()
    for name in names:
        if _is_missing(name) or not isinstance(name, str):
            continue
        for token in _NAME_TOKEN_SPLIT.split(_as_text(name[:500])):
            folded = _fold(token.strip("'’"))
            if len(folded) >= 2 and folded not in _NAME_TOKEN_STOPWORDS and not folded.isdigit():
                tokens.add(folded)
    return tuple(sorted(tokens, key=len, reverse=True))


def find_identifiers(text: Any, *, known_names: Iterable[Any] = ()) -> list[tuple[str, tuple[int, int]]]:
    """Return (type, (start, end)) for every identifier found in text, merged and sorted by position."""
    text = _as_text(text)
    if not text:
        return []
    spans = [*_pattern_spans(text), *_known_name_spans(text, known_name_tokens(known_names))]
    return _merge_spans(spans)


def scrub_text(text: Any, *, known_names: Iterable[Any] = ()) -> ScrubResult:
    """Replace identifiers in free text by typed placeholders such as [NAME] and count them by type."""
    text = _as_text(text)
    return _replace_spans(text, find_identifiers(text, known_names=known_names))


class CachedScrubber:
    """``scrub_text`` for many cells: the same result, with the work that does not depend on the row done once.

    Pattern matches depend on the text alone, so they are found once per distinct text (symptom and diagnosis
    lists repeat heavily); own-name tokens depend on the row's names alone, so they are split once per distinct
    set of names. Each cell still gets its own names searched for, in the cached folded text.
    """

    def __init__(self) -> None:
        self._texts: dict[str, tuple[str, list[tuple[str, int, int]], str, ScrubResult]] = {}
        self._tokens: dict[tuple, tuple[str, ...]] = {}

    def scrub(self, value: Any, *, known_names: Sequence[Any] = ()) -> ScrubResult:
        """Return ``scrub_text(value, known_names=known_names)``."""
        entry = self._texts.get(value) if isinstance(value, str) else None
        if entry is None:
            text = _as_text(value)
            spans = _pattern_spans(text) if text else []
            entry = (text, spans, _fold(text), _replace_spans(text, _merge_spans(spans)))
            if isinstance(value, str):
                self._texts[value] = entry
        text, spans, folded, result = entry
        tokens = self._name_tokens(known_names)
        names = _known_name_spans(text, tokens, folded) if tokens and text else []
        return _replace_spans(text, _merge_spans([*spans, *names])) if names else result

    def _name_tokens(self, names: Sequence[Any]) -> tuple[str, ...]:
        """Return known_name_tokens(names), once per distinct set of names."""
        if not names:
            return ()
        try:
            key = tuple(names)
            tokens = self._tokens.get(key)
        except TypeError:  # an unhashable name cell
            return known_name_tokens(names)
        if tokens is None:
            tokens = self._tokens[key] = known_name_tokens(names)
        return tokens


def _replace_spans(text: str, found: list[tuple[str, tuple[int, int]]]) -> ScrubResult:
    """Replace each found span by its typed placeholder, counting them by type."""
    if not found:
        return ScrubResult(text=text, counts={})
    pieces, cursor = [], 0
    for kind, (start, end) in found:
        pieces.extend((text[cursor:start], f"[{kind}]"))
        cursor = end
    pieces.append(text[cursor:])
    return ScrubResult(text="".join(pieces), counts=dict(Counter(kind for kind, _ in found)))


def _pattern_spans(text: str) -> list[tuple[str, int, int]]:
    """Find spans of every compiled identifier pattern; cue patterns replace only their value group."""
    spans = []
    has_digit = _DIGIT.search(text) is not None
    for kind, regex, accept, needs_digit in _PATTERNS:
        if needs_digit and not has_digit:
            continue
        for match in regex.finditer(text):
            if accept is not None and not accept(match):
                continue
            group = "value" if "value" in regex.groupindex and match.group("value") else 0
            start, end = match.span(group)
            if end > start:
                spans.append((kind, start, end))
    return spans


def _known_name_spans(text: str, tokens: Sequence[str], folded: str | None = None) -> list[tuple[str, int, int]]:
    """Find the patient's own name tokens as whole words anywhere, ignoring case and accents."""
    if not tokens:
        return []
    # Plain substring search: compiling a regex per patient would cost more than the scan itself.
    folded, spans = _fold(text) if folded is None else folded, []
    for token in tokens:
        start = folded.find(token)
        # Short names double as words ("Al", "Luz", "Mar", "Paz"): those must be capitalised to match.
        needs_capital = len(token) <= SHORT_NAME_CHARS
        while start != -1:
            end = start + len(token)
            if (
                not _is_word_char(folded, start - 1)
                and not _is_word_char(folded, end)
                and (not needs_capital or text[start].isupper())
            ):
                spans.append(("NAME", start, end))
            start = folded.find(token, start + 1)
    return spans


def _is_word_char(text: str, index: int) -> bool:
    """Return True when text[index] exists and is a letter, digit or underscore (regex \\w)."""
    return 0 <= index < len(text) and (text[index].isalnum() or text[index] == "_")


def _merge_spans(spans: list[tuple[str, int, int]]) -> list[tuple[str, tuple[int, int]]]:
    """Union overlapping spans so no identifier fragment survives; the earliest, longest names the type."""
    merged: list[tuple[str, tuple[int, int]]] = []
    for kind, start, end in sorted(spans, key=lambda span: (span[1], -span[2])):
        if merged and start < merged[-1][1][1]:
            last_kind, (last_start, last_end) = merged[-1]
            merged[-1] = (last_kind, (last_start, max(last_end, end)))
        else:
            merged.append((kind, (start, end)))
    return merged


def _fold(text: str) -> str:
    """Lower-case and strip accents character by character, keeping offsets aligned with the input."""
    return text.translate(_FOLD_TABLE)


def _fold_char(char: str) -> str:
    """Fold one character to its unaccented lower-case base, or keep it if that would change the length."""
    base = unicodedata.normalize("NFD", char)[0].lower()
    return base if len(base) == 1 else char


class _FoldTable(dict):
    """A str.translate table that folds each code point the first time it is seen."""

    def __missing__(self, code_point: int) -> str:
        folded = self[code_point] = _fold_char(chr(code_point))
        return folded


_FOLD_TABLE = _FoldTable()


_DIGIT = re.compile(r"\d")
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _as_text(value: Any) -> str:
    """Coerce any cell to text for scrubbing: missing values become "", control characters spaces."""
    if _is_missing(value):
        return ""
    text = value if isinstance(value, str) else str(value)
    return _CONTROL_CHARS.sub(" ", text[:MAX_TEXT_CHARS])


# --------------------------------------------------------------------------------------------------
# k-anonymity
# --------------------------------------------------------------------------------------------------

_MISSING_KEY = "<missing>"


def class_sizes(df: pd.DataFrame, quasi_identifiers: Sequence[str]) -> pd.Series:
    """Return, for every row, the size of the equivalence class it falls in (missing values form a class)."""
    _check_columns(df, quasi_identifiers)
    if df.empty:
        return pd.Series(dtype="int64", index=df.index)
    if not quasi_identifiers:
        return pd.Series(len(df), index=df.index, dtype="int64")
    qis = list(quasi_identifiers)
    keys = df[qis].astype("string").fillna(_MISSING_KEY)
    return keys.groupby(qis, sort=False)[qis[0]].transform("size").astype("int64")


def equivalence_classes(df: pd.DataFrame, quasi_identifiers: Sequence[str]) -> pd.DataFrame:
    """Return one row per equivalence class: its quasi-identifier values and its ``size``, smallest first."""
    _check_columns(df, quasi_identifiers)
    qis = list(quasi_identifiers)
    if df.empty or not qis:
        classes = pd.DataFrame({column: [] for column in qis})
        classes["size"] = pd.Series(dtype="int64") if df.empty else len(df)
        return classes if df.empty or qis else pd.DataFrame({"size": [len(df)]})
    keys = df[qis].astype("string").fillna(_MISSING_KEY)
    classes = keys.groupby(qis, sort=False).size().rename("size").reset_index()
    return classes.sort_values(["size", *qis], kind="stable").reset_index(drop=True)


def k_anonymity(df: pd.DataFrame, quasi_identifiers: Sequence[str]) -> int:
    """Return the k the frame achieves: the size of its smallest equivalence class (0 when empty)."""
    sizes = class_sizes(df, quasi_identifiers)
    return int(sizes.min()) if len(sizes) else 0


def _check_columns(df: pd.DataFrame, columns: Sequence[str]) -> None:
    """Fail clearly when a quasi-identifier is not a column of the frame."""
    missing = [column for column in columns if column not in df.columns]
    if missing:
        raise ValueError(f"quasi-identifiers not in the frame: {missing}")


_Step = tuple[str, str, Callable[[Any], Any]]


def _widen_age_group(level: int) -> Callable[[Any], Any]:
    """Return a function mapping an age group to the band of widening ``level``."""

    def widen(value: Any) -> Any:
        for mapping in AGE_GROUP_WIDENING[: level + 1]:
            value = mapping.get(value, value)
        return value

    return widen


def _year_to_decade(value: Any) -> Any:
    """Map "2023" to "2020s"; leave missing or already generalised values alone."""
    text = str(value)
    return f"{text[:3]}0s" if re.fullmatch(r"\d{4}", text) else value


#: Generalisation plan applied, step by step, only to rows whose class is still smaller than k.
#: Steps whose column is not a quasi-identifier are skipped. A missing ZIP3 becomes "*" as well (it
#: says no more than "*"), so records without a ZIP can pool with generalised ones. Sex is never
#: generalised: it is a diagnostic feature (X-linked disorders) and has few values, so it rarely breaks k.
GENERALIZATION_STEPS: tuple[_Step, ...] = (
    ("zip3", "zip3 -> *", lambda value: "*"),
    ("age_group", "age_group -> 0-14/15-44/45-64/65+", _widen_age_group(0)),
    ("year", "year -> decade", _year_to_decade),
    ("age_group", "age_group -> 0-14/15-64/65+", _widen_age_group(1)),
)


@dataclass
class AnonymizationReport:
    """What anonymize_records removed, scrubbed, generalised and suppressed."""

    rows_in: int = 0
    rows_out: int = 0
    identifiers_removed: dict[str, int] = field(default_factory=dict)
    dates_shifted: int = 0
    notes_scrubbed: int = 0
    other_text_scrubbed: int = 0
    placeholders: dict[str, int] = field(default_factory=dict)
    quasi_identifiers: list[str] = field(default_factory=list)
    k_requested: int = 0
    k_achieved: int = 0
    k_strategy: str = "generalize"
    generalization_steps_applied: list[str] = field(default_factory=list)
    rows_generalized: int = 0
    rows_suppressed: int = 0
    equivalence_classes: int = 0

    def to_dict(self) -> dict[str, Any]:
        """Return the report as plain JSON-serialisable data."""
        return asdict(self)


def enforce_k_anonymity(
    df: pd.DataFrame, *, k: int, quasi_identifiers: Sequence[str], strategy: str = "generalize"
) -> tuple[pd.DataFrame, int, int, list[str]]:
    """Generalise or suppress rows in classes below k; return (frame, generalised, suppressed, steps)."""
    qis = list(quasi_identifiers)
    frame = df.copy()
    for column in qis:
        frame[column] = frame[column].astype(object)
    original = frame[qis].astype("string")
    steps = [step for step in GENERALIZATION_STEPS if step[0] in qis]
    steps_applied = []
    if strategy == "generalize":
        for column, description, generalize in steps:
            small = class_sizes(frame, qis) < k
            if not small.any():
                break
            if _generalize_rows(frame, rows=small, column=column, generalize=generalize):
                steps_applied.append(description)
        _merge_leftover_classes(frame, k=k, quasi_identifiers=qis, steps=steps)
    keep = class_sizes(frame, qis) >= k
    frame = frame.loc[keep]
    changed = frame[qis].astype("string").ne(original.loc[keep]).fillna(True)
    rows_generalized = int(changed.any(axis=1).sum()) if len(frame) else 0
    return frame, rows_generalized, int((~keep).sum()), steps_applied


def _generalize_rows(frame: pd.DataFrame, *, rows: pd.Series, column: str, generalize: Callable[[Any], Any]) -> bool:
    """Apply one generalisation to the selected rows in place; return whether any value changed."""
    before = frame.loc[rows, column]
    after = before.map(generalize)
    if before.astype("string").equals(after.astype("string")):
        return False
    frame.loc[rows, column] = after
    return True


def _fully_generalized(frame: pd.DataFrame, *, steps: Sequence[_Step]) -> pd.DataFrame:
    """Return the quasi-identifiers every row would have after all generalisation steps."""
    full = frame.copy()
    for column, _, generalize in steps:
        full[column] = full[column].map(generalize)
    return full


def _merge_leftover_classes(
    frame: pd.DataFrame, *, k: int, quasi_identifiers: list[str], steps: Sequence[_Step]
) -> None:
    """Rescue rows still in small classes by merging them with whole classes that generalise to the same key.

    Local recoding alone leaves stragglers: most rows reach k early and stop generalising, so the rows
    that needed every step can end up alone at the coarsest level. Pulling in whole donor classes (already
    coarse ones first, then the smallest) keeps every class at least k while suppressing far fewer rows,
    which matters most for the rare presentations dxflow exists for.
    """
    small = class_sizes(frame, quasi_identifiers) < k
    if not small.any() or not steps:
        return
    full = _fully_generalized(frame[quasi_identifiers], steps=steps)
    full_key = _row_keys(full, quasi_identifiers)
    current_key = _row_keys(frame, quasi_identifiers)
    for key in full_key[small].unique():
        members = small & (full_key == key)
        donors = current_key[~small & (full_key == key)].value_counts()
        order = sorted(donors.index, key=lambda donor: (donor != key, donors[donor]))
        for donor in order:
            if members.sum() >= k:
                break
            members |= current_key == donor
        if members.sum() >= k:
            frame.loc[members, quasi_identifiers] = full.loc[members, quasi_identifiers]


def _row_keys(frame: pd.DataFrame, columns: Sequence[str]) -> pd.Series:
    """Return one string per row that identifies its equivalence class."""
    keys = frame[list(columns)].astype("string").fillna(_MISSING_KEY)
    return keys.iloc[:, 0].str.cat(keys.iloc[:, 1:], sep="\x1f")


# --------------------------------------------------------------------------------------------------
# The whole record
# --------------------------------------------------------------------------------------------------


def anonymize_records(
    df: pd.DataFrame,
    *,
    key: bytes,
    date_mode: str = "year",
    k: int = 5,
    quasi_identifiers: Sequence[str] = DEFAULT_QUASI_IDENTIFIERS,
    k_strategy: str = "generalize",
) -> tuple[pd.DataFrame, AnonymizationReport]:
    """De-identify canonical records: pseudonymise, drop identifiers, coarsen, scrub text, enforce k."""
    _check_key(key)
    if date_mode not in ("year", "shift"):
        raise ValueError(f"date_mode must be 'year' or 'shift', got {date_mode!r}")
    if k_strategy not in ("generalize", "suppress"):
        raise ValueError(f"k_strategy must be 'generalize' or 'suppress', got {k_strategy!r}")
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"anonymize_records expects a pandas DataFrame, got {type(df).__name__}")
    quasi_identifiers = list(quasi_identifiers)
    source = df.reset_index(drop=True)
    report = AnonymizationReport(
        rows_in=len(source), quasi_identifiers=quasi_identifiers, k_requested=k, k_strategy=k_strategy
    )

    derived = _derive_quasi_identifiers(source, key=key)
    text = _scrub_text_columns(source, report=report)
    dates = pd.DataFrame(index=source.index)
    if date_mode == "shift":
        dates = _shifted_dates(source, pseudonyms=derived["pseudonym"], ages=derived["age"], key=key, report=report)
    report.identifiers_removed = _count_removed(source, date_mode=date_mode)

    clinical = source[[column for column in CLINICAL_COLUMNS if column in source.columns]]
    frame = pd.concat([derived, clinical, dates, text], axis=1)
    if "sex" not in frame.columns:
        frame["sex"] = pd.NA
    if "age" not in quasi_identifiers:
        # An exact age would make the age_group quasi-identifier pointless for k-anonymity.
        frame = frame.drop(columns="age")
    _check_columns(frame, quasi_identifiers)

    frame, report.rows_generalized, report.rows_suppressed, report.generalization_steps_applied = enforce_k_anonymity(
        frame, k=k, quasi_identifiers=quasi_identifiers, strategy=k_strategy
    )
    frame = frame.reset_index(drop=True)
    report.rows_out = len(frame)
    report.k_achieved = k_anonymity(frame, quasi_identifiers)
    report.equivalence_classes = len(equivalence_classes(frame, quasi_identifiers))
    return frame, report


def _derive_quasi_identifiers(source: pd.DataFrame, *, key: bytes) -> pd.DataFrame:
    """Build pseudonym, Safe-Harbor age, age_group, visit year and zip3 columns."""
    birth, visit = _column(source, "birth_date"), _column(source, "visit_date")
    reported_age = _column(source, "age").map(clean_age)
    # Patients, birth dates and visit dates repeat across rows: each distinct value is parsed (or hashed) once.
    age_at = _once_per_value(lambda pair: age_from(*pair))
    computed_age = pd.Series([age_at((b, v)) for b, v in zip(birth, visit, strict=True)], index=source.index)
    age = reported_age.where(reported_age.notna(), computed_age)
    years = visit.map(_once_per_value(lambda value: generalize_date(value, mode="year")))
    return pd.DataFrame(
        {
            "pseudonym": _column(source, "patient_id").map(
                _once_per_value(lambda value: _pseudonym_or_none(value, key=key))),
            "age": pd.array([_top_coded_age(value) for value in age], dtype="Int64"),
            "age_group": age.map(age_group),
            "year": years.map(lambda year: None if year is None else str(year)).astype(object),
            "zip3": _column(source, "zip").map(_once_per_value(zip3)).astype(object),
        },
        index=source.index,
    )


def _once_per_value(compute: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Return ``compute`` remembering its result per distinct value (a pure function of one hashable value).

    Values are keyed with their type, so 1, 1.0 and True stay apart; unhashable values are computed each time.
    """
    results: dict[Any, Any] = {}

    def once(value: Any) -> Any:
        try:
            cache_key = (type(value), value) if not isinstance(value, tuple) else tuple((type(item), item)
                                                                                          for item in value)
            return results[cache_key]
        except KeyError:
            result = results[cache_key] = compute(value)
            return result
        except TypeError:
            return compute(value)

    return once


def _top_coded_age(age: Any) -> int | None:
    """Return whole years with every age over 89 recorded as 90 (meaning "90 or older")."""
    harbor = safe_harbor_age(age)
    return SAFE_HARBOR_AGE_CAP if harbor == "90+" else harbor


def _pseudonym_or_none(patient_id: Any, *, key: bytes) -> str | None:
    """Pseudonymise an id, or return None for rows without one (they cannot be linked)."""
    return None if normalize_patient_id(patient_id) is None else pseudonymize(patient_id, key=key)


def _row_names(source: pd.DataFrame) -> list[list[Any]]:
    """Collect each row's own name columns, used to scrub those names from its text without a cue."""
    present = [column for column in NAME_COLUMNS if column in source.columns]
    if not present:
        return [[] for _ in range(len(source))]
    return source[present].astype(object).values.tolist()


def _scrub_text_columns(source: pd.DataFrame, *, report: AnonymizationReport) -> pd.DataFrame:
    """Scrub notes, text lists and any unrecognised column, counting what was replaced."""
    names = _row_names(source)
    placeholders: Counter[str] = Counter()
    scrubber = CachedScrubber()
    # Derived column names are reserved: a source column called "year" or "pseudonym" is not carried over.
    known = {*DIRECT_IDENTIFIER_COLUMNS, *DATE_COLUMNS, *CLINICAL_COLUMNS, *DERIVED_COLUMNS}
    scrubbed = {}
    for column in source.columns:
        if column in known:
            continue
        values, changed = [], 0
        for cell, row_names in zip(source[column], names, strict=True):
            value, counts = _scrub_cell(cell, known_names=row_names, scrub=scrubber.scrub)
            if counts:
                placeholders.update(counts)
                changed += 1
            values.append(value)
        scrubbed[column] = pd.Series(values, index=source.index, dtype=object)
        if column == "notes":
            report.notes_scrubbed = changed
        else:
            report.other_text_scrubbed += changed
    report.placeholders = dict(placeholders)
    return pd.DataFrame(scrubbed, index=source.index)


def _scrub_cell(cell: Any, *, known_names: Sequence[Any],
                scrub: Callable[..., ScrubResult] = scrub_text) -> tuple[Any, dict[str, int]]:
    """Scrub a string, every item of a list, or the text form of any other non-missing value."""
    if isinstance(cell, str):
        result = scrub(cell, known_names=known_names)
        return result.text, result.counts
    if isinstance(cell, list | tuple):
        counts: Counter[str] = Counter()
        items = []
        for item in cell:
            value, item_counts = _scrub_cell(item, known_names=known_names, scrub=scrub)
            if item_counts:
                counts.update(item_counts)
            items.append(value)
        return items, counts
    if _is_missing(cell) or isinstance(cell, bool):
        return cell, {}
    result = scrub(cell, known_names=known_names)
    if not result.counts:
        # Numbers, dates and other objects keep their type unless their text form holds an identifier.
        return cell, {}
    return result.text, result.counts


def _shifted_dates(
    source: pd.DataFrame, *, pseudonyms: pd.Series, ages: pd.Series, key: bytes, report: AnonymizationReport
) -> pd.DataFrame:
    """Shift birth and visit dates by each patient's own offset; rows without a pseudonym lose their dates."""
    shifts = pseudonyms.map(lambda pseudo: None if pseudo is None else patient_date_shift(pseudo, key=key))
    shifted = {}
    for column in DATE_COLUMNS:
        if column not in source.columns:
            continue
        values = [
            None if shift is None else generalize_date(value, mode="shift", shift_days=shift)
            for value, shift in zip(source[column], shifts, strict=True)
        ]
        shifted[column] = pd.Series(values, index=source.index, dtype=object)
    if "birth_date" in shifted:
        # Safe Harbor: for ages over 89 even the birth year reveals the age, so the birth date goes.
        shifted["birth_date"] = shifted["birth_date"].where(~(ages.fillna(0) >= SAFE_HARBOR_AGE_CAP), None)
    report.dates_shifted = int(sum(series.notna().sum() for series in shifted.values()))
    return pd.DataFrame(shifted, index=source.index)


def _count_removed(source: pd.DataFrame, *, date_mode: str) -> dict[str, int]:
    """Count non-empty identifier values dropped from the frame, by column."""
    dropped = [*DIRECT_IDENTIFIER_COLUMNS, *(DATE_COLUMNS if date_mode == "year" else ())]
    counts = {}
    for column in dropped:
        if column in source.columns:
            values = source[column]
            count = sum(1 for value in values[values.notna()]
                        if (value.strip() != "" if isinstance(value, str) else not _is_blank(value)))
            if count:
                counts[column] = count
    return counts


# --------------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------------


def _column(source: pd.DataFrame, column: str) -> pd.Series:
    """Return a column as objects, or a column of missing values when the source lacks it."""
    if column in source.columns:
        return source[column].astype(object)
    return pd.Series([None] * len(source), index=source.index, dtype=object)


def _is_missing(value: Any) -> bool:
    """Return True for None, NaN, NaT and pd.NA, without choking on lists or arrays."""
    if value is None:
        return True
    if isinstance(value, list | tuple | dict | set | Mapping):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _is_blank(value: Any) -> bool:
    """Return True for missing values and strings or lists with nothing in them."""
    if _is_missing(value):
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | tuple | set | dict):
        return len(value) == 0
    return False


def _call_or_none(compute: Callable[[], Any]) -> Any:
    """Return compute() or None if it raises a value, type or overflow error (bad dates and numbers)."""
    try:
        return compute()
    except (ValueError, TypeError, OverflowError):
        return None
