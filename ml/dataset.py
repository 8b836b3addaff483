"""The warehouse as data frames: the one shape that EDA, training and monitoring read.

A :class:`Dataset` holds three long tables, keyed by ``case_id``:

* ``cases`` — one row per case: ``CASE_COLUMNS`` (``sex`` comes from the case's patient);
* ``symptoms`` — one row per recorded finding: ``case_id``, ``hpo_id``, ``present`` (``False`` = explicitly
  absent; a term with no row is unknown);
* ``diagnoses`` — one row per confirmed diagnosis: ``case_id``, ``disease_id``.

The app builds one from the warehouse tables; tests and benchmarks build one from plain records. Its
:func:`snapshot_id` names the data a model was trained on or a chart was computed from.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

CASE_COLUMNS = (
    "case_id",
    "patient_id",
    "upload_id",
    "source",
    "year",
    "age_group",
    "sex",
    "temperature_c",
    "temperature_band",
    "weight_kg",
    "height_cm",
)
SYMPTOM_COLUMNS = ("case_id", "hpo_id", "present")
DIAGNOSIS_COLUMNS = ("case_id", "disease_id")


@dataclass(frozen=True, eq=False)
class Dataset:
    """Cases with their findings and confirmed diagnoses, as three long data frames."""

    cases: pd.DataFrame
    symptoms: pd.DataFrame
    diagnoses: pd.DataFrame

    def __post_init__(self) -> None:
        for name, columns in (("cases", CASE_COLUMNS), ("symptoms", SYMPTOM_COLUMNS), ("diagnoses", DIAGNOSIS_COLUMNS)):
            missing = [column for column in columns if column not in getattr(self, name).columns]
            if missing:
                raise ValueError(f"Dataset.{name} lacks the columns {', '.join(missing)}")

    @property
    def n_cases(self) -> int:
        """Return the number of cases."""
        return len(self.cases)

    def subset(self, case_ids: Iterable[int]) -> Dataset:
        """Return the dataset restricted to ``case_ids``."""
        keep = pd.Index(list(case_ids))
        return Dataset(
            cases=self.cases[self.cases["case_id"].isin(keep)].reset_index(drop=True),
            symptoms=self.symptoms[self.symptoms["case_id"].isin(keep)].reset_index(drop=True),
            diagnoses=self.diagnoses[self.diagnoses["case_id"].isin(keep)].reset_index(drop=True),
        )


def empty_dataset() -> Dataset:
    """Return a dataset with the right columns and no rows."""
    return Dataset(
        cases=pd.DataFrame({column: pd.Series(dtype=object) for column in CASE_COLUMNS}),
        symptoms=pd.DataFrame({column: pd.Series(dtype=object) for column in SYMPTOM_COLUMNS}),
        diagnoses=pd.DataFrame({column: pd.Series(dtype=object) for column in DIAGNOSIS_COLUMNS}),
    )


def dataset_from_records(records: Iterable[Mapping]) -> Dataset:
    """Build a dataset from plain records: the case columns plus ``present``, ``absent`` and ``diagnoses`` lists."""
    cases, symptoms, diagnoses = [], [], []
    for number, record in enumerate(records, start=1):
        case_id = int(record.get("case_id", number))
        cases.append({column: record.get(column) for column in CASE_COLUMNS} | {"case_id": case_id})
        symptoms += [(case_id, hpo_id, True) for hpo_id in record.get("present", ())]
        symptoms += [(case_id, hpo_id, False) for hpo_id in record.get("absent", ())]
        diagnoses += [(case_id, disease_id) for disease_id in record.get("diagnoses", ())]
    if not cases:
        return empty_dataset()
    return Dataset(
        cases=pd.DataFrame(cases, columns=CASE_COLUMNS),
        symptoms=pd.DataFrame(symptoms, columns=SYMPTOM_COLUMNS).astype({"present": bool}),
        diagnoses=pd.DataFrame(diagnoses, columns=DIAGNOSIS_COLUMNS),
    )


def snapshot_id(dataset: Dataset) -> str:
    """Return a 16-hex-digit name for the data: a hash of the case ids and each case's row counts."""
    case_ids = np.sort(dataset.cases["case_id"].to_numpy(dtype=np.int64))
    symptom_counts = dataset.symptoms.groupby("case_id").size().reindex(case_ids, fill_value=0)
    diagnosis_counts = dataset.diagnoses.groupby("case_id").size().reindex(case_ids, fill_value=0)
    digest = hashlib.sha256()
    for array in (case_ids, symptom_counts.to_numpy(dtype=np.int64), diagnosis_counts.to_numpy(dtype=np.int64)):
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()[:16]
