"""Scrub free text: replace names, dates, phone numbers, ids and addresses with typed placeholders.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple

from ml.values import is_missing

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


#: The placeholder for a record's own identifier when its value turns up in the record's text (others: ID).
OWN_IDENTIFIER_TYPES = {
    "address": "ADDRESS",
    "zip": "ADDRESS",
    "phone": "PHONE",
    "fax": "PHONE",
    "email": "EMAIL",
    "national_id": "NATIONAL_ID",
    "mrn": "MRN",
    "url": "URL",
    "ip_address": "IP",
}
#: Own values shorter than this are not searched for as text (a one- or two-character id is everywhere).
MIN_OWN_VALUE_CHARS = 3
#: Phone numbers are matched by their digits, whatever the spacing; fewer digits than this are not a phone.
MIN_PHONE_DIGITS = 6
_PHONE_SEPARATORS = frozenset(" .-()/+\u00a0")


class ScrubResult(NamedTuple):
    """Scrubbed text and how many placeholders of each type replaced identifiers."""

    text: str
    counts: dict[str, int]


def known_name_tokens(names: Iterable[Any]) -> tuple[str, ...]:
    """Split the patient's own names into matchable tokens, dropping initials and particles."""
    tokens: set[str] = set()
    for name in names:
        if is_missing(name) or not isinstance(name, str):
            continue
        for token in _NAME_TOKEN_SPLIT.split(_as_text(name[:500])):
            folded = _fold(token.strip("'’"))
            if len(folded) >= 2 and folded not in _NAME_TOKEN_STOPWORDS and not folded.isdigit():
                tokens.add(folded)
    return tuple(sorted(tokens, key=len, reverse=True))


def own_identifier_needles(identifiers: Iterable[tuple[str, Any]]) -> tuple[tuple[str, str, bool], ...]:
    """Turn a record's own ``(column, value)`` identifiers into ``(type, folded text or digits, by_digits)``.

    An address is also looked for by its street part (before the first comma); a phone by its digits, with and
    without its country code, so "+34 612 345 678" in a column finds "612-345-678" in a note.
    """
    needles: dict[tuple[str, str, bool], None] = {}
    for column, value in identifiers:
        if isinstance(value, bool) or (not isinstance(value, str) and is_missing(value)):
            continue
        text = " ".join((value if isinstance(value, str) else str(value))[:500].split())
        kind = OWN_IDENTIFIER_TYPES.get(column, "ID")
        if kind == "PHONE":
            digits = _NON_DIGITS.sub("", text)
            for variant in (digits, digits[-9:], digits[-10:]):
                if len(variant) >= MIN_PHONE_DIGITS:
                    needles[(kind, variant, True)] = None
            continue
        for part in (text, text.split(",", 1)[0].strip()) if kind == "ADDRESS" else (text,):
            if len(part) >= MIN_OWN_VALUE_CHARS and (kind != "ADDRESS" or _DIGIT.search(part)):
                needles[(kind, part.lower() if part.isascii() else _fold(part), False)] = None
    return tuple(sorted(needles, key=lambda needle: -len(needle[1])))


class OwnIdentifiers(NamedTuple):
    """A record's own identifiers made ready to search its text: the needles holding a digit, and the others."""

    with_digits: tuple[tuple[str, str, bool], ...]
    without_digits: tuple[tuple[str, str, bool], ...]


def own_identifiers(identifiers: Iterable[tuple[str, Any]]) -> OwnIdentifiers:
    """Prepare a record's own ``(column, value)`` identifiers once, for scrubbing each of its cells."""
    if isinstance(identifiers, OwnIdentifiers):
        return identifiers
    needles = own_identifier_needles(identifiers)
    return OwnIdentifiers(tuple(needle for needle in needles if _DIGIT.search(needle[1])),
                          tuple(needle for needle in needles if not _DIGIT.search(needle[1])))


def find_identifiers(text: Any, *, known_names: Iterable[Any] = (),
                     known_identifiers: Iterable[tuple[str, Any]] = ()) -> list[tuple[str, tuple[int, int]]]:
    """Return (type, (start, end)) for every identifier found in text, merged and sorted by position.

    ``known_names`` are the record's own names, ``known_identifiers`` its own ``(column, value)`` identifiers
    (address, phone, e-mail, ids): both are found in its text wherever they occur, cue or no cue.
    """
    text = _as_text(text)
    if not text:
        return []
    own = own_identifiers(known_identifiers)
    spans = [*_pattern_spans(text), *_known_name_spans(text, known_name_tokens(known_names)),
             *_own_identifier_spans(text, own.with_digits + own.without_digits)]
    return _merge_spans(spans)


def scrub_text(text: Any, *, known_names: Iterable[Any] = (),
               known_identifiers: Iterable[tuple[str, Any]] = ()) -> ScrubResult:
    """Replace identifiers in free text by typed placeholders such as [NAME] and count them by type."""
    text = _as_text(text)
    return _replace_spans(text, find_identifiers(text, known_names=known_names, known_identifiers=known_identifiers))


class CachedScrubber:
    """``scrub_text`` for many cells: the same result, with the work that does not depend on the row done once.

    Pattern matches depend on the text alone, so they are found once per distinct text (symptom and diagnosis
    lists repeat heavily); own-name tokens depend on the row's names alone, so they are split once per distinct
    set of names. Each cell still gets its own names searched for, in the cached folded text.
    """

    def __init__(self) -> None:
        self._texts: dict[str, tuple[str, list[tuple[str, int, int]], str, ScrubResult, bool]] = {}
        self._tokens: dict[tuple, tuple[str, ...]] = {}
        self._needles: dict[tuple, OwnIdentifiers] = {}

    def scrub(self, value: Any, *, known_names: Sequence[Any] = (),
              known_identifiers: Sequence[tuple[str, Any]] | OwnIdentifiers = ()) -> ScrubResult:
        """Return ``scrub_text(value, known_names=known_names, known_identifiers=known_identifiers)``.

        Pass ``own_identifiers(...)`` of the row for ``known_identifiers`` when scrubbing several of its cells.
        """
        entry = self._texts.get(value) if isinstance(value, str) else None
        if entry is None:
            text = _as_text(value)
            spans = _pattern_spans(text) if text else []
            entry = (text, spans, _fold(text), _replace_spans(text, _merge_spans(spans)),
                     _DIGIT.search(text) is not None)
            if isinstance(value, str):
                self._texts[value] = entry
        text, spans, folded, result, has_digit = entry
        if not text:
            return result
        tokens = self._name_tokens(known_names)
        names = _known_name_spans(text, tokens, folded) if tokens else []
        own = []
        if known_identifiers:
            # Nearly every identifier holds a digit, and nearly every symptom item none: skip those at once.
            with_digits, without_digits = self._own_needles(known_identifiers)
            needles = with_digits + without_digits if has_digit else without_digits
            own = _own_identifier_spans(text, needles, folded) if needles else []
        return _replace_spans(text, _merge_spans([*spans, *names, *own])) if names or own else result

    def _own_needles(self, identifiers: Sequence[tuple[str, Any]] | OwnIdentifiers) -> OwnIdentifiers:
        """Return own_identifiers(identifiers), once per distinct set of identifiers."""
        if isinstance(identifiers, OwnIdentifiers):
            return identifiers
        try:
            key = tuple(identifiers)
            needles = self._needles.get(key)
        except TypeError:  # an unhashable identifier cell
            return own_identifiers(identifiers)
        if needles is None:
            needles = self._needles[key] = own_identifiers(identifiers)
        return needles

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


def _own_identifier_spans(text: str, needles: Sequence[tuple[str, str, bool]],
                          folded: str | None = None) -> list[tuple[str, int, int]]:
    """Find a record's own identifier values in its text: as whole words (folded), phones by their digits."""
    if not needles:
        return []
    folded, spans = _fold(text) if folded is None else folded, []
    digits: tuple[str, list[int]] | None = None
    for kind, needle, by_digits in needles:
        if by_digits:
            digits = digits or _digit_view(text)
            spans.extend((kind, start, end) for start, end in _digit_runs(text, *digits, needle))
            continue
        start = folded.find(needle)
        while start != -1:
            end = start + len(needle)
            if not (_is_word_char(folded, start - 1) and _is_word_char(needle, 0)) and not (
                _is_word_char(folded, end) and _is_word_char(needle, len(needle) - 1)
            ):
                spans.append((kind, start, end))
            start = folded.find(needle, start + 1)
    return spans


def _digit_view(text: str) -> tuple[str, list[int]]:
    """Return the digits of a text and the offset of each in the text."""
    offsets = [index for index, char in enumerate(text) if char.isdigit()]
    return "".join(text[index] for index in offsets), offsets


def _digit_runs(text: str, digits: str, offsets: list[int], needle: str) -> Iterable[tuple[int, int]]:
    """Yield the text spans spelling ``needle``'s digits with only phone separators between them."""
    start = digits.find(needle)
    while start != -1:
        first, last = offsets[start], offsets[start + len(needle) - 1]
        between = text[first:last + 1]
        whole = not _is_digit(text, first - 1) and not _is_digit(text, last + 1)
        if whole and all(char.isdigit() or char in _PHONE_SEPARATORS for char in between):
            yield first, last + 1
        start = digits.find(needle, start + 1)


def _is_digit(text: str, index: int) -> bool:
    """Return True when text[index] exists and is a digit."""
    return 0 <= index < len(text) and text[index].isdigit()


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
_NON_DIGITS = re.compile(r"\D+")
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _as_text(value: Any) -> str:
    """Coerce any cell to text for scrubbing: missing values become "", control characters spaces."""
    if not isinstance(value, str) and is_missing(value):
        return ""
    text = value if isinstance(value, str) else str(value)
    return _CONTROL_CHARS.sub(" ", text[:MAX_TEXT_CHARS])


