"""Fold texts into lookup keys, read the curated lexicons, and index keys for exact, prefix and typo search.
"""


from __future__ import annotations

import bisect
import csv
import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NamedTuple

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Indel

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
DEFAULT_LEXICONS: tuple[Path, ...] = (DATA_DIR / "lexicon_en.csv", DATA_DIR / "lexicon_es.csv")
KINDS = ("symptom", "disease")
METHODS = ("id", "exact", "synonym", "lexicon", "mapping", "fuzzy", "risk_factor", "none")

# Longest raw text worth matching: symptom phrases and disease names are short; a longer cell is a note or junk.
MAX_QUERY_CHARS = 300
# Typo tolerance, as rapidfuzz.fuzz.ratio (100 x (1 - indel distance / total length)) on folded keys.
# 85 accepts one dropped or added letter in a 4-letter word ("fevr" → fever, 88.9), one changed letter in 7+
# letters ("headahce" 87.5, "diarhea" 93.3, "vomitting" 94.1), but not a changed letter in a short word
# ("rash"/"rush" 75, "fievre"/"fiebre" 83.3), where a slip as often makes another word as a typo.
FUZZY_ACCEPT = 85.0
# Between keys of as many words, each word must stay this close to its counterpart: "manchas en la piel" is
# 90.9 from "marcas en la piel" overall, but "mancha"/"marca" (72.7) is another word, not a typo.
FUZZY_WORD_ACCEPT = 75.0
# A typo is accepted only when its best id beats the next id by this much; closer calls go to a human.
FUZZY_MARGIN = 3.0
# Below this score a key is not even worth suggesting.
FUZZY_SUGGEST = 70.0
# Keys shorter than this are never fuzzy-matched: every 2-letter string is one edit from dozens of abbreviations.
FUZZY_MIN_CHARS = 4
N_CANDIDATES = 5
# A prefix hitting more word suffixes than this (one or two letters) is completed by walking keys best first
# instead of ranking every hit, which keeps every completion under a few milliseconds.
AUTOCOMPLETE_SCAN = 2_000

# Rank of an entry within one key: lower wins a collision; equal best ranks with different ids are ambiguous.
RANK_NAME = 0
RANK_LEXICON = 1
RANK_SYNONYM = {"EXACT": 2, "RELATED": 3, "NARROW": 4, "BROAD": 5}
RANK_OBSOLETE_NAME = 6
OTHER_LANGUAGE_PENALTY = 0.5
RANK_HPOA_DISEASE = 2
# Ties between sources naming the same rare disease: Orphanet describes clinical entities, OMIM often splits
# them by gene, DECIPHER lists chromosomal syndromes that Orphanet also has.
SOURCE_PREFERENCE = {"ORPHA": 0.1, "OMIM": 0.2, "DECIPHER": 0.3}

_APOSTROPHES = str.maketrans("", "", "'’`´")
_NON_WORD = re.compile(r"[\W_]+")
_COMBINING = re.compile(r"[\u0300-\u036f]")
# British ae/oe before a consonant is e in American spelling (haemorrhage, oedema, anaemia, oesophagus, faeces);
# a final -oes/-aes is a plural (toes, does), left alone.
_BRITISH_DIGRAPH = re.compile(r"[ao]e(?=[b-df-hj-np-tv-z])(?!s\b)")
_HPO_ID = re.compile(r"^(?:HTTPS?://PURL\.OBOLIBRARY\.ORG/OBO/)?HP[\s:_-]*(\d{1,7})$")
_OMIM_ID = re.compile(r"^(?:OMIM|MIM)[\s:_#-]*(\d{6})$")
_ORPHA_ID = re.compile(r"^(?:ORPHA|ORPHANET)[\s:_-]*(\d{1,7})$")
_DECIPHER_ID = re.compile(r"^DECIPHER[\s:_-]*(\d{1,5})$")
_ICD10_CODE = re.compile(r"^(?:ICD[\s-]*10(?:[\s-]*CM)?[\s:_-]*)?([A-Z]\d{2})(?:\.?([0-9A-Z]{1,4}))?$")
# Spanish plurals of words ending in a consonant add -es (dolor → dolores, ardor → ardores, voz → voces).
_SPANISH_PLURAL = re.compile(r"(?<=[a-z]{2}[rlndj])es$")
_SPANISH_PLURAL_CES = re.compile(r"(?<=[a-z]{2})ces$")


class Entry(NamedTuple):
    """One way of naming an id: the text as written, how it was learnt, its rank and its language."""

    id: str | None
    text: str
    method: str
    rank: float
    lang: str = ""


# ------------------------------------------------------------------------------------------ normalising


def _fold_plural(token: str) -> str:
    """Fold an English or Spanish plural to a stem both the singular and plural share."""
    if token[-1:] != "s" or len(token) < 4 or not token.isalpha():
        return token
    if token.endswith("ies") and len(token) > 4:
        return token[:-3] + "y"
    if token.endswith(("ches", "shes", "xes", "sses")):
        return token[:-2]
    if token.endswith(("ss", "us", "is")):
        return token
    return token[:-1]


def _words(text: str) -> list[str]:
    """Return the words of a text with case, accents, apostrophes, punctuation and underscores folded away."""
    if not text.isascii():
        text = _COMBINING.sub("", unicodedata.normalize("NFKD", text))
    folded = _BRITISH_DIGRAPH.sub("e", text.casefold().translate(_APOSTROPHES))
    return _NON_WORD.sub(" ", folded).split()


@functools.lru_cache(maxsize=65_536)
def _normalize(text: str) -> str:
    return " ".join(map(_fold_plural, _words(text)))


def normalize_text(raw: object) -> str:
    """Fold case, accents, apostrophes, punctuation, underscores, whitespace, plurals and British ae/oe into a key."""
    if not isinstance(raw, str) or len(raw) > MAX_QUERY_CHARS:
        return ""
    return _normalize(raw)


def spanish_singular_key(raw: str) -> str:
    """Return the key of a text with its Spanish consonant plurals made singular (dolores → dolor, voces → voz)."""
    words = [_SPANISH_PLURAL_CES.sub("z", _SPANISH_PLURAL.sub("", word)) for word in _words(raw)]
    return " ".join(map(_fold_plural, words))


def _query_text(raw: object) -> str:
    """Return the raw input as text for ``Match.query``, cut to a sane length."""
    if isinstance(raw, str):
        return raw[:MAX_QUERY_CHARS]
    return str(raw) if isinstance(raw, int | float) else ""


def _id_text(raw: object) -> str:
    """Return the raw input upper-cased with its whitespace collapsed, for id patterns."""
    return " ".join(raw.split()).upper() if isinstance(raw, str) and len(raw) <= 100 else ""


# ------------------------------------------------------------------------------------------- lexicons


def lexicon_language(path: Path) -> str:
    """Return the language of a lexicon file from its name: ``lexicon_es.csv`` → ``es``."""
    stem = Path(path).stem
    return stem.rsplit("_", 1)[-1] if "_" in stem else ""


def read_lexicon(path: Path) -> list[tuple[str, str | None, str]]:
    """Return the ``(term, hpo_id or None, register)`` rows of one lexicon CSV."""
    with open(path, encoding="utf-8", newline="") as handle:
        return [
            (row["term"], (row["hpo_id"] or "").strip() or None, (row.get("register") or "").strip())
            for row in csv.DictReader(handle)
        ]


# ------------------------------------------------------------------------------------------------ index


class _Index:
    """Keys of one kind: entries per key, keys by length for typo search, word suffixes for prefixes."""

    def __init__(self, entries: Iterable[tuple[str, Entry]]) -> None:
        by_key: dict[str, set[Entry]] = {}
        for key, entry in entries:
            if key:
                by_key.setdefault(key, set()).add(entry)
        self.entries: dict[str, tuple[Entry, ...]] = {
            key: tuple(sorted(found, key=lambda entry: (entry.rank, entry.text))) for key, found in by_key.items()
        }
        self.keys_by_length: list[str] = sorted(self.entries, key=len)
        self._lengths: list[int] = [len(key) for key in self.keys_by_length]
        # One plain string per word start, "suffix\0key": sorting and bisecting strings beats tuples threefold.
        self.suffixes: list[str] = sorted(
            f"{key[start:]}\0{key}" for key in self.entries for start in _word_starts(key)
        )
        # Keys best first regardless of prefix, per typing language, for prefixes too short to rank every hit.
        self._by_quality: dict[str | None, list[str]] = {}

    def prefixed(self, prefix: str) -> list[tuple[str, bool]]:
        """Return ``(key, starts_inside)`` for every key having a word that starts with ``prefix``."""
        start = bisect.bisect_left(self.suffixes, prefix)
        stop = bisect.bisect_left(self.suffixes, prefix + "\uffff", lo=start)
        return [
            (key, len(suffix) < len(key)) for suffix, key in (item.split("\0") for item in self.suffixes[start:stop])
        ]

    def n_prefixed(self, prefix: str) -> int:
        """Return how many word starts ``prefix`` hits."""
        start = bisect.bisect_left(self.suffixes, prefix)
        return bisect.bisect_left(self.suffixes, prefix + "\uffff", lo=start) - start

    def by_quality(self, lang: str | None) -> list[str]:
        """Return every key ordered by its best entry's rank for ``lang``, then by length (built on first use)."""
        if lang not in self._by_quality:
            # Entries are sorted by base rank, so the first is the best unless a language penalty reorders them.
            rank = {
                key: min(map(functools.partial(_effective_rank, lang=lang), found)) if len(found) > 1 else found[0].rank
                for key, found in self.entries.items()
            }
            self._by_quality[lang] = sorted(self.entries, key=lambda key: (rank[key], len(key), key))
        return self._by_quality[lang]

    def closest(self, key: str, *, limit: int, score_cutoff: float) -> list[tuple[str, float]]:
        """Return up to ``limit`` keys with their ``fuzz.ratio`` to ``key``, best first, above ``score_cutoff``."""
        # ratio = 2·matches / (len a + len b) can reach the cutoff only when the lengths are close: slicing the
        # length-sorted keys to that band makes a typo search several times faster than scanning every key.
        stretch = 200.0 / score_cutoff - 1.0
        low = bisect.bisect_left(self._lengths, int(len(key) / stretch))
        high = bisect.bisect_right(self._lengths, int(len(key) * stretch) + 1)
        found = process.extract(
            key, self.keys_by_length[low:high], scorer=fuzz.ratio, limit=limit, score_cutoff=score_cutoff
        )
        return [(choice, score) for choice, score, _ in found]


def _words_alike(key: str, other: str) -> bool:
    """Return whether two keys of as many words differ only by typos within words, not by a changed word."""
    words, other_words = key.split(), other.split()
    if len(words) != len(other_words):
        # Words split or merged ("head ache") are a slip; a word more or less ("gi hemorrhage") is another term.
        return Indel.distance("".join(words), "".join(other_words)) <= 1
    pairs = zip(words, other_words, strict=True)
    return all(fuzz.ratio(word, other_word) >= FUZZY_WORD_ACCEPT for word, other_word in pairs)


def _word_starts(key: str) -> Iterable[int]:
    """Yield the offsets where the words of a key start."""
    start = 0
    while start >= 0:
        yield start
        start = key.find(" ", start) + 1 or -1


def _effective_rank(entry: Entry, lang: str | None) -> float:
    """Return an entry's rank for a query in ``lang``: the other language's lexicon loses ties."""
    return entry.rank + (OTHER_LANGUAGE_PENALTY if lang and entry.lang and entry.lang != lang else 0.0)


def _best_entries(entries: Sequence[Entry], lang: str | None) -> list[Entry]:
    """Return the entries of the best rank level (whole part of the rank), best first, one per id."""
    ranked = sorted(entries, key=lambda entry: _effective_rank(entry, lang))
    level = int(_effective_rank(ranked[0], lang))
    chosen: dict[str | None, Entry] = {}
    for entry in ranked:
        if int(_effective_rank(entry, lang)) == level:
            chosen.setdefault(entry.id, entry)
    return list(chosen.values())


