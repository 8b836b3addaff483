"""Load a knowledge-base artifact into a frozen :class:`KnowledgeBase`, and cache it per build.
"""

from __future__ import annotations

import functools
import json
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from ml.knowledge.obo import Synonym
from ml.knowledge.ontology import follow_term_id

#: All (HP:0000001) and Phenotypic abnormality (HP:0000118): too vague for anyone to report as a finding.
GENERAL_TERMS = ("HP:0000001", "HP:0000118")

# Bump when the artifact layout or any derivation rule changes, so the content hash changes with it.
# 2: disease genes (strings diseases.genes) and same-disease groups (arrays disease_group).
SCHEMA_VERSION = 2


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
    genes: tuple[str, ...] = ()


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
    disease_genes: tuple[tuple[str, ...], ...] = field(repr=False)
    disease_group: np.ndarray = field(repr=False)
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
            genes=self.disease_genes[index],
        )

    @functools.cached_property
    def reportable_parents(self) -> tuple[tuple[int, ...], ...]:
        """Return each term's parents (as term indices) that a finding can be reported as: the general terms left out.

        The order is ``term_parents``' order, so a seeded choice among them is reproducible.
        """
        general = {self.term_index[term_id] for term_id in GENERAL_TERMS}
        return tuple(
            tuple(p for p in (self.term_index[parent] for parent in parents) if p not in general)
            for parents in self.term_parents
        )

    @functools.cached_property
    def phenotype_terms(self) -> np.ndarray:
        """Return the indices of the current (not obsolete) terms under Phenotypic abnormality, ascending."""
        phenotypic = self.ancestor_closure[:, [self.term_index[GENERAL_TERMS[1]]]].toarray().ravel()
        return np.flatnonzero(phenotypic & ~np.asarray(self.term_obsolete))

    def same_disease(self, disease_id: str) -> tuple[str, ...]:
        """Return the ids of the entries naming the same disease (OMIM, ORPHA, DECIPHER, ICD10), itself first.

        Entries are linked when their names or aliases fold to the same key (``normalize_text``).
        """
        index = self.disease_index.get(disease_id)
        if index is None:
            raise KeyError(f"unknown disease {disease_id!r}")
        members = self._group_members.get(int(self.disease_group[index]), ())
        return (disease_id, *(self.disease_ids[m] for m in members if m != index))

    @functools.cached_property
    def _group_members(self) -> dict[int, tuple[int, ...]]:
        """Return the rows of each same-disease group with more than one entry (built once, on first use)."""
        order = np.argsort(self.disease_group, kind="stable")
        groups, starts, counts = np.unique(self.disease_group[order], return_index=True, return_counts=True)
        return {int(group): tuple(int(row) for row in order[start:start + count])
                for group, start, count in zip(groups, starts, counts, strict=True) if count > 1}


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
        disease_genes=tuple(map(tuple, diseases["genes"])),
        disease_group=_read_only(arrays["disease_group"]),
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
        "diseases_with_genes": sum(1 for genes in kb.disease_genes if genes),
        "same_disease_groups": int(np.count_nonzero(np.bincount(kb.disease_group) > 1)),
        "source_sha256": {name: source["sha256"] for name, source in kb.manifest["sources"].items()},
        "load_seconds": None if math.isnan(kb.load_seconds) else round(kb.load_seconds, 3),
    }
