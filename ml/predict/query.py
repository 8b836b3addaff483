"""The prediction query, the ranking a ranker returns, and the knowledge-only ranker."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

FEVER = "HP:0001945"
HYPOTHERMIA = "HP:0002045"
TEMPERATURE_RANGE_C = (25.0, 45.0)  # a body temperature outside this range is a typing error, not a finding
FEVER_FROM_C = 38.0
NORMAL_BELOW_C = 37.5
HYPOTHERMIA_BELOW_C = 35.0


@dataclass(frozen=True)
class Query:
    """One patient's findings as current HPO ids, with age (years) and sex when known."""

    present: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()
    age: float | None = None
    sex: str | None = None
    top: int = 10


@dataclass(frozen=True)
class Ranking:
    """The most probable diseases for one query, most probable first, from one model version."""

    disease_ids: tuple[str, ...]
    probabilities: tuple[float, ...]
    model_version: str
    extra: dict = field(default_factory=dict, compare=False)

    def top(self, n: int) -> list[tuple[str, float]]:
        """Return the first ``n`` (disease id, probability) pairs."""
        return list(zip(self.disease_ids[:n], self.probabilities[:n], strict=True))


class KnowledgeRanker:
    """Rank with the knowledge-informed model alone (the default until a champion is registered)."""

    model_version = "knowledge-only"

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
        return Ranking(
            disease_ids=tuple(disease for disease, _ in ranked),
            probabilities=tuple(probability for _, probability in ranked),
            model_version=self.model_version,
            extra={"evidence_table": table},
        )


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
