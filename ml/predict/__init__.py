"""The pure predictor behind the clinician page and API: a query, a pluggable ranker, next questions.

``Query`` is what the clinician entered, already resolved to HPO ids; a *ranker* is any object with
``model_version`` and ``rank(query) -> Ranking`` (``KnowledgeRanker`` by default, ``BundleRanker`` over the
champion's fusion when one is registered; ``Ranking`` is ``ml.models.fusion``'s); ``next_questions`` picks the
findings with the largest expected information gain.
"""

from ml.predict.query import (
    FEVER,
    HYPOTHERMIA,
    TEMPERATURE_RANGE_C,
    BundleRanker,
    KnowledgeRanker,
    Query,
    Ranking,
    one_per_disease,
    temperature_findings,
    to_celsius,
)
from ml.predict.questions import annotation_table, candidate_findings, expected_information_gain, next_questions

__all__ = [
    "FEVER",
    "HYPOTHERMIA",
    "TEMPERATURE_RANGE_C",
    "BundleRanker",
    "KnowledgeRanker",
    "Query",
    "Ranking",
    "annotation_table",
    "candidate_findings",
    "expected_information_gain",
    "next_questions",
    "one_per_disease",
    "temperature_findings",
    "to_celsius",
]
