"""Read a free-text note (English or Spanish, lay or clinical) into coded findings.

:class:`NoteReader` indexes every way the vocabulary names a term — HPO names and EXACT, RELATED and NARROW
synonyms (never BROAD ones, which name something wider than the term), both curated lexicons and the note
phrases of ``ml/notes/phrases.csv`` — keyed word by word with :func:`ml.notes.stem.stem`, so inflections,
British spellings and ``_ - /`` separators meet. A note is matched longest phrase first, so "abdominal
cramps" is Abdominal cramps and not Muscle spasm; the site × quality patterns of :mod:`ml.notes.patterns`
then read "my neck hurts", and the scopes of :mod:`ml.notes.negation` say what is absent or uncertain.
"""

from __future__ import annotations

import csv
import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from ml.knowledge import DEFAULT_LEXICONS, KnowledgeBase, lexicon_language, read_lexicon
from ml.notes import negation, patterns
from ml.notes.stem import stem
from ml.notes.tokenize import tokenize, words

PHRASES_CSV = Path(__file__).with_name("phrases.csv")
# Words that say nothing about a finding, dropped before matching: "pain in my chest" reads "pain in chest".
FILLERS = frozenset({"my", "his", "her", "their", "your", "our", "the", "mi", "mis", "su", "sus", "tu", "tus",
                     "el", "la", "los", "las", "lo", "very", "really", "so", "muy", "bit", "little", "slight",
                     "slightly", "pretty", "quite", "bastante", "un poco", "poco"})
MAX_PHRASE_WORDS = 8
# Lower wins when several ids share a key: curated note phrases, names, lexicon terms, then synonyms.
RANK_PHRASE, RANK_NAME, RANK_LEXICON = 0.0, 1.0, 2.0
RANK_SYNONYM = {"EXACT": 3.0, "RELATED": 4.0, "NARROW": 5.0}
OTHER_LANGUAGE_PENALTY = 0.5
# Synonym texts of this many letters or fewer are abbreviations or fragments ("AS", "ALL", "Fit") that
# collide with ordinary words; curated lexicon and phrase rows are kept whatever their length.
MIN_SYNONYM_CHARS = 4
TERM, ABSENT_TERM, SITE, QUALITY, NULL = "term", "absent_term", "site", "quality", "null"
# Only phenotypic abnormalities are findings: the modifier, frequency, onset and inheritance branches name
# qualities of a finding ("Left", "Severe", "Sharp", "Chronic") that a note uses as plain words.
PHENOTYPIC_ABNORMALITY = "HP:0000118"


@dataclass(frozen=True, slots=True)
class Finding:
    """One coded finding: the term, whether it is present and certain, and the words of the note behind it."""

    hpo_id: str
    present: bool
    certain: bool
    start: int
    end: int
    text: str
    how: str  # "phrase" (a vocabulary phrase) or "pattern" (a site and a quality)


class _Entry(NamedTuple):
    """What a key means: its kind, the term, site, quality or cue it names, and the term it means alone."""

    kind: str
    value: str | None
    alone: str | None = None


def _term_entry(hpo_id: str | None) -> _Entry:
    """Return the entry of a vocabulary key: a term, a term said absent ("!HP:…"), or nothing."""
    if hpo_id is None:
        return _Entry(NULL, None)
    if hpo_id.startswith("!"):
        return _Entry(ABSENT_TERM, hpo_id[1:])
    return _Entry(TERM, hpo_id)


class _Unit(NamedTuple):
    """One matched phrase or single word of a note: token range and meaning."""

    first: int
    last: int  # exclusive
    entry: _Entry | None


def phrase_key(text: str) -> tuple[str, ...]:
    """Return the key of a phrase: its folded, stemmed words without fillers."""
    return tuple(stem(word) for word in words(text) if word not in FILLERS)


@functools.lru_cache(maxsize=1)
def _cue_entries() -> dict[tuple[str, ...], _Entry]:
    """Return the key of every negation, uncertainty and clause cue (both languages)."""
    entries: dict[tuple[str, ...], _Entry] = {}
    for kind, by_lang in negation.CUES.items():
        for cues in by_lang.values():
            for cue in cues:
                entries.setdefault(phrase_key(cue) or (cue,), _Entry(kind, cue))
    return entries


def _pattern_entries() -> dict[tuple[str, ...], _Entry]:
    """Return the key of every site and quality word of the patterns."""
    entries: dict[tuple[str, ...], _Entry] = {}
    for kind, groups in ((SITE, patterns.SITES), (QUALITY, patterns.QUALITIES)):
        for group, spellings in groups.items():
            for word in spellings:
                entries.setdefault(phrase_key(word), _Entry(kind, group))
    return entries


def read_phrases(path: Path = PHRASES_CSV) -> list[tuple[str, str | None, str]]:
    """Return the ``(phrase, hpo_id or None, lang)`` rows of the note phrases.

    No id means "not a finding" ("changes in temperature"); an id after ``!`` is a finding the phrase says is
    absent ("afebrile" is no fever).
    """
    with open(path, encoding="utf-8", newline="") as handle:
        return [(row["phrase"], row["hpo_id"].strip() or None, row["lang"].strip()) for row in csv.DictReader(handle)]


def _term_candidates(kb: KnowledgeBase, lexicons: Sequence[tuple[str, list]], phrases: Sequence[tuple]
                     ) -> Iterable[tuple[tuple[str, ...], str | None, float, str]]:
    """Yield ``(key, hpo_id or None, rank, lang)`` for every name, synonym, lexicon term and note phrase."""
    for phrase, hpo_id, lang in phrases:
        absent = bool(hpo_id) and hpo_id.startswith("!")
        current = kb.resolve_term_id(hpo_id.lstrip("!")) if hpo_id else None
        yield phrase_key(phrase), f"!{current}" if absent and current else current, RANK_PHRASE, lang
    phenotypic = _descendants(kb, PHENOTYPIC_ABNORMALITY)
    for index, term_id in enumerate(kb.term_ids):
        if term_id not in phenotypic or term_id in kb.obsolete_ids:
            continue
        yield phrase_key(kb.term_names[index]), term_id, RANK_NAME, "en"
        for synonym in kb.term_synonyms[index]:
            too_short = len(synonym.text) <= MIN_SYNONYM_CHARS or synonym.type == "abbreviation"
            if synonym.scope in RANK_SYNONYM and not too_short:
                yield phrase_key(synonym.text), term_id, RANK_SYNONYM[synonym.scope], "en"
    for lang, rows in lexicons:
        for term, hpo_id, register in rows:
            current = kb.resolve_term_id(hpo_id) if hpo_id else None
            if current is not None and register != "risk_factor":
                yield phrase_key(term), current, RANK_LEXICON, lang


def _descendants(kb: KnowledgeBase, term_id: str) -> frozenset[str]:
    """Return the ids of a term and every term below it."""
    column = kb.ancestor_closure[:, [kb.term_index[term_id]]].tocoo()
    return frozenset(kb.term_ids[row] for row in column.row)


def _best_terms(kb: KnowledgeBase, candidates: Iterable[tuple], lang: str | None) -> dict[tuple[str, ...], str | None]:
    """Return the id each key means: the best-ranked one; between ranked equals, the most specific if they nest.

    Keys whose best ids are unrelated terms are ambiguous and dropped; a curated phrase without an id keeps
    its key meaning nothing ("changes in temperature" is no fever).
    """
    best: dict[tuple[str, ...], tuple[float, set[str | None]]] = {}
    for key, hpo_id, rank, entry_lang in candidates:
        if not key or len(key) > MAX_PHRASE_WORDS:
            continue
        rank += OTHER_LANGUAGE_PENALTY if lang and entry_lang and entry_lang != lang else 0.0
        known = best.get(key)
        if known is None or rank < known[0]:
            best[key] = (rank, {hpo_id})
        elif rank == known[0]:
            known[1].add(hpo_id)
    chosen: dict[tuple[str, ...], str | None] = {}
    for key, (_, ids) in best.items():
        if len(ids) == 1:
            chosen[key] = next(iter(ids))
            continue
        deepest = _most_specific(kb, ids)
        if deepest is not None:
            chosen[key] = deepest
    return chosen


def _most_specific(kb: KnowledgeBase, ids: set[str | None]) -> str | None:
    """Return the id that descends from all the others, or None when they do not nest."""
    if None in ids or any(hpo_id.startswith("!") for hpo_id in ids):
        return None
    for candidate in ids:
        if ids <= kb.ancestors_of(candidate):
            return candidate
    return None


_READERS: dict[tuple[str, str], NoteReader] = {}


def reader_for(kb: KnowledgeBase) -> NoteReader:
    """Return the reader over ``kb`` (curated files, no admin mappings), built once per process per build."""
    key = (str(kb.path), kb.content_hash)
    if key not in _READERS:
        _READERS.clear()  # a rebuilt knowledge base replaces the old reader; never keep two
        _READERS[key] = NoteReader.build(kb)
    return _READERS[key]


class NoteReader:
    """Find present, absent and uncertain HPO findings in English and Spanish notes."""

    def __init__(self, index: Mapping[tuple[str, ...], _Entry], *, pain_id: str | None) -> None:
        self.index = dict(index)
        self.pain_id = pain_id
        lengths: dict[str, set[int]] = {}
        for key in self.index:
            lengths.setdefault(key[0], set()).add(len(key))
        self._lengths = {first: tuple(sorted(found, reverse=True)) for first, found in lengths.items()}

    @classmethod
    def build(cls, kb: KnowledgeBase, *, lexicon_paths: Sequence[Path] = DEFAULT_LEXICONS,
              phrases_path: Path = PHRASES_CSV, mappings: Mapping[tuple[str, str], str | None] = {},  # noqa: B006
              lang: str | None = None) -> NoteReader:
        """Index the whole vocabulary of ``kb`` (names, synonyms, lexicons, note phrases, admin mappings)."""
        lexicons = [(lexicon_language(path), read_lexicon(path)) for path in lexicon_paths]
        phrases = read_phrases(phrases_path)
        mapped = [(text, target, "") for (kind, text), target in mappings.items() if kind == "symptom"]
        terms = _best_terms(kb, _term_candidates(kb, lexicons, [*mapped, *phrases]), lang)
        index: dict[tuple[str, ...], _Entry] = {key: _term_entry(hpo_id) for key, hpo_id in terms.items()}
        for key, entry in _pattern_entries().items():
            alone = terms.get(key)
            index[key] = entry._replace(alone=alone if alone and not alone.startswith("!") else None)
        for key, entry in _cue_entries().items():
            if key not in terms or entry.kind in (negation.BREAK, negation.CONNECTOR, negation.COPULA):
                index[key] = entry
        return cls(index, pain_id=kb.resolve_term_id("HP:0012531"))

    @classmethod
    def from_vocabulary(cls, vocabulary, **options) -> NoteReader:
        """Build the reader over a ``ml.knowledge.Vocabulary``'s knowledge base and admin mappings."""
        return cls.build(vocabulary.kb, mappings=vocabulary.mappings, **options)

    # ------------------------------------------------------------------------------------------- reading

    def read(self, text: str, lang: str | None = None) -> list[Finding]:
        """Return the findings of a note in reading order, each with its span and the words behind it.

        Both languages' words and cues are always read (notes mix them); ``lang`` is accepted for the
        ingestion interface and does not change the result. Ties between the languages' lexicons are settled
        once, at build time (``NoteReader.build(lang=...)``).
        """
        if not isinstance(text, str) or not text.strip():
            return []
        tokens = [token for token in tokenize(text) if token.text not in FILLERS]
        units = self._units([stem(token.text) for token in tokens])
        kinds = [_scope_kind(unit.entry) for unit in units]
        flags = negation.scopes(kinds)
        findings = []
        for positions, hpo_id, how in self._coded(units):
            covering = frozenset().union(*(flags[position] for position in positions))
            if negation.OTHER in covering:
                continue  # a relative's finding, not the patient's
            first, last = units[min(positions)].first, units[max(positions)].last - 1
            start, end = tokens[first].start, tokens[last].end
            said_absent = len(positions) == 1 and units[positions[0]].entry.kind == ABSENT_TERM
            findings.append(Finding(hpo_id=hpo_id, present=negation.NEGATION not in covering and not said_absent,
                                    certain=negation.UNCERTAINTY not in covering, start=start, end=end,
                                    text=text[start:end], how=how))
        return sorted(findings, key=lambda finding: finding.start)

    def mentions(self, note: str, lang: str | None = None) -> list[tuple[str, bool]]:
        """Return ``(hpo_id, present)`` per finding ingestion keeps: certain ones, once per id, present winning."""
        found: dict[str, bool] = {}
        for finding in self.read(note, lang=lang):
            if finding.certain:
                found[finding.hpo_id] = found.get(finding.hpo_id, False) or finding.present
        return list(found.items())

    def _units(self, keys: Sequence[str]) -> list[_Unit]:
        """Cut a note's keys into units, the longest indexed phrase first at each position."""
        units, position, index, lengths = [], 0, self.index, self._lengths
        while position < len(keys):
            entry, size = None, 1
            for length in lengths.get(keys[position], ()):
                if position + length <= len(keys):
                    found = index.get(tuple(keys[position : position + length]))
                    if found is not None:
                        entry, size = found, length
                        break
            units.append(_Unit(position, position + size, entry))
            position += size
        return units

    def _coded(self, units: Sequence[_Unit]) -> list[tuple[tuple[int, ...], str, str]]:
        """Return ``(unit positions, hpo_id, how)`` for terms, site × quality pairs and lone qualities."""
        coded = [((position,), unit.entry.value, "phrase") for position, unit in enumerate(units)
                 if unit.entry is not None and unit.entry.kind in (TERM, ABSENT_TERM)]
        sites = {position: unit.entry.value for position, unit in enumerate(units)
                 if unit.entry is not None and unit.entry.kind == SITE}
        qualities = {position: unit.entry.value for position, unit in enumerate(units)
                     if unit.entry is not None and unit.entry.kind == QUALITY}
        barriers = frozenset(position for position, unit in enumerate(units) if _is_barrier(unit.entry))
        glue = frozenset(position for position, unit in enumerate(units) if _is_glue(unit.entry))
        connectors = frozenset(position for position, unit in enumerate(units)
                               if unit.entry is not None and unit.entry.kind in (negation.CONNECTOR, negation.COMMA))
        paired = set()
        for site_position, quality_position, hpo_id in patterns.pair(sites, qualities, barriers=barriers, glue=glue,
                                                                     connectors=connectors):
            coded.append(((site_position, quality_position), hpo_id, "pattern"))
            paired.update((site_position, quality_position))
        for position in [*qualities, *sites]:
            entry = units[position].entry
            alone = entry.alone or (patterns.ALONE.get(entry.value) if entry.kind == QUALITY else None)
            if position not in paired and alone:
                coded.append(((position,), alone, "phrase"))
        return coded


def _scope_kind(entry: _Entry | None) -> str:
    """Return the kind of unit the negation scopes see."""
    if entry is None or entry.kind == NULL:
        return negation.WORD
    return negation.FINDING if entry.kind in (TERM, ABSENT_TERM, SITE, QUALITY) else entry.kind


def _is_barrier(entry: _Entry | None) -> bool:
    """Return whether a unit ends the reach of a site × quality pair (a clause mark, a contrast, a term)."""
    return entry is not None and entry.kind in (TERM, ABSENT_TERM, NULL, negation.BREAK, negation.STOP)


def _is_glue(entry: _Entry | None) -> bool:
    """Return whether a unit is free inside a site × quality pair (list glue, another site, a cue, a copula)."""
    glue = (SITE, negation.CONNECTOR, negation.COMMA, negation.COPULA, negation.NEGATION, negation.VERB_STOP)
    return entry is not None and entry.kind in glue
