"""The reporting model of present findings: how an annotation gets reported, summed over a disease's annotations."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from ml.models.likelihood import ColumnIndex, propagate_max, report_walk, reported_likelihood

# root 0 <- 1 <- {2, 3}: 2 and 3 are two kinds of 1
PARENTS = [(), (0,), (1,), (1,)]
CLOSURE = sparse.csr_array(np.array([[1, 0, 0, 0], [1, 1, 0, 0], [1, 1, 1, 0], [1, 1, 0, 1]], dtype=bool))


def test_an_annotation_is_reported_as_itself_or_more_generally_with_falling_probability():
    walk = report_walk(PARENTS, imprecision=0.5, walk_on=0.2).toarray()
    assert walk.sum(axis=1) == pytest.approx(np.ones(4))  # it is reported as something
    assert walk[2].tolist() == pytest.approx([0.5 * 0.2, 0.5 * 0.8, 0.5, 0.0])  # self, parent, grandparent
    assert walk[0].tolist() == [1.0, 0.0, 0.0, 0.0]  # nothing above: always itself
    assert report_walk(PARENTS, imprecision=0.5, walk_on=0.0).toarray()[2, 0] == 0.0  # one level only


def test_a_general_term_is_likelier_for_a_disease_with_several_kinds_of_it():
    walk = report_walk(PARENTS, imprecision=0.5, walk_on=0.2)
    # disease 0 has both kinds (2, 3) of term 1, disease 1 one kind, disease 2 neither
    frequencies = sparse.csr_array(np.array([[0, 0, 0.5, 0.5], [0, 0, 0.5, 0], [0, 0, 0, 0]]))
    reported = ColumnIndex(sparse.csr_array(frequencies @ walk))
    shared = ColumnIndex(propagate_max(frequencies, CLOSURE))
    ic = np.array([0.0, 1.0, 2.0, 2.0])
    common = dict(reported=reported, shared=shared, closure=CLOSURE, information_content=ic, min_shared_ic=1.0)
    general = reported_likelihood(1, excluded=None, specific_share=0.1, **common)
    assert general.tolist() == pytest.approx([0.4, 0.2, 0.0])  # the sum over annotations, not the best one
    excluded = ColumnIndex(sparse.csr_array(np.array([[0, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]], dtype=bool)))
    assert reported_likelihood(1, excluded=excluded, specific_share=0.1, **common)[0] == 0.0  # NOT annotation
    # term 3 for disease 1 (annotated with its sibling 2): a finer coding through their parent 1, shared out
    sibling = reported_likelihood(3, excluded=None, specific_share=0.1, **common)
    assert sibling[1] == pytest.approx(0.1 * 0.5 * np.exp(1.0 - 2.0)) and sibling[1] < sibling[0]
    assert reported_likelihood(3, excluded=None, specific_share=0.0, **common)[1] == 0.0
