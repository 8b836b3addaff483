"""The prediction query and the two rankers: the knowledge-only one and the trained bundle fused with it."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ml.features import Query as FeatureQuery
from ml.models.fusion import FusedRanker, RankedDisease, Ranking

FEVER = "HP:0001945"
HYPOTHERMIA = "HP:0002045"
TEMPERATURE_RANGE_C = (25.0, 45.0)  # a body temperature outside this range is a typing error, not a finding
FEVER_FROM_C = 38.0
NORMAL_BELOW_C = 37.5
HYPOTHERMIA_BELOW_C = 35.0


@dataclass(frozen=True)
class Query(FeatureQuery):
    """One patient's findings as current HPO ids, age (years), sex, temperature (°C), and how many diseases to rank.

    A feature query with ``top``: the trained bundle encodes it as it encodes a training case.
    """

    top: int = 10


class KnowledgeRanker:
    """Rank with the knowledge-informed model alone (the default until a champion is registered)."""

    model_version = "knowledge-only"
    bundle = None

    def __init__(self, model, *, pool: int = 30):
        self.model = model
        self.pool = pool

    def rank(self, query: Query) -> Ranking:
        """Return the ``max(query.top, pool)`` most probable diseases for ``query``.

        ``extra["evidence_table"]`` holds the per-finding log likelihood ratios the score was summed from
        (``KnowledgeModel.evidence_table``), so the evidence of the top diseases costs nothing more.
        """
        ranked, table = self.model.rank_explained(
            query.present, query.absent, age=query.age, sex=query.sex, top=max(query.top, self.pool)
        )
        kb = self.model.kb
        entries = tuple(
            RankedDisease(disease_id=disease, name=kb.disease_names[kb.disease_index[disease]], probability=probability,
                          source="knowledge", model_weight=0.0, model_probability=None,
                          knowledge_probability=probability, evidence=())
            for disease, probability in ranked
        )
        return Ranking(entries=entries, model_version=self.model_version, extra={"evidence_table": table})


class BundleRanker:
    """Rank with a fitted ``FusedRanker`` (a trained bundle fused with the knowledge model) as ``model_version``.

    Bundle labels the knowledge base does not list are left out: the page can neither name nor explain them.
    """

    def __init__(self, fused: FusedRanker, model_version: str, *, pool: int = 30):
        self.fused = fused
        self.model_version = model_version
        self.pool = pool

    @property
    def bundle(self):
        """Return the trained bundle this ranker fuses."""
        return self.fused.bundle

    def rank(self, query: Query) -> Ranking:
        """Return the ``max(query.top, pool)`` most probable diseases of the knowledge base for ``query``, fused.

        Entries carry no evidence (the page explains its top diseases from ``extra["evidence_table"]``).
        """
        n_extra = len(self.fused.classes_) - self.fused.knowledge_model.kb.n_diseases
        ranking = self.fused.rank(query, top=max(query.top, self.pool) + n_extra, explain=0)
        entries = tuple(entry for entry in ranking if entry.knowledge_probability is not None)
        return replace(ranking, entries=entries[: max(query.top, self.pool)], model_version=self.model_version)


def one_per_disease(ranking: Ranking, kb, n: int) -> list[tuple[str, float]]:
    """Return the first ``n`` (disease id, probability) pairs with one entry per disease.

    OMIM, ORPHA and ICD-10 entries naming the same disease (``kb.same_disease``) would otherwise take several
    rows of one differential; the best-ranked entry stands for its disease, with its own (the highest)
    probability, and the page shows the others' codes beside it. Entries the knowledge base lacks stay apart.
    """
    shown: set[int] = set()
    top = []
    for entry in ranking:
        index = kb.disease_index.get(entry.disease_id)
        group = int(kb.disease_group[index]) if index is not None else None
        if group is not None and group in shown:
            continue
        if group is not None:
            shown.add(group)
        top.append((entry.disease_id, entry.probability))
        if len(top) == n:
            break
    return top


def to_celsius(value: float, unit: str) -> float:
    """Return a temperature in degrees Celsius from ``unit`` ``"C"`` or ``"F"``."""
    unit = unit.strip().upper()
    if unit == "C":
        return float(value)
    if unit == "F":
        return (float(value) - 32.0) * 5.0 / 9.0
    raise ValueError(f"temperature unit must be C or F, not {unit!r}")


def temperature_findings(celsius: float) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Return the (present, absent) HPO ids a body temperature implies: fever, no fever, or hypothermia."""
    if not np.isfinite(celsius):
        return (), ()
    if celsius >= FEVER_FROM_C:
        return (FEVER,), ()
    if celsius < HYPOTHERMIA_BELOW_C:
        return (HYPOTHERMIA,), (FEVER,)
    if celsius < NORMAL_BELOW_C:
        return (), (FEVER,)
    return (), ()  # 37.5-38 °C: borderline, says nothing either way
