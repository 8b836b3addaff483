"""Derive ontology structure: alt-id maps, ancestor closure, information content, id resolution.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable, Mapping, Sequence

import numpy as np
from scipy import sparse

from ml.knowledge.obo import OboTerm

Resolver = Callable[[str], "str | None"]

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


