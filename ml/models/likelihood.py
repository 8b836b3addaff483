"""Sparse building blocks of the knowledge-informed model: propagated frequencies and per-term likelihoods.

A disease's *propagated* frequency for a term is the best frequency among the term and its annotated
descendants: a patient coded with "Seizure" matches a disease annotated with "Focal seizure". A term more
specific than every annotation gets the frequency of its best annotated ancestor *shared out* by the
information content it adds, ``exp(-(IC(term) - IC(ancestor)))`` (the share of the ancestor's diseases that
carry the term), which is also the penalty for the partial match. These frequencies answer "does the patient
show the term" (absent findings, next questions).

Present findings use the *reporting model* (``report_walk``, ``reported_likelihood``): the chance a clinician
reports the term, summed over the annotations it can stand for.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse


def propagate_max(frequencies: sparse.csr_array, closure: sparse.csr_array) -> sparse.csr_array:
    """Return disease x term frequencies where each ancestor takes the max over its annotated descendants."""
    coo = frequencies.tocoo()
    rows, terms, values = coo.row.astype(np.int64), coo.col.astype(np.int64), coo.data.astype(np.float64)
    positions, owner = row_entries(closure, terms)  # every (annotation, ancestor) pair
    ancestors = closure.indices[positions].astype(np.int64)
    rows, values = rows[owner], values[owner]
    keys = rows * frequencies.shape[1] + ancestors
    order = np.lexsort((-values, keys))
    keys = keys[order]
    first = order[np.r_[True, keys[1:] != keys[:-1]]] if len(keys) else order
    return sparse.csr_array((values[first], (rows[first], ancestors[first])), shape=frequencies.shape)


class ColumnIndex:
    """Column-wise read access to a disease x term sparse matrix, cheap enough for one query term at a time."""

    def __init__(self, matrix: sparse.sparray, *, dense_share: float = 0.1) -> None:
        self.matrix = sparse.csr_array(matrix)  # row access, e.g. the likelihoods of a few diseases only
        csc = sparse.csc_array(matrix)
        csc.sort_indices()
        self.indptr, self.indices, self.data = csc.indptr, csc.indices, csc.data
        self.shape = csc.shape
        # Columns filled for more than ``dense_share`` of the rows (general terms) are also kept dense: a
        # contiguous maximum is several times cheaper than the gather and scatter of a sparse column.
        heavy = np.flatnonzero(np.diff(self.indptr) > dense_share * self.shape[0])
        self.dense = {int(term): self._dense_column(int(term)) for term in heavy}

    def _dense_column(self, term: int) -> np.ndarray:
        """Return one column as a dense array."""
        column = np.zeros(self.shape[0], dtype=np.float64)
        rows, values = self.column(term)
        column[rows] = values
        return column

    def column(self, term: int) -> tuple[np.ndarray, np.ndarray]:
        """Return the row indices and values stored in one column."""
        start, end = self.indptr[term], self.indptr[term + 1]
        return self.indices[start:end], self.data[start:end]


def term_ancestors(closure: sparse.csr_array, term: int) -> np.ndarray:
    """Return the column indices of a term and all its ancestors."""
    return closure.indices[closure.indptr[term] : closure.indptr[term + 1]]


def term_likelihood(
    term: int,
    *,
    propagated: ColumnIndex,
    excluded: ColumnIndex | None,
    closure: sparse.csr_array,
    information_content: np.ndarray,
    min_shared_ic: float = 0.0,
) -> np.ndarray:
    """Return P(term or a descendant is present | disease) for every disease, 0 where the disease excludes it.

    The value is the best, over the term and its ancestors ``a``, of the disease's propagated frequency at
    ``a`` times ``exp(-(IC(term) - IC(a)))``: an exact or more general match keeps its frequency, a more
    specific or sibling match keeps a share that shrinks with the information it lacks. Ancestors with less
    information than ``min_shared_ic`` (the root, organ systems) share nothing: that every disease has *some*
    phenotypic abnormality does not explain a specific finding, which then gets no likelihood at all.
    """
    probability = np.zeros(propagated.shape[0], dtype=np.float64)
    ancestors = term_ancestors(closure, term)
    if min_shared_ic > 0:
        ancestors = ancestors[(information_content[ancestors] >= min_shared_ic) | (ancestors == term)]
    shares = np.exp(information_content[ancestors] - information_content[term])
    _raise_to_shares(probability, propagated, ancestors, shares)
    _exclude(probability, excluded, ancestors)
    return probability


def _raise_to_shares(probability: np.ndarray, matrix, columns: np.ndarray, shares: np.ndarray) -> None:
    """Raise ``probability`` in place to each column of ``matrix`` times its share, where that is larger."""
    for column, share in zip(columns.tolist(), shares.tolist(), strict=True):
        dense = matrix.dense.get(column)
        if dense is not None:
            np.maximum(probability, dense * share, out=probability)
            continue
        rows, values = matrix.column(column)
        if len(rows):
            probability[rows] = np.maximum(probability[rows], values * share)


def _exclude(probability: np.ndarray, excluded, terms: np.ndarray) -> None:
    """Set ``probability`` to 0 in place for the diseases with a NOT annotation on any of ``terms``."""
    if excluded is None:
        return
    for term in terms:
        rows, _ = excluded.column(term)
        probability[rows] = 0.0


def row_entries(matrix, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the positions in ``matrix.indices`` of the given CSR rows' entries, and each entry's row number.

    The gather a fancy row index does, without building a matrix (a few microseconds for a pool of diseases).
    """
    starts, ends = matrix.indptr[rows], matrix.indptr[rows + 1]
    lengths = (ends - starts).astype(np.int64)
    owner = np.repeat(np.arange(len(rows)), lengths)
    offsets = np.cumsum(lengths) - lengths
    return np.arange(int(lengths.sum())) - np.repeat(offsets, lengths) + np.repeat(starts, lengths), owner


def block_entries(matrix, rows: np.ndarray, columns: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the stored entries of ``matrix[rows][:, columns]`` (CSR) as (row number, column number, value).

    What two fancy indexes of a scipy matrix return, for a few rows, without building the two matrices (each
    costs ~0.1 ms in input validation). ``columns`` must not repeat.
    """
    entries, owner = row_entries(matrix, np.asarray(rows, dtype=np.int64))
    position = np.full(matrix.shape[1], -1, dtype=np.int64)
    position[columns] = np.arange(len(columns))
    at = position[matrix.indices[entries]]
    wanted = at >= 0
    return owner[wanted], at[wanted], matrix.data[entries[wanted]]


def dense_block(matrix, rows: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """Return ``matrix[rows][:, columns]`` as a dense array (0 where nothing is stored)."""
    block = np.zeros((len(rows), len(columns)), dtype=np.float64)
    row, column, values = block_entries(matrix, rows, columns)
    block[row, column] = values
    return block


def rows_likelihood(
    terms: list[int],
    *,
    rows: np.ndarray,
    propagated: sparse.csr_array,
    excluded: sparse.csr_array | None,
    closure: sparse.csr_array,
    information_content: np.ndarray,
    min_shared_ic: float = 0.0,
) -> np.ndarray:
    """Return :func:`term_likelihood` for a few diseases (``rows``) and several terms, ``rows x terms``.

    The union of the terms' ancestors is read once as a small dense block of the disease x term matrices, so
    each term costs a few vector operations instead of a Python loop over its ancestors.
    """
    terms = np.asarray(terms, dtype=np.int64)
    table = np.zeros((len(rows), len(terms)))
    if not len(terms) or not len(rows):
        return table
    # Every (term, ancestor) pair at once: the ancestors that share (information >= min_shared_ic, or the term).
    positions, owner = row_entries(closure, terms)
    ancestors = closure.indices[positions].astype(np.int64)
    if min_shared_ic > 0:
        keep = (information_content[ancestors] >= min_shared_ic) | (ancestors == terms[owner])
        ancestors, owner = ancestors[keep], owner[keep]
    union, column = np.unique(ancestors, return_inverse=True)
    shares = np.zeros((len(terms), len(union)))  # 0 where the ancestor is not the term's
    shares[owner, column] = np.exp(information_content[ancestors] - information_content[terms[owner]])
    block = dense_block(propagated, rows, union)  # rows x union
    table[:] = (block[:, None, :] * shares[None, :, :]).max(axis=2)
    if excluded is not None:
        member = np.zeros((len(terms), len(union)))
        member[owner, column] = 1.0
        table[(dense_block(excluded, rows, union) @ member.T) > 0] = 0.0
    return table


# ------------------------------------------------------------------------------- the reporting model


def report_walk(
    parents: list[tuple[int, ...]], *, imprecision: float, walk_on: float, depth: int = 30
) -> sparse.csr_array:
    """Return the term x term matrix of P(a feature annotated as ``t`` is reported as ``a``).

    The feature is reported as itself with probability ``1 - imprecision``, otherwise as one of its parents
    (uniformly; ``parents`` lists each term's parents, general terms left out), and from there it climbs on
    to a parent with probability ``walk_on`` per level. A term without parents is reported as itself.
    """
    n_terms = len(parents)
    rows = [t for t, ps in enumerate(parents) for _ in ps]
    columns = [p for ps in parents for p in ps]
    values = [1.0 / len(ps) for ps in parents for _ in ps]
    step = sparse.csr_array((values, (rows, columns)), shape=(n_terms, n_terms))
    has_parent = np.array([bool(ps) for ps in parents])
    # climb: from a reached parent, stop with 1 - walk_on or move on (a geometric walk up the DAG)
    stop = sparse.diags_array(np.where(has_parent, 1.0 - walk_on, 1.0))
    climb = sparse.csr_array(stop)
    for level in range(depth):
        if walk_on**level < 1e-12:  # what climbs further is negligible
            break
        climb = sparse.csr_array(stop + walk_on * (step @ climb))
    first = sparse.diags_array(np.where(has_parent, 1.0 - imprecision, 1.0))
    walk = sparse.csr_array(first + imprecision * (step @ climb))
    walk.eliminate_zeros()
    return walk


def reported_likelihood(
    term: int,
    *,
    reported: ColumnIndex,
    shared: ColumnIndex,
    excluded: ColumnIndex | None,
    closure: sparse.csr_array,
    information_content: np.ndarray,
    min_shared_ic: float,
    specific_share: float,
) -> np.ndarray:
    """Return P(``term`` is one of the reported findings | disease), before the noise mixture, for every disease.

    ``reported[d, term]`` sums, over ``d``'s annotations, their inclusion probability times the chance of
    being reported as ``term`` (itself or an ancestor, :func:`report_walk`). A term more specific than (or a
    sibling of) the annotations is a finer coding of one of them: through its ancestors ``a`` with
    ``IC(a) >= min_shared_ic`` it gets ``specific_share * shared[d, a] * exp(-(IC(term) - IC(a)))``, the best
    such annotation's inclusion probability shared out by the information the coding adds. A disease whose
    NOT annotations exclude the term or an ancestor gets 0.
    """
    probability = np.zeros(reported.shape[0], dtype=np.float64)
    dense = reported.dense.get(term)
    if dense is not None:
        probability += dense
    else:
        rows, values = reported.column(term)
        probability[rows] = values
    ancestors = term_ancestors(closure, term)
    if specific_share > 0:
        sharing = ancestors[(information_content[ancestors] >= min_shared_ic) & (ancestors != term)]
        shares = specific_share * np.exp(information_content[sharing] - information_content[term])
        _raise_to_shares(probability, shared, sharing, shares)
    _exclude(probability, excluded, ancestors)
    return probability
