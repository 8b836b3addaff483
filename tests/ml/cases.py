"""Small synthetic warehouses for the training tests: diseases with hallmark findings, sexes, ages and sources."""

from __future__ import annotations

import random

from ml.dataset import Dataset, dataset_from_records

#: disease -> its hallmark findings (drawn often) and its other findings (drawn sometimes).
DISEASES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "ICD10:J11": (("HP:0001945", "HP:0012735"), ("HP:0002315", "HP:0003326")),
    "ICD10:A09": (("HP:0002014", "HP:0002013"), ("HP:0001945", "HP:0002027")),
    "ICD10:N39": (("HP:0100518", "HP:0000012"), ("HP:0001945", "HP:0002027")),
    "ICD10:J45": (("HP:0002099", "HP:0002094"), ("HP:0012735",)),
    "ICD10:I10": (("HP:0000822", "HP:0002315"), ("HP:0001962",)),
    "ORPHA:558": (("HP:0001166", "HP:0001083"), ("HP:0000545", "HP:0001634")),
}
NOISE = ("HP:0000118", "HP:0001939", "HP:0002019", "HP:0004322")
SOURCES = ("hospital_csv", "research_xlsx", "registry_jsonl")


def make_records(n_per_disease: int = 40, *, seed: int = 0, rare: dict[str, int] | None = None) -> list[dict]:
    """Return plain records: ``n_per_disease`` cases per disease (``rare`` overrides counts), shuffled."""
    rng = random.Random(seed)
    counts = {disease: n_per_disease for disease in DISEASES} | dict(rare or {})
    records = []
    for disease, count in counts.items():
        hallmarks, others = DISEASES[disease]
        for _ in range(count):
            present = [term for term in hallmarks if rng.random() < 0.85]
            present += [term for term in others if rng.random() < 0.4]
            present += [term for term in NOISE if rng.random() < 0.1]
            absent = [term for term in NOISE if term not in present and rng.random() < 0.2]
            # Pertinent negatives: a clinician often records that another disease's hallmark is absent.
            other = rng.choice([d for d in DISEASES if d != disease])
            absent += [term for term in DISEASES[other][0] if term not in present and rng.random() < 0.4]
            temperature = round(rng.gauss(38.6 if "HP:0001945" in present else 36.8, 0.4), 1)
            records.append({
                "present": present or [hallmarks[0]], "absent": absent, "diagnoses": [disease],
                "sex": rng.choice(("female", "male")), "age_group": rng.choice(("5-14", "25-44", "65-89")),
                "temperature_c": temperature, "temperature_band": "fever" if temperature >= 38 else "normal",
                "source": rng.choice(SOURCES), "year": rng.choice((2023, 2024)), "patient_id": rng.randrange(10**6),
                "upload_id": rng.randrange(1, 4),
            })
    rng.shuffle(records)
    return [record | {"case_id": number} for number, record in enumerate(records, start=1)]


def make_dataset(n_per_disease: int = 40, *, seed: int = 0, rare: dict[str, int] | None = None) -> Dataset:
    """Return the synthetic records as a Dataset."""
    return dataset_from_records(make_records(n_per_disease, seed=seed, rare=rare))
