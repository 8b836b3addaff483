"""The scrubbing patterns: typed regular expressions for names, dates, phones, ids and addresses in EN/ES text."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import NamedTuple

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
    r"(?:(?:Street|Avenue|Road|Boulevard|Lane|Drive|Court|Way|Place|Terrace|Highway|Parkway|Square|Crescent"
    r"|Close|Circle|Trail|Alley|Row|Mews|Grove|Gardens|Walk|Hill)\b"
    r"|(?:St|Ave|Av|Rd|Blvd|Ln|Dr|Ct|Pl|Hwy|Pkwy|Sq|Cres|Cir|Trl|Ter)\b\.?)"
)
_ES_STREET = (
    r"(?:[Cc]alle|[Cc]/|[Cc]\.\s?/|[Aa]vda\.?|[Aa]vd\.|[Aa]v\.|[Aa]venida|[Pp]laza|[Pp]za\.|[Pp]aseo|Pº"
    r"|[Rr]onda|[Rr]ambla|[Cc]amino|[Cc]arretera|[Cc]tra\.|[Tt]raves[ií]a|[Gg]lorieta|[Pp]asaje|[Uu]rbanización"
    r"|[Uu]rb\.|[Vv]ía|[Pp]olígono|[Bb]arrio)"
)
# Streets whose type is their name: "Gran Vía 99", "La Rambla 12". Without a number they name a place, not a home.
_ES_NAMED_STREET = rf"(?:Gran\s+V[ií]a|(?:[Ll]a\s+)?Rambla|Castellana)(?:\s+(?:de\s+|del\s+)?{_CAP_WORD}){{0,2}}"
_FLOOR_SIDE = r"(?:izq(?:uierda|da)?|izda|dcha|der(?:echa)?|centro|ext(?:erior)?|int(?:erior)?)\b\.?"
_CITY = rf"[{_UPPER}][{_LOWER}]+(?:\s+[{_UPPER}][{_LOWER}]+){{0,2}}"
_ES_HOUSE_NUMBER = r"(?:,?\s*(?:n[º°o]\.?\s*|número\s*)?\d{1,4}[A-Za-z]?(?!\w))"
_ES_ADDRESS_TAIL = (
    rf"(?:,?\s*\d{{1,2}}\s*[º°ª](?:\s*\d{{1,2}}\s*[º°ª]?)?(?:\s*(?:[A-Za-z](?!\w)|(?i:{_FLOOR_SIDE})))?)?"
    rf"(?:,?\s*(?i:piso|planta|puerta|esc\.?|escalera|bajo|ático|{_FLOOR_SIDE})(?:\s*\w+(?!\w))?)*"
    rf"(?:,?\s*(?:C\.?P\.?\s*)?\d{{5}}(?:\s*,?\s*{_CITY})?)?"
)


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
            rf"(?:\s+(?:{_NAME_PARTICLE}\s+|el\s+)?{_CAP_WORD}){{0,4}}{_ES_HOUSE_NUMBER}?{_ES_ADDRESS_TAIL}"
        ),
        needs_digit=False,
    ),
    _Pattern("ADDRESS", _compile(rf"(?<!\w){_ES_NAMED_STREET}{_ES_HOUSE_NUMBER}{_ES_ADDRESS_TAIL}")),
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
