"""Simulated prediction traffic: windows of patient queries with their true diagnoses, one scenario each.

The base traffic resamples the training snapshot's own cases (with replacement, seeded), so with no shift the
queries come from the reference distribution exactly; an age is drawn uniformly inside the case's age group.
From window ``onset`` on, each scenario changes one thing:

* ``none`` — nothing;
* ``covariate`` — the inputs shift while P(diagnosis | findings) stays: cases are resampled with weights that
  favour older, feverish patients with more findings recorded (an emergency department's case mix);
* ``new-disease`` — ``new_share`` (30 %) of the queries are patients of a rare disease with no case in the
  snapshot, generated from its knowledge-base annotations the way the demo data are;
* ``label-shift`` — the diagnoses shift while P(findings | diagnosis) stays: three of the snapshot's
  frequent diseases are resampled up to ``label_share`` (60 %) of the queries, an epidemic.

The app sends each query through the real prediction service and the true diagnoses back as feedback.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ml import synthetic
from ml.dataset import Dataset, dataset_from_records
from ml.harmonization import AGE_BINS
from ml.harmonization import age_group as age_group_of
from ml.knowledge import KnowledgeBase
from ml.monitoring.frames import frequent_terms

SCENARIOS = ("none", "covariate", "new-disease", "label-shift")
AGE_RANGES = {label: (lower, min(upper, 100) - 1) for lower, upper, label in AGE_BINS}
# Covariate weights: an emergency department sees older patients, more of them febrile, more findings recorded.
OLDER_WEIGHTS = {"45-64": 3.0, "65-89": 6.0, "90+": 6.0}
FEVER_C = 38.0
COMPLAINT_FACTOR = 8.0


@dataclass(frozen=True)
class SimulatedQuery:
    """One simulated prediction request and the diagnoses that will be confirmed for it."""

    age: int | None
    sex: str | None
    temperature_c: float | None
    present: tuple[str, ...]
    absent: tuple[str, ...]
    diagnoses: tuple[str, ...]

    def as_record(self, top1_disease: str | None = None) -> dict:
        """Return the query as a record for ``prediction_frame`` (``top1_disease`` from the prediction)."""
        return {
            "age": self.age,
            "sex": self.sex,
            "temperature_c": self.temperature_c,
            "present": list(self.present),
            "absent": list(self.absent),
            "n_unmapped": 0,
            "top1_disease": top1_disease,
        }


@dataclass(frozen=True)
class SimulatedWindow:
    """One window of simulated traffic."""

    index: int
    scenario: str
    shifted: bool
    queries: tuple[SimulatedQuery, ...]


@dataclass(frozen=True)
class _Population:
    """The snapshot's cases as parallel columns, ready to resample."""

    age_group: np.ndarray
    sex: np.ndarray
    temperature_c: np.ndarray
    present: list[tuple[str, ...]]
    absent: list[tuple[str, ...]]
    diagnoses: list[tuple[str, ...]]


def _grouped(frame: pd.DataFrame, case_ids: pd.Index, column: str) -> list[tuple[str, ...]]:
    """Return, per case id in order, the tuple of ``column`` values of its rows."""
    groups = frame.groupby("case_id", sort=False)[column].agg(tuple) if len(frame) else pd.Series(dtype=object)
    return [values if isinstance(values, tuple) else () for values in groups.reindex(case_ids).tolist()]


def _population(dataset: Dataset) -> _Population:
    """Return the snapshot's cases as columns."""
    case_ids = pd.Index(dataset.cases["case_id"])
    symptoms = dataset.symptoms
    present_flags = symptoms["present"].astype(bool)
    return _Population(
        age_group=dataset.cases["age_group"].to_numpy(dtype=object),
        sex=dataset.cases["sex"].to_numpy(dtype=object),
        temperature_c=pd.to_numeric(dataset.cases["temperature_c"], errors="coerce").to_numpy(dtype=float),
        present=_grouped(symptoms[present_flags], case_ids, "hpo_id"),
        absent=_grouped(symptoms[~present_flags], case_ids, "hpo_id"),
        diagnoses=_grouped(dataset.diagnoses, case_ids, "disease_id"),
    )


def _age(rng: np.random.Generator, group: object) -> int | None:
    """Return an age drawn uniformly inside an age group, None when the group is unknown."""
    bounds = AGE_RANGES.get(group) if isinstance(group, str) else None
    return None if bounds is None else int(rng.integers(bounds[0], bounds[1] + 1))


def _query(population: _Population, index: int, rng: np.random.Generator) -> SimulatedQuery:
    """Return the query of one resampled case."""
    temperature = population.temperature_c[index]
    return SimulatedQuery(
        age=_age(rng, population.age_group[index]),
        sex=population.sex[index],
        temperature_c=None if np.isnan(temperature) else float(temperature),
        present=population.present[index],
        absent=population.absent[index],
        diagnoses=population.diagnoses[index],
    )


def covariate_weights(population: _Population, *, favoured: Sequence[str], disfavoured: Sequence[str]) -> np.ndarray:
    """Return resampling weights of the covariate shift.

    Older and feverish patients with more findings recorded, presenting with the ``favoured`` complaints
    rather than the ``disfavoured`` ones, weigh more.
    """
    age = np.array([OLDER_WEIGHTS.get(group, 1.0) if isinstance(group, str) else 1.0 for group in population.age_group])
    fever = np.where(np.nan_to_num(population.temperature_c) >= FEVER_C, 3.0, 1.0)
    findings = np.array(
        [len(present) + len(absent) for present, absent in zip(population.present, population.absent, strict=True)]
    )
    up, down = set(favoured), set(disfavoured)
    complaints = np.array(
        [len(up.intersection(present)) - len(down.intersection(present)) for present in population.present]
    )
    return age * fever * (1.0 + findings) ** 2 * COMPLAINT_FACTOR ** complaints.astype(float)


def label_shift_weights(population: _Population, diseases: Sequence[str], share: float) -> np.ndarray:
    """Return resampling weights that give the cases of ``diseases`` ``share`` of the traffic."""
    chosen = set(diseases)
    hit = np.array([bool(chosen.intersection(dx)) for dx in population.diagnoses])
    if not hit.any() or hit.all():
        return np.ones(len(hit))
    return np.where(hit, share / hit.sum(), (1 - share) / (~hit).sum())


def epidemic_diseases(dataset: Dataset, *, n: int, rng: np.random.Generator) -> list[str]:
    """Return ``n`` diseases drawn among the snapshot's ten most frequent."""
    frequent = dataset.diagnoses["disease_id"].value_counts().index[:10].tolist()
    return sorted(rng.choice(frequent, size=min(n, len(frequent)), replace=False).tolist())


def unseen_disease(dataset: Dataset, kb: KnowledgeBase, *, rng: np.random.Generator, min_terms: int = 8) -> str:
    """Return a rare disease with at least ``min_terms`` annotated findings and no case in the snapshot."""
    seen = set(dataset.diagnoses["disease_id"])
    annotated = kb.annotations.indptr[1:] - kb.annotations.indptr[:-1]
    candidates = [
        disease_id
        for index, disease_id in enumerate(kb.disease_ids)
        if kb.disease_orphan[index] and annotated[index] >= min_terms and disease_id not in seen
    ]
    if not candidates:
        raise ValueError("every annotated rare disease has cases in the snapshot")
    return candidates[int(rng.integers(len(candidates)))]


def _new_disease_queries(kb: KnowledgeBase, disease_id: str, count: int, *, seed: int) -> list[SimulatedQuery]:
    """Return ``count`` queries of patients of one disease, generated as the demo data are."""
    rng = random.Random(seed)
    catalogue = synthetic.Catalogue(kb, synthetic.DemoSettings().prevalence_tempering)
    info = catalogue.orphan(disease_id)
    settings = synthetic.DemoSettings()
    return [
        _demo_query(synthetic.make_patient(rng, f"S{number:06d}", number, [info], catalogue, settings))
        for number in range(count)
    ]


def _demo_query(patient: synthetic.DemoPatient) -> SimulatedQuery:
    """Return a demo patient as a query."""
    return SimulatedQuery(
        age=patient.age, sex=patient.sex, temperature_c=patient.temperature_c,
        present=tuple(patient.present), absent=tuple(patient.absent), diagnoses=tuple(patient.diseases),
    )  # fmt: skip


def synthetic_snapshot(kb: KnowledgeBase, *, n_cases: int, random_state: int = 0) -> Dataset:
    """Return a snapshot of demo-like patients drawn straight from the knowledge base (for tests and benches)."""
    rng = random.Random(random_state)
    settings = synthetic.DemoSettings()
    catalogue = synthetic.Catalogue(kb, settings.prevalence_tempering)
    records = []
    for number in range(1, n_cases + 1):
        if rng.random() < settings.orphan_share:
            diseases = [catalogue.orphan(rng.choice(catalogue.orphan_candidates))]
        else:
            diseases = [catalogue.draw_common(rng)]
        patient = synthetic.make_patient(rng, f"S{number:06d}", number, diseases, catalogue, settings)
        records.append(
            {
                "case_id": number, "sex": patient.sex, "age_group": age_group_of(patient.age),
                "temperature_c": patient.temperature_c, "present": patient.present, "absent": patient.absent,
                "diagnoses": patient.diseases,
            }
        )  # fmt: skip
    return dataset_from_records(records)


def simulate_traffic(
    dataset: Dataset,
    *,
    kb: KnowledgeBase,
    scenario: str = "none",
    windows: int = 20,
    window_size: int = 500,
    onset: int | None = None,
    new_share: float = 0.3,
    label_share: float = 0.6,
    random_state: int = 0,
) -> list[SimulatedWindow]:
    """Return ``windows`` windows of simulated queries; the scenario's shift starts at window ``onset``.

    ``onset`` defaults to a quarter of the windows, so the first windows show the unshifted traffic.
    """
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}: choose one of {', '.join(SCENARIOS)}")
    if dataset.n_cases == 0:
        raise ValueError("the snapshot has no cases to simulate traffic from")
    onset = windows // 4 if onset is None else onset
    rng = np.random.default_rng(random_state)
    population = _population(dataset)
    base = np.full(dataset.n_cases, 1.0 / dataset.n_cases)
    shifted_weights = base
    if scenario == "covariate":
        terms = frequent_terms(dataset)
        favoured = sorted(rng.choice(terms, size=len(terms) // 2, replace=False).tolist()) if terms else []
        disfavoured = [term for term in terms if term not in favoured]
        shifted_weights = covariate_weights(population, favoured=favoured, disfavoured=disfavoured)
    elif scenario == "label-shift":
        shifted_weights = label_shift_weights(population, epidemic_diseases(dataset, n=3, rng=rng), label_share)
    new_disease = unseen_disease(dataset, kb, rng=rng) if scenario == "new-disease" else None
    result = []
    for index in range(windows):
        shifted = scenario != "none" and index >= onset
        weights = shifted_weights if shifted else base
        n_new = round(new_share * window_size) if shifted and new_disease else 0
        drawn = rng.choice(dataset.n_cases, size=window_size - n_new, p=weights / weights.sum())
        queries = [_query(population, int(case), rng) for case in drawn]
        if n_new:
            queries += _new_disease_queries(kb, new_disease, n_new, seed=random_state * 10_007 + index)
            queries = [queries[position] for position in rng.permutation(len(queries))]
        result.append(SimulatedWindow(index, scenario, shifted, tuple(queries)))
    return result
