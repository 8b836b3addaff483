"""Find symptom mentions in free-text notes, and whether each is negated ("niega fiebre", "no cough").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from ml.values import fold_text

NEGATION_CUES: dict[str, tuple[str, ...]] = {
    "en": (
        "no",
        "not",
        "denies",
        "denied",
        "without",
        "negative for",
        "absence of",
        "free of",
        "never had",
        "nor",
    ),
    "es": (
        "no",
        "sin",
        "niega",
        "nego",
        "ausencia de",
        "no presenta",
        "no refiere",
        "descarta",
        "negativo para",
        "ni",
    ),
}
# Words after which a negation no longer applies: contrast, or a new affirmative clause ("niega fiebre,
# refiere tos" has cough present).
SCOPE_TERMINATORS: dict[str, frozenset[str]] = {
    "en": frozenset(
        {
            "but",
            "however",
            "although",
            "though",
            "except",
            "yet",
            "has",
            "have",
            "reports",
            "reported",
            "complains",
            "presents",
            "shows",
            "which",
            "who",
        }
    ),
    "es": frozenset(
        {
            "pero",
            "aunque",
            "sino",
            "salvo",
            "excepto",
            "tiene",
            "presenta",
            "refiere",
            "muestra",
            "manifiesta",
        }
    ),
}
# Words after a mention that negate it: "fever: negative", "tos ausente".
POST_NEGATION_CUES = frozenset(
    {"negative", "absent", "denied", "ausente", "ausentes", "negativo", "negativa", "negada", "negado"}
)
SENTENCE_BREAKS = frozenset({".", ";", ":", "!", "?", "\n"})
LIST_CONNECTORS = frozenset({",", "or", "and", "nor", "o", "u", "y", "e", "ni", "/"})
NEGATION_SCOPE_TOKENS = 5

_TOKEN = re.compile(r"\w+|\n|[^\w\s]")


@dataclass(frozen=True)
class Mention:
    """One lexicon phrase found in a note: ``term`` is the lexicon key, ``span`` the offsets in the note."""

    term: str
    hpo_id: str
    present: bool
    span: tuple[int, int]


def _tokenize(text: str) -> list[tuple[str, int, int]]:
    """Split text into folded word and punctuation tokens with their offsets in the original text."""
    folded_chars: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        folded = fold_text(char) if char != "\n" else char
        folded_chars.append(folded)
        origin.extend([index] * len(folded))
    folded_text = "".join(folded_chars)
    return [
        (match.group(), origin[match.start()], origin[match.end() - 1] + 1) for match in _TOKEN.finditer(folded_text)
    ]


def _phrase_tokens(phrase: str) -> tuple[str, ...]:
    """Return the folded tokens of a lexicon phrase or cue."""
    return tuple(token for token, _, _ in _tokenize(phrase))


def _longest_match(tokens: list[str], start: int, phrases: Mapping[tuple[str, ...], object], max_length: int) -> int:
    """Return the token length of the longest phrase starting at ``start`` (0 when none)."""
    for length in range(min(max_length, len(tokens) - start), 0, -1):
        if tuple(tokens[start : start + length]) in phrases:
            return length
    return 0


def _negated_positions(tokens: list[str], mention_starts: dict[int, int], lang: str | None) -> set[int]:
    """Return the token positions of mentions that fall inside a negation scope."""
    langs = (lang,) if lang in NEGATION_CUES else tuple(NEGATION_CUES)
    cues = {_phrase_tokens(cue): cue for code in langs for cue in NEGATION_CUES[code]}
    terminators = frozenset().union(*(SCOPE_TERMINATORS[code] for code in langs))
    max_cue = max(len(cue) for cue in cues)
    negated: set[int] = set()
    position = 0
    while position < len(tokens):
        if position in mention_starts:  # a cue word inside a phrase ("tos no productiva") is not a cue
            position += mention_starts[position]
            continue
        cue_length = _longest_match(tokens, position, cues, max_cue)
        if not cue_length:
            position += 1
            continue
        position += cue_length
        budget = NEGATION_SCOPE_TOKENS
        while position < len(tokens) and budget > 0:
            token = tokens[position]
            if token in SENTENCE_BREAKS or token in terminators:
                break
            if position in mention_starts:
                negated.add(position)
                position += mention_starts[position]
                budget -= 1
                continue
            if token not in LIST_CONNECTORS:
                budget -= 1
            position += 1
    return negated


def _post_negated(tokens: list[str], end: int) -> bool:
    """Return True when a mention ending at token ``end`` is followed by "negative"/"ausente"."""
    for token in tokens[end : end + 3]:
        if token in POST_NEGATION_CUES:
            return True
        if token not in {":", "-", "is", "was", "es", "esta", "were", "are"}:
            return False
    return False


def extract_mentions(text: str, *, lexicon: Mapping[str, str], lang: str | None = None) -> list[Mention]:
    """Find lexicon phrases in a note (longest first, ignoring case and accents); mark negated ones absent."""
    if not text or not lexicon:
        return []
    spans = _tokenize(text)
    tokens = [token for token, _, _ in spans]
    phrases = {_phrase_tokens(phrase): (phrase, hpo_id) for phrase, hpo_id in lexicon.items() if _phrase_tokens(phrase)}
    max_length = max(len(phrase) for phrase in phrases)
    mention_starts: dict[int, int] = {}
    position = 0
    while position < len(tokens):
        length = _longest_match(tokens, position, phrases, max_length)
        if length:
            mention_starts[position] = length
        position += max(length, 1)
    negated = _negated_positions(tokens, mention_starts, lang)
    mentions = []
    for start, length in mention_starts.items():
        term, hpo_id = phrases[tuple(tokens[start : start + length])]
        present = start not in negated and not _post_negated(tokens, start + length)
        mentions.append(
            Mention(
                term=term,
                hpo_id=hpo_id,
                present=present,
                span=(spans[start][1], spans[start + length - 1][2]),
            )
        )
    return mentions
