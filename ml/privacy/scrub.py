"""Scrub free text: replace names, dates, phone numbers, ids and addresses with typed placeholders.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from ml.privacy.patterns import (
    _PATTERNS,
    MAX_TEXT_CHARS,
)
from ml.values import is_missing

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


