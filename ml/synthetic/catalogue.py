"""What the demo draws from: the curated lexicons and the knowledge base's diseases, indexed for sampling.
"""


from __future__ import annotations

import csv
import random
from bisect import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path

from ml.knowledge import KnowledgeBase
from ml.synthetic.settings import DATA_DIR, NEGATION_WORDS, PHENOTYPE_ROOT, ROOT_TERMS, DemoError


@dataclass(frozen=True)
class Lexicons:
    """Symptom words per HPO id for each way a source writes symptoms."""

    spanish: Mapping[str, tuple[str, ...]]
    spanish_notes: Mapping[str, tuple[str, ...]]
    english_notes: Mapping[str, tuple[str, ...]]
    kaggle_columns: tuple[str, ...]
    kaggle_by_hpo: Mapping[str, tuple[str, ...]]
    risk_factor_columns: tuple[str, ...]


def _read_lexicon(path: Path) -> list[tuple[str, str, str]]:
    """Return the (term, hpo_id, register) rows of a lexicon CSV in file order."""
    with open(path, encoding="utf-8", newline="") as handle:
        return [(row["term"], row["hpo_id"], row["register"]) for row in csv.DictReader(handle)]


def _by_hpo(rows: Iterable[tuple[str, str]]) -> dict[str, tuple[str, ...]]:
    """Group terms by HPO id, keeping file order."""
    grouped: dict[str, list[str]] = {}
    for term, hpo_id in rows:
        if hpo_id:
            grouped.setdefault(hpo_id, []).append(term)
    return {hpo_id: tuple(terms) for hpo_id, terms in grouped.items()}


def _holds_negation(term: str) -> bool:
    """Return True for a phrase with a negation word inside ("tos no productiva", "no sentir sabores")."""
    # A note reader (ml.notes) may take such a word as a cue that negates the findings after it, so
    # notes avoid these phrases to keep the manifest's present/absent findings what a reader gets.
    return bool(NEGATION_WORDS & set(term.split()))


def kaggle_columns(rows: Sequence[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """Return the Kaggle-style rows of lexicon_en: the leading block, up to the first plain spaced phrase."""
    block = []
    for row in rows:
        if " " in row[0] and "_" not in row[0]:
            break
        block.append(row)
    return block


def load_lexicons(data_dir: Path = DATA_DIR) -> Lexicons:
    """Load the Spanish and English lexicons into the lookups the source writers use."""
    spanish = _read_lexicon(Path(data_dir) / "lexicon_es.csv")
    english = _read_lexicon(Path(data_dir) / "lexicon_en.csv")
    kaggle = kaggle_columns(english)
    # First-person lay phrases ("me duele la barriga") read badly inside a third-person note.
    note_spanish = [(term, hpo) for term, hpo, _ in spanish if not term.startswith(("me ", "tengo "))]
    note_english = [(term, hpo) for term, hpo, _ in english if "_" not in term]
    return Lexicons(
        spanish=_by_hpo((term, hpo) for term, hpo, _ in spanish),
        spanish_notes=_by_hpo(pair for pair in note_spanish if not _holds_negation(pair[0])),
        english_notes=_by_hpo(pair for pair in note_english if not _holds_negation(pair[0])),
        kaggle_columns=tuple(term for term, _, _ in kaggle),
        kaggle_by_hpo=_by_hpo((term, hpo) for term, hpo, _ in kaggle),
        risk_factor_columns=tuple(term for term, hpo, _ in kaggle if not hpo),
    )


@dataclass(frozen=True)
class CommonInfo:
    """One common disease as the generator uses it."""

    id: str
    icd10: str
    name_en: str
    name_es: str
    label: str
    terms: tuple[str, ...]
    frequencies: tuple[float, ...]
    excluded: tuple[str, ...]


@dataclass(frozen=True)
class OrphanInfo:
    """One ORPHA or OMIM disease as the generator uses it."""

    id: str
    name: str
    sex: str
    terms: tuple[str, ...]
    frequencies: tuple[float, ...]
    excluded: tuple[str, ...]


class Catalogue:
    """The diseases, weights and term lookups drawn from the knowledge base, computed once per generation."""

    def __init__(self, kb: KnowledgeBase, tempering: float) -> None:
        self.kb = kb
        common_ids = [disease_id for disease_id in kb.disease_ids if disease_id.startswith("ICD10:")]
        if not common_ids:
            raise DemoError("The knowledge base has no common diseases: rebuild it with the common catalogue.")
        self.common = [self._common(disease_id) for disease_id in common_ids]
        self.common_by_id = {info.id: info for info in self.common}
        weights = [kb.disease_prevalence_weight[kb.disease_index[info.id]] ** tempering for info in self.common]
        self.common_cumulative = list(accumulate(weights))
        annotated = kb.annotations.indptr[1:] - kb.annotations.indptr[:-1]
        self.orphan_candidates = [
            disease_id
            for index, disease_id in enumerate(kb.disease_ids)
            if disease_id.startswith(("ORPHA:", "OMIM:")) and annotated[index] >= 3
        ]
        self.common_terms = sorted({term for info in self.common for term in info.terms})
        self.too_general = ROOT_TERMS | {
            term_id for term_id, parents in zip(kb.term_ids, kb.term_parents, strict=True) if PHENOTYPE_ROOT in parents
        }
        self._ancestors: dict[str, frozenset[str]] = {}
        # Lexicon look-ups by (id of the lexicon table, term): the tables live as long as one generation.
        self.nearest_cache: dict[tuple[int, str], str | None] = {}

    def _common(self, disease_id: str) -> CommonInfo:
        """Build the generator's view of one catalogue disease."""
        record = self.kb.disease(disease_id)
        return CommonInfo(
            id=record.id,
            icd10=record.icd10,
            name_en=record.name,
            name_es=record.name_es or record.name,
            label=record.aliases[0] if record.aliases else record.name,
            terms=tuple(record.frequencies),
            frequencies=tuple(record.frequencies.values()),
            excluded=record.excluded,
        )

    def orphan(self, disease_id: str) -> OrphanInfo:
        """Build the generator's view of one rare disease."""
        record = self.kb.disease(disease_id)
        return OrphanInfo(
            id=record.id,
            name=record.name,
            sex=record.sex,
            terms=tuple(record.frequencies),
            frequencies=tuple(record.frequencies.values()),
            excluded=record.excluded,
        )

    def draw_common(self, rng: random.Random, *, exclude: Iterable[str] = ()) -> CommonInfo:
        """Draw a common disease by tempered prevalence weight."""
        excluded = set(exclude)
        while True:
            info = self.common[bisect(self.common_cumulative, rng.random() * self.common_cumulative[-1])]
            if info.id not in excluded:
                return info

    def parents(self, term_id: str) -> tuple[str, ...]:
        """Return a term's direct is_a parents that are specific enough to stand in for it."""
        index = self.kb.term_index[term_id]
        return tuple(parent for parent in self.kb.term_parents[index] if parent not in self.too_general)

    def ancestors(self, term_id: str) -> frozenset[str]:
        """Return a term's ancestors (itself included), cached."""
        if term_id not in self._ancestors:
            self._ancestors[term_id] = self.kb.ancestors_of(term_id)
        return self._ancestors[term_id]


def nearest_with_words(term_id: str, table: Mapping[str, tuple], catalogue: Catalogue, depth: int = 3) -> str | None:
    """Return the term itself or its closest specific ancestor that has words in ``table``; None if none."""
    key = (id(table), term_id)
    if key not in catalogue.nearest_cache:
        catalogue.nearest_cache[key] = _nearest(term_id, table, catalogue, depth)
    return catalogue.nearest_cache[key]


def _nearest(term_id: str, table: Mapping[str, tuple], catalogue: Catalogue, depth: int) -> str | None:
    """Search upwards, level by level, for a term with words in ``table``."""
    frontier = [term_id]
    for _ in range(depth + 1):
        hits = sorted(term for term in frontier if term in table)
        if hits:
            return hits[0]
        frontier = sorted({parent for term in frontier for parent in catalogue.parents(term)})
    return None


