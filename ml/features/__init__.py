"""Features for training and prediction: the case encoder, the disease labels and optional reducers."""

from ml.features.encoder import CaseEncoder, Query, term_ancestors
from ml.features.labels import DiseaseLabels, TrainingDataError
from ml.features.selection import MultiLabelSelectKBest, chi2_multilabel, make_reducer, mutual_info_multilabel

__all__ = [
    "CaseEncoder",
    "DiseaseLabels",
    "MultiLabelSelectKBest",
    "Query",
    "TrainingDataError",
    "chi2_multilabel",
    "make_reducer",
    "mutual_info_multilabel",
    "term_ancestors",
]
