"""The sparse gathers of a few diseases' rows that the next questions use instead of scipy's fancy indexing."""

from __future__ import annotations

import numpy as np
from scipy import sparse

from ml.models.likelihood import block_entries, dense_block, row_entries


def random_csr(seed: int = 0) -> sparse.csr_array:
    rng = np.random.default_rng(seed)
    dense = rng.random((40, 60)) * (rng.random((40, 60)) < 0.15)
    dense[7] = 0.0  # an empty row
    return sparse.csr_array(dense)


def test_dense_block_equals_two_fancy_indexes():
    matrix = random_csr()
    rows = np.array([3, 7, 0, 39, 3])  # repeated and empty rows
    columns = np.array([59, 0, 12, 31, 5])
    assert np.array_equal(dense_block(matrix, rows, columns), matrix[rows][:, columns].toarray())
    assert dense_block(matrix, rows, np.array([], dtype=np.int64)).shape == (5, 0)


def test_block_entries_are_the_stored_entries_only():
    matrix = random_csr(1)
    rows, columns = np.array([1, 2, 5]), np.arange(0, 60, 3)
    row, column, values = block_entries(matrix, rows, columns)
    expected = matrix[rows][:, columns].tocoo()
    assert sorted(zip(row.tolist(), column.tolist(), values.tolist(), strict=True)) == sorted(
        zip(expected.row.tolist(), expected.col.tolist(), expected.data.tolist(), strict=True))


def test_row_entries_point_at_each_rows_entries():
    matrix = random_csr(2)
    rows = np.array([4, 0, 4])
    positions, owner = row_entries(matrix, rows)
    for number, row in enumerate(rows):
        assert matrix.indices[positions[owner == number]].tolist() == matrix[[row]].indices.tolist()
