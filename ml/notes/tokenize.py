"""Split a note into folded words with their character offsets in the original text.

Folding lower-cases, strips accents and apostrophes (``doesn't`` → ``doesnt``) and treats ``_``, ``-`` and
``/`` as spaces, so spreadsheet column names (``joint_pain``), hyphenated words (``short-of-breath``) and
slashes (``nausea/vomiting``) read as prose. Punctuation that ends a clause is kept as its own token.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import NamedTuple

# Words are letters and digits; the clause marks negation and uncertainty scopes stop at are tokens too.
# An apostrophe inside a word joins it ("doesn't" is one token, read "doesnt").
_TOKEN = re.compile(r"[^\W_]+(?:['’`´][^\W_]+)*|[.,;:!?()\n]")
_NO_APOSTROPHES = str.maketrans("", "", "'’`´")
_SPACES = str.maketrans({"_": " ", "-": " ", "/": " ", "‐": " ", "–": " ", "—": " "})
_APOSTROPHES = frozenset("'’`´")


class Token(NamedTuple):
    """One folded word or clause mark, with its span ``[start, end)`` in the original text."""

    text: str
    start: int
    end: int


@functools.lru_cache(maxsize=4_096)
def _fold_char(char: str) -> str:
    """Return one character case-folded and without accents (may be empty or several characters)."""
    decomposed = unicodedata.normalize("NFKD", char.casefold())
    return "".join(part for part in decomposed if not unicodedata.combining(part))


# Accented Latin letters that fold to one ASCII letter: translating them keeps every offset (the common case).
_ONE_LETTER = {
    code: _fold_char(chr(code)) for code in range(0xC0, 0x250)
    if len(_fold_char(chr(code))) == 1 and _fold_char(chr(code)).isascii()
}


def fold(text: str) -> tuple[str, list[int] | None]:
    """Return the folded text and, when its length changed, the original offset of each folded character."""
    plain = text if text.isascii() else text.translate(_ONE_LETTER)
    if plain.isascii():
        return plain.lower().translate(_SPACES), None
    chars: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        folded_char = char if char in _APOSTROPHES else _fold_char(char).translate(_SPACES)
        chars.append(folded_char)
        origin.extend([index] * len(folded_char))
    return "".join(chars), origin


def words(text: str) -> list[str]:
    """Return the folded words and clause marks of a text, without offsets (faster, for vocabulary phrases)."""
    return [word.translate(_NO_APOSTROPHES) for word in _TOKEN.findall(fold(text)[0])]


def tokenize(text: str) -> list[Token]:
    """Return the folded words and clause marks of a text with their offsets in the original."""
    folded, origin = fold(text)
    if origin is None:
        return [Token(_bare(match.group()), match.start(), match.end()) for match in _TOKEN.finditer(folded)]
    return [
        Token(_bare(match.group()), origin[match.start()], origin[match.end() - 1] + 1)
        for match in _TOKEN.finditer(folded)
    ]


def _bare(word: str) -> str:
    """Return a token without its inner apostrophes."""
    return word.translate(_NO_APOSTROPHES) if "'" in word or "’" in word or "`" in word or "´" in word else word
