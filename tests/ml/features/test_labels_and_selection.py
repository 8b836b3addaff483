"""Disease labels list what they leave out; the multi-label selectors agree with scikit-learn on one label."""

import numpy as np
import pytest
from scipy import sparse
from sklearn.feature_selection import chi2
from sklearn.metrics import mutual_info_score

from ml.dataset import dataset_from_records, empty_dataset
from ml.features import DiseaseLabels, MultiLabelSelectKBest, TrainingDataError, make_reducer
from ml.features.selection import chi2_multilabel, mutual_info_multilabel
from tests.ml.cases import make_dataset


def test_diseases_under_the_minimum_support_are_listed_not_dropped_silently():
    data = make_dataset(12, rare={"ORPHA:558": 3})
    labels = DiseaseLabels(min_support=10).fit(data)
    assert "ORPHA:558" not in labels.classes_
    assert labels.below_support_ == {"ORPHA:558": 3}
    Y = labels.transform(data)
    assert Y.shape == (data.n_cases, 5)
    assert Y.sum(axis=0).tolist() == labels.support_.tolist() == [12] * 5


def test_a_case_with_two_diseases_has_two_ones():
    data = dataset_from_records([{"diagnoses": ["A", "B"]}, {"diagnoses": ["A"]}, {"diagnoses": ["B"]}])
    assert DiseaseLabels(min_support=1).fit(data).transform(data).tolist() == [[1, 1], [1, 0], [0, 1]]


def test_an_empty_warehouse_is_a_clear_error():
    with pytest.raises(TrainingDataError, match="no cases"):
        DiseaseLabels().fit(empty_dataset())


def test_a_one_disease_warehouse_is_a_clear_error():
    data = dataset_from_records([{"diagnoses": ["ICD10:J11"]}] * 20 + [{"diagnoses": ["ORPHA:558"]}])
    with pytest.raises(TrainingDataError, match=r"at least two diseases with 10 or more cases; the warehouse has 1"):
        DiseaseLabels(min_support=10).fit(data)


def test_multilabel_chi2_sums_to_sklearns_chi2_and_takes_the_best_label():
    rng = np.random.default_rng(0)
    X = sparse.csr_matrix((rng.random((60, 8)) < 0.3).astype(float))
    y = (rng.random(60) < 0.4).astype(int)
    expected, _ = chi2(X, y)
    # sklearn's chi2 sums the terms of both classes; ours scores each label's positive class.
    positive, negative = chi2_multilabel(X, y[:, None]), chi2_multilabel(X, (1 - y)[:, None])
    assert positive + negative == pytest.approx(expected)
    assert chi2_multilabel(X, np.column_stack([y, 1 - y])) == pytest.approx(np.maximum(positive, negative))


def test_multilabel_mutual_information_matches_sklearn_on_binary_features():
    rng = np.random.default_rng(1)
    X = (rng.random((80, 5)) < 0.5).astype(float)
    Y = np.column_stack([(X[:, 0] + (rng.random(80) < 0.2)) > 0, rng.random(80) < 0.5]).astype(int)
    expected = [max(mutual_info_score(X[:, j], Y[:, label]) for label in range(2)) for j in range(5)]
    assert mutual_info_multilabel(X, Y) == pytest.approx(expected)


def test_select_k_best_keeps_the_informative_column():
    rng = np.random.default_rng(2)
    y = (rng.random(100) < 0.3).astype(int)
    X = np.column_stack([rng.random((100, 4)) < 0.5, y]).astype(float)
    selector = MultiLabelSelectKBest(score="chi2", k=1).fit(X, y[:, None])
    assert selector.support_.tolist() == [4]
    assert selector.transform(X).shape == (100, 1)


def test_reducers_by_name():
    assert make_reducer(None) is None
    assert type(make_reducer("svd", k=3)).__name__ == "TruncatedSVD"
    assert make_reducer("mutual_info", k=3).score == "mutual_info"
    with pytest.raises(ValueError, match="unknown reducer"):
        make_reducer("pca")
