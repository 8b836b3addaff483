"""Normalise raw symptom and disease texts to knowledge-base ids, and complete typed prefixes.

A :class:`Vocabulary` is built once from a loaded :class:`ml.knowledge.KnowledgeBase`, the curated lexicons
(``data/lexicon_<lang>.csv``) and the admins' decisions (``mappings``). Every text is folded by
:func:`normalize_text` into a key; a match tries, in order:

1. an admin mapping for that key (method ``mapping``; a ``None`` mapping means "ignored, not a term");
2. an id: ``HP:0001945``, ``hp_0001945``, ``HP 1945``, the PURL form; alt and obsolete ids follow their
   replacement (method ``id``). Diseases: ``OMIM:154700``/``MIM 154700``, ``ORPHA:558``/``Orphanet:558``,
   ``DECIPHER:1``, and ICD-10 codes with or without the dot or the ``ICD10:`` prefix; a three-character
   code stands for the one catalogue disease under it;
3. the key itself: names (``exact``), curated lexicon terms (``lexicon``; ``risk_factor`` for the Kaggle
   exposure columns, which carry no id), then HPO synonyms (``synonym``, EXACT before RELATED, NARROW,
   BROAD), then the names of obsolete terms, which lead to their replacement;
4. a Spanish-plural variant of the key (``dolores`` → ``dolor``);
5. typos: the best key by :func:`rapidfuzz.fuzz.ratio` when it scores at least :data:`FUZZY_ACCEPT` and
   beats every other id by :data:`FUZZY_MARGIN` (method ``fuzzy``).

Texts that tie between several ids at the best level, or that stay below the threshold, come back with
method ``none`` and the closest ids as ``candidates``, for a human to decide. When a preference breaks the
tie (the same rare disease under ORPHA, OMIM and DECIPHER; a lexicon term of the query's language) the
match keeps the other ids as ``candidates``. Bad input of any kind
(``None``, numbers, empty or huge strings, control characters) gives ``none`` and never raises.
"""


from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ml.knowledge.artifact import KnowledgeBase
from ml.knowledge.index import (
    _DECIPHER_ID,
    _HPO_ID,
    _ICD10_CODE,
    _OMIM_ID,
    _ORPHA_ID,
    AUTOCOMPLETE_SCAN,
    DEFAULT_LEXICONS,
    FUZZY_ACCEPT,
    FUZZY_MARGIN,
    FUZZY_MIN_CHARS,
    FUZZY_SUGGEST,
    N_CANDIDATES,
    RANK_HPOA_DISEASE,
    RANK_LEXICON,
    RANK_NAME,
    RANK_OBSOLETE_NAME,
    RANK_SYNONYM,
    SOURCE_PREFERENCE,
    Entry,
    _best_entries,
    _effective_rank,
    _id_text,
    _Index,
    _normalize,
    _query_text,
    _words_alike,
    lexicon_language,
    normalize_text,
    read_lexicon,
    spanish_singular_key,
)
from ml.knowledge.obo import ROOT_TERM_ID


@dataclass(frozen=True)
class Match:
    """The outcome of normalising one raw text."""

    query: str
    id: str | None
    name: str | None
    method: str
    score: float
    candidates: tuple[tuple[str, str, float], ...] = ()

    @property
    def matched(self) -> bool:
        """Return whether the text maps to an id (risk factors and ignored texts are known but unmatched)."""
        return self.id is not None


# ------------------------------------------------------------------------------------------- vocabulary


class Vocabulary:
    """Symptom and disease vocabularies over one knowledge base, with admin mappings on top."""

    def __init__(
        self,
        kb: KnowledgeBase,
        *,
        symptoms: _Index,
        diseases: _Index,
        names_es: Mapping[str, str],
        mappings: Mapping[tuple[str, str], str | None],
    ) -> None:
        self.kb = kb
        self._symptoms = symptoms
        self._diseases = diseases
        self._names_es = names_es
        self._icd10 = {
            code.replace(".", ""): kb.disease_ids[index] for index, code in enumerate(kb.disease_icd10) if code
        }
        self.mappings = self._resolve_mappings(mappings)
        # Ingestion sees the same few hundred cells over and over; caching per instance makes repeats free.
        self._cached_symptom = functools.lru_cache(maxsize=50_000)(self._match_symptom)
        self._cached_disease = functools.lru_cache(maxsize=20_000)(self._match_disease)

    @classmethod
    def build(
        cls,
        kb: KnowledgeBase,
        *,
        lexicon_paths: Sequence[Path] = DEFAULT_LEXICONS,
        mappings: Mapping[tuple[str, str], str | None] = {},  # noqa: B006 - read only, the contract's default
    ) -> Vocabulary:
        """Index every name, synonym and lexicon term of ``kb`` and the lexicons, plus admin ``mappings``."""
        lexicons = [(lexicon_language(path), read_lexicon(path)) for path in lexicon_paths]
        symptoms, diseases = _Index(_symptom_entries(kb, lexicons)), _Index(_disease_entries(kb))
        for lang in ("en", "es"):  # warm the completion orders, so the first keystroke is as fast as the rest
            symptoms.by_quality(lang)
            diseases.by_quality(lang)
        return cls(kb, symptoms=symptoms, diseases=diseases, names_es=_spanish_names(kb, lexicons), mappings=mappings)

    def with_mappings(self, mappings: Mapping[tuple[str, str], str | None]) -> Vocabulary:
        """Return a vocabulary sharing this one's indexes, with other admin mappings (cheap)."""
        return Vocabulary(
            self.kb, symptoms=self._symptoms, diseases=self._diseases, names_es=self._names_es, mappings=mappings
        )

    def _resolve_mappings(self, mappings: Mapping[tuple[str, str], str | None]) -> dict[tuple[str, str], str | None]:
        """Key mappings by folded text and bring symptom ids to their current term."""
        resolved = {}
        for (kind, text), target in mappings.items():
            if kind == "symptom" and target is not None:
                target = self.kb.resolve_term_id(target) or target
            resolved[(kind, normalize_text(text))] = target
        return resolved

    # -------------------------------------------------------------------------------------------- names

    def symptom_name(self, term_id: str, *, lang: str | None = None) -> str:
        """Return a term's display name, in Spanish when ``lang == "es"`` and the lexicon has one."""
        if lang == "es" and term_id in self._names_es:
            return self._names_es[term_id]
        return self.kb.term_name(term_id)

    def disease_name(self, disease_id: str, *, lang: str | None = None) -> str:
        """Return a disease's display name, in Spanish when ``lang == "es"`` and the catalogue has one."""
        index = self.kb.disease_index[disease_id]
        return (lang == "es" and self.kb.disease_names_es[index]) or self.kb.disease_names[index]

    def is_symptom_id(self, term_id: object) -> bool:
        """Return whether ``term_id`` is a current HPO term id (as typed by an admin)."""
        return isinstance(term_id, str) and self.kb.resolve_term_id(term_id) == term_id.strip().upper()

    def is_disease_id(self, disease_id: object) -> bool:
        """Return whether ``disease_id`` is a disease of the knowledge base."""
        return isinstance(disease_id, str) and disease_id in self.kb.disease_index

    # -------------------------------------------------------------------------------------------- match

    def match_symptom(self, raw: object, *, lang: str | None = None) -> Match:
        """Return the HPO term for a raw symptom text (name, synonym, lexicon term, id, typo)."""
        if not isinstance(raw, str) or lang not in (None, "en", "es"):
            return Match(_query_text(raw), None, None, "none", 0.0)
        return self._cached_symptom(raw, lang)

    def match_disease(self, raw: object) -> Match:
        """Return the knowledge-base disease for a raw name, alias, ICD-10 code or OMIM/Orphanet/DECIPHER id."""
        if not isinstance(raw, str):
            return Match(_query_text(raw), None, None, "none", 0.0)
        return self._cached_disease(raw)

    def _match_symptom(self, raw: str, lang: str | None) -> Match:
        query, key = _query_text(raw), normalize_text(raw)
        if not key:
            return Match(query, None, None, "none", 0.0)
        name = functools.partial(self.symptom_name, lang=lang)
        if ("symptom", key) in self.mappings:
            return self._mapped(query, self.mappings[("symptom", key)], name)
        by_id = self._symptom_by_id(query, raw, name)
        if by_id is not None:
            return by_id
        return self._match_key(query, key, self._symptoms, name, lang=lang)

    def _match_disease(self, raw: str) -> Match:
        query, key = _query_text(raw), normalize_text(raw)
        if not key:
            return Match(query, None, None, "none", 0.0)
        name = self.disease_name
        if ("disease", key) in self.mappings:
            return self._mapped(query, self.mappings[("disease", key)], name)
        by_id = self._disease_by_id(query, raw)
        if by_id is not None:
            return by_id
        return self._match_key(query, key, self._diseases, name, lang=None)

    @staticmethod
    def _mapped(query: str, target: str | None, name) -> Match:
        """Return the match an admin decided; ``None`` means the text was ignored."""
        if target is None:
            return Match(query, None, None, "mapping", 100.0)
        try:
            return Match(query, target, name(target), "mapping", 100.0)
        except KeyError:  # a mapping to an id this knowledge base no longer has
            return Match(query, None, None, "none", 0.0)

    def _symptom_by_id(self, query: str, raw: object, name) -> Match | None:
        """Return the match for an HPO id, following alt ids and replacements, or ``None`` if not an id."""
        found = _HPO_ID.match(_id_text(raw))
        if found is None:
            return None
        term_id = f"HP:{int(found.group(1)):07d}"
        current = self.kb.resolve_term_id(term_id)
        if current is not None:
            return Match(query, current, name(current), "id", 100.0)
        considered = self.kb.consider.get(term_id, ())
        candidates = tuple((other, name(other), 0.0) for other in considered if other in self.kb.term_index)
        return Match(query, None, None, "none", 0.0, candidates)

    def _disease_by_id(self, query: str, raw: object) -> Match | None:
        """Return the match for a disease id or ICD-10 code, or ``None`` if the text is not one."""
        text = _id_text(raw)
        for pattern, prefix in ((_OMIM_ID, "OMIM"), (_ORPHA_ID, "ORPHA"), (_DECIPHER_ID, "DECIPHER")):
            found = pattern.match(text)
            if found is not None:
                disease_id = f"{prefix}:{int(found.group(1)) if prefix != 'OMIM' else found.group(1)}"
                if disease_id in self.kb.disease_index:
                    return Match(query, disease_id, self.disease_name(disease_id), "id", 100.0)
                return Match(query, None, None, "none", 0.0)
        found = _ICD10_CODE.match(text)
        return self._icd10_match(query, *found.groups()) if found is not None else None

    def _icd10_match(self, query: str, category: str, detail: str | None) -> Match:
        """Return the catalogue disease for an ICD-10 code, or its single catalogue child for a category."""
        disease_id = self._icd10.get(category + (detail or ""))
        if disease_id is not None:
            return Match(query, disease_id, self.disease_name(disease_id), "id", 100.0)
        under = sorted({found for code, found in self._icd10.items() if code.startswith(category)})
        if detail is None and len(under) == 1:
            return Match(query, under[0], self.disease_name(under[0]), "id", 100.0)
        candidates = tuple((other, self.disease_name(other), 0.0) for other in under[:N_CANDIDATES])
        return Match(query, None, None, "none", 0.0, candidates)

    def _match_key(self, query: str, key: str, index: _Index, name, *, lang: str | None) -> Match:
        """Return the match for a folded key: exact kinds first, then a Spanish singular, then typos."""
        for variant in dict.fromkeys((key, spanish_singular_key(query))):
            entries = index.entries.get(variant)
            if entries:
                return self._exact_match(query, entries, name, lang=lang)
        return self._fuzzy_match(query, key, index, name, lang=lang)

    @staticmethod
    def _exact_match(query: str, entries: Sequence[Entry], name, *, lang: str | None) -> Match:
        """Return the best entry's id (with the other ids of its level as candidates), or ``none`` on a tie."""
        best = _best_entries(entries, lang)
        candidates = tuple((entry.id, name(entry.id), 100.0) for entry in best if entry.id)[:N_CANDIDATES]
        if len(best) > 1 and _effective_rank(best[0], lang) == _effective_rank(best[1], lang):
            return Match(query, None, None, "none", 0.0, candidates)
        entry = best[0]
        return Match(query, entry.id, name(entry.id) if entry.id else None, entry.method, 100.0, candidates[1:])

    def _fuzzy_match(self, query: str, key: str, index: _Index, name, *, lang: str | None) -> Match:
        """Return the typo match when one id clearly wins, else ``none`` with the closest ids as candidates."""
        if len(key) < FUZZY_MIN_CHARS:
            return Match(query, None, None, "none", 0.0)
        # A first, narrow search decides acceptance (keys below ACCEPT - MARGIN cannot change it) about three
        # times faster than the wide one, which runs only to collect suggestions for a text left to a human.
        for cutoff in (FUZZY_ACCEPT - FUZZY_MARGIN, FUZZY_SUGGEST):
            ranked = self._closest_ids(key, index, lang=lang, score_cutoff=cutoff)
            candidates = tuple((found, name(found), round(score, 1)) for found, (score, _) in ranked[:N_CANDIDATES])
            if ranked:
                best_id, (best_score, best_key) = ranked[0]
                runner_up = ranked[1][1][0] if len(ranked) > 1 else 0.0
                if (
                    best_score >= FUZZY_ACCEPT
                    and best_score - runner_up >= FUZZY_MARGIN
                    and _words_alike(key, best_key)
                ):
                    return Match(query, best_id, name(best_id), "fuzzy", round(best_score, 1), candidates)
        return Match(query, None, None, "none", 0.0, candidates)

    @staticmethod
    def _closest_ids(key: str, index: _Index, *, lang: str | None, score_cutoff: float) -> list:
        """Return ``[(id, (score, key))]`` for the ids of the keys closest to ``key``, best first."""
        scored: dict[str, tuple[float, str]] = {}
        for choice, score in index.closest(key, limit=20, score_cutoff=score_cutoff):
            for entry in _best_entries(index.entries[choice], lang):
                if entry.id is not None and score > scored.get(entry.id, (-1.0, ""))[0]:
                    scored[entry.id] = (score, choice)
        return sorted(scored.items(), key=lambda item: (-item[1][0], item[0]))

    # ------------------------------------------------------------------------------------- autocomplete

    def autocomplete(self, prefix: str, *, lang: str = "en", limit: int = 10, kind: str = "symptom") -> list[dict]:
        """Return up to ``limit`` ``{id, name, matched}`` for the terms (or diseases) a typed prefix may mean.

        An id (``HP:0001945``, ``hp_0001945``, an alt or obsolete id; ``ORPHA:558``, ``J11.1`` for diseases)
        gives its current term alone. Otherwise a key equal to the typed text comes first (``fatiga`` is the
        lexicon's Fatigue before the name Fatigable weakness), then keys starting with the prefix, then keys
        with a later word starting with it; within each, the typing language's lexicon, then names, then short
        keys. A prefix matching nothing falls back to the closest keys by typo score. ``matched`` is the id,
        name, synonym or lexicon term that was found.
        """
        key = normalize_text(prefix)
        if not key or limit < 1:
            return []
        name = self.disease_name if kind == "disease" else self.symptom_name
        by_id = self._autocomplete_id(prefix, kind)
        if by_id is not None:
            return [{"id": found, "name": name(found, lang=lang), "matched": text} for found, text in by_id[:limit]]
        index = self._diseases if kind == "disease" else self._symptoms
        if index.n_prefixed(key) > AUTOCOMPLETE_SCAN:
            chosen = _complete_by_quality(index, key, lang=lang, limit=limit)
        else:
            chosen = _complete_by_rank(index, index.prefixed(key), lang=lang, limit=limit)
        if not chosen and len(key) >= FUZZY_MIN_CHARS:
            chosen = _complete_by_typo(index, key, lang=lang, limit=limit)
        chosen = dict(list({**_complete_exact(index, key, lang=lang), **chosen}.items())[:limit])
        return [{"id": found, "name": name(found, lang=lang), "matched": entry.text} for found, entry in chosen.items()]

    def _autocomplete_id(self, prefix: str, kind: str) -> list[tuple[str, str]] | None:
        """Return ``[(id, matched)]`` when the typed text is an id (its term, or what an obsolete one suggests)."""
        query = _query_text(prefix).strip()
        if kind == "disease":
            match = self._disease_by_id(query, prefix)
        else:
            match = self._symptom_by_id(query, prefix, self.symptom_name)
        if match is None:
            return None
        if match.id:
            return [(match.id, query)]
        return [(candidate_id, query) for candidate_id, _, _ in match.candidates]


def _complete_exact(index: _Index, key: str, *, lang: str) -> dict[str, Entry]:
    """Return the entries whose key is exactly the typed text, best first: what was typed is what is meant."""
    ranked = sorted(_completable(index.entries.get(key, ())), key=lambda entry: _effective_rank(entry, lang))
    chosen: dict[str, Entry] = {}
    for entry in ranked:
        chosen.setdefault(entry.id, entry)
    return chosen


def _completable(entries: Iterable[Entry]) -> Iterable[Entry]:
    """Yield the entries worth offering while typing: not risk factors, not names of obsolete terms."""
    return (entry for entry in entries if entry.id is not None and entry.rank < RANK_OBSOLETE_NAME)


def _complete_by_rank(index: _Index, refs: Sequence[tuple[str, bool]], *, lang: str, limit: int) -> dict[str, Entry]:
    """Rank every key of a prefix range: whole-key starts, language, rank, length; one entry per id."""
    ranked = sorted(
        ((inner, _effective_rank(entry, lang), len(key), key), entry)
        for key, inner in refs
        for entry in _completable(index.entries[key])
    )
    chosen: dict[str, Entry] = {}
    for _, entry in ranked:
        if len(chosen) == limit:
            break
        chosen.setdefault(entry.id, entry)
    return chosen


def _complete_by_quality(index: _Index, prefix: str, *, lang: str, limit: int) -> dict[str, Entry]:
    """Walk keys best first and keep those starting with a short prefix, then those with a word starting so."""
    chosen: dict[str, Entry] = {}
    for wanted in (lambda key: key.startswith(prefix), lambda key: (" " + prefix) in key):
        for key in index.by_quality(lang):
            if len(chosen) == limit:
                return chosen
            if wanted(key):
                for entry in _completable(index.entries[key]):
                    chosen.setdefault(entry.id, entry)
                    break
    return chosen


def _complete_by_typo(index: _Index, prefix: str, *, lang: str, limit: int) -> dict[str, Entry]:
    """Return the entries of the keys closest to a mistyped prefix."""
    chosen: dict[str, Entry] = {}
    for choice, _ in index.closest(prefix, limit=limit * 3, score_cutoff=FUZZY_SUGGEST):
        for entry in _completable(_best_entries(index.entries[choice], lang)):
            if len(chosen) < limit:
                chosen.setdefault(entry.id, entry)
    return chosen


# --------------------------------------------------------------------------------------------- builders


def _symptom_entries(kb: KnowledgeBase, lexicons: Sequence[tuple[str, list]]) -> Iterable[tuple[str, Entry]]:
    """Yield ``(key, entry)`` for every HPO name and synonym and every lexicon term."""
    for index, term_id in enumerate(kb.term_ids):
        if term_id == ROOT_TERM_ID:
            continue  # "All" is no symptom anyone means
        if term_id in kb.obsolete_ids:
            current = kb.resolve_term_id(term_id)
            name = kb.term_names[index].removeprefix("obsolete ")
            if current is not None:
                yield _normalize(name), Entry(current, name, "synonym", RANK_OBSOLETE_NAME)
            continue
        yield _normalize(kb.term_names[index]), Entry(term_id, kb.term_names[index], "exact", RANK_NAME)
        for synonym in kb.term_synonyms[index]:
            yield _normalize(synonym.text), Entry(term_id, synonym.text, "synonym", RANK_SYNONYM[synonym.scope])
    for lang, rows in lexicons:
        for term, hpo_id, register in rows:
            method = "risk_factor" if register == "risk_factor" or hpo_id is None else "lexicon"
            current = kb.resolve_term_id(hpo_id) if hpo_id else None
            if method == "lexicon" and current is None:
                continue  # a lexicon row naming an id this HPO release lacks: skip it, never guess
            yield _normalize(term), Entry(current, term, method, RANK_LEXICON, lang)


def _disease_entries(kb: KnowledgeBase) -> Iterable[tuple[str, Entry]]:
    """Yield ``(key, entry)`` for every disease name, Spanish name and alias."""
    for index, disease_id in enumerate(kb.disease_ids):
        source = disease_id.split(":", 1)[0]
        # The curated catalogue outranks the rare-disease names: "Typhoid" and "Malaria" are Kaggle labels
        # of common diseases that Orphanet also names. The same rare disease often appears under several
        # sources; the preferred source wins and the others are returned as candidates.
        rank = RANK_NAME if source == "ICD10" else RANK_HPOA_DISEASE + SOURCE_PREFERENCE.get(source, 0.4)
        yield _normalize(kb.disease_names[index]), Entry(disease_id, kb.disease_names[index], "exact", rank)
        if kb.disease_names_es[index]:
            name_es = kb.disease_names_es[index]
            yield _normalize(name_es), Entry(disease_id, name_es, "exact", rank, "es")
        for alias in kb.disease_aliases[index]:
            yield _normalize(alias), Entry(disease_id, alias, "synonym", rank + RANK_LEXICON)


def _spanish_names(kb: KnowledgeBase, lexicons: Sequence[tuple[str, list]]) -> dict[str, str]:
    """Return a Spanish display name per HPO id: its first row in the Spanish lexicon, capitalised."""
    names: dict[str, str] = {}
    for lang, rows in lexicons:
        if lang != "es":
            continue
        for term, hpo_id, _ in rows:
            current = kb.resolve_term_id(hpo_id) if hpo_id else None
            if current is not None and current not in names:
                names[current] = term[:1].upper() + term[1:]
    return names
