"""The prediction-window frame: one row per prediction (or per reference case), the shape drift is checked on.

Columns (``FRAME_COLUMNS`` then one column per frequent HPO term):

============== =========== ================================================ ==========================================
column         kind        current (logged predictions)                     reference (``ml.dataset.Dataset``)
============== =========== ================================================ ==========================================
sex            categorical the query's sex; missing -> ``"unknown"``        ``cases.sex``; missing -> ``"unknown"``
age_group      categorical the ``AGE_BINS`` group of ``age`` (or the        ``cases.age_group``; missing ->
                           record's ``age_group``), else ``"unknown"``      ``"unknown"``
temperature_c  numerical   the query's temperature in °C; missing -> NaN    ``cases.temperature_c``
n_present      numerical   number of present findings (mapped HPO ids)      rows of ``symptoms`` with present=True
n_absent       numerical   number of absent findings                        rows of ``symptoms`` with present=False
n_unmapped     count       entered terms that mapped to no HPO id           0 (the warehouse stores mapped terms only)
top1_disease   categorical the top-ranked disease id                        the champion's top-1 on the case when
                                                                            given (``top1=``), else the case's first
                                                                            confirmed diagnosis; none -> ``"none"``
HP:nnnnnnn     binary 0/1  1 when the term is among the present findings    1 when ``symptoms`` has (case, term, True)
============== =========== ================================================ ==========================================

The age column is the age *group*: the warehouse keeps only the group (k-anonymity), so the group is what both
sides share. ``n_unmapped`` is not a drift feature (the reference has none by construction); it feeds
:func:`ml.monitoring.drift.unmapped_rate`. The term columns are fixed once, from the reference
(:func:`frequent_terms`), and passed to :func:`prediction_frame` so both frames have the same columns.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from ml.dataset import Dataset
from ml.harmonization import AGE_BINS, MAX_AGE

FRAME_COLUMNS = ("sex", "age_group", "temperature_c", "n_present", "n_absent", "n_unmapped", "top1_disease")
UNKNOWN = "unknown"
NO_DISEASE = "none"
DEFAULT_MIN_TERM_SHARE = 0.02
DEFAULT_MAX_TERMS = 40


def frequent_terms(
    dataset: Dataset, *, min_share: float = DEFAULT_MIN_TERM_SHARE, max_terms: int = DEFAULT_MAX_TERMS
) -> list[str]:
    """Return the HPO ids present in at least ``min_share`` of the cases, most frequent first, at most ``max_terms``."""
    if dataset.n_cases == 0:
        return []
    present = dataset.symptoms[dataset.symptoms["present"].astype(bool)]
    case_share = present.drop_duplicates(["case_id", "hpo_id"])["hpo_id"].value_counts() / dataset.n_cases
    ranked = case_share[case_share >= min_share].sort_index().sort_values(ascending=False, kind="stable")
    return ranked.index[:max_terms].tolist()


def _term_matrix(case_ids: pd.Index, present: pd.DataFrame, terms: Sequence[str]) -> pd.DataFrame:
    """Return a 0/1 frame (cases x terms) from long (case_id, hpo_id) rows of present findings."""
    rows = case_ids.get_indexer(present["case_id"])
    columns = pd.Index(terms).get_indexer(present["hpo_id"])
    keep = (rows >= 0) & (columns >= 0)
    matrix = np.zeros((len(case_ids), len(terms)), dtype=np.int8)
    matrix[rows[keep], columns[keep]] = 1
    return pd.DataFrame(matrix, columns=list(terms))


def reference_frame(dataset: Dataset, *, terms: Sequence[str], top1: Mapping[int, str] | None = None) -> pd.DataFrame:
    """Return the frame of a training snapshot: one row per case, the columns of a prediction window."""
    cases = dataset.cases.reset_index(drop=True)
    case_ids = pd.Index(cases["case_id"])
    symptoms = dataset.symptoms
    present_rows = symptoms[symptoms["present"].astype(bool)]
    counts = symptoms.groupby(["case_id", "present"]).size().unstack(fill_value=0)
    if top1 is None:
        first = dataset.diagnoses.drop_duplicates("case_id").set_index("case_id")["disease_id"]
        top1 = first.to_dict()
    frame = pd.DataFrame(
        {
            "sex": cases["sex"].fillna(UNKNOWN).astype(str).to_numpy(),
            "age_group": cases["age_group"].fillna(UNKNOWN).astype(str).to_numpy(),
            "temperature_c": pd.to_numeric(cases["temperature_c"], errors="coerce").to_numpy(dtype=float),
            "n_present": counts.get(True, pd.Series(dtype=int)).reindex(case_ids, fill_value=0).to_numpy(),
            "n_absent": counts.get(False, pd.Series(dtype=int)).reindex(case_ids, fill_value=0).to_numpy(),
            "n_unmapped": np.zeros(len(cases), dtype=np.int64),
            "top1_disease": [top1.get(case_id, NO_DISEASE) for case_id in case_ids],
        }
    )
    return pd.concat([frame, _term_matrix(case_ids, present_rows, terms)], axis=1)


def age_groups(ages: Sequence[float | None], fallback: Sequence[str]) -> np.ndarray:
    """Return the ``AGE_BINS`` label of each age; ``fallback`` where the age is missing, unknown where invalid."""
    values = np.array([np.nan if age is None else age for age in ages], dtype=float)
    lowers = np.array([lower for lower, _, _ in AGE_BINS], dtype=float)
    labels = np.array([label for _, _, label in AGE_BINS], dtype=object)
    groups = labels[np.clip(np.searchsorted(lowers, values, side="right") - 1, 0, len(labels) - 1)]
    valid = (values >= 0) & (values <= MAX_AGE)
    return np.where(np.isnan(values), np.asarray(fallback, dtype=object), np.where(valid, groups, UNKNOWN))


def prediction_frame(records: Iterable[Mapping], *, terms: Sequence[str]) -> pd.DataFrame:
    """Return the frame of logged predictions.

    Each record holds ``age`` (years) or ``age_group``, ``sex``, ``temperature_c``, ``present`` and ``absent``
    (HPO ids), ``n_unmapped`` (count of entered terms that mapped to nothing) and ``top1_disease``.
    """
    columns: dict[str, list] = {name: [] for name in FRAME_COLUMNS}
    present_rows, present_terms, ages = [], [], []
    for number, record in enumerate(records):
        findings = list(dict.fromkeys(record.get("present") or ()))
        temperature = record.get("temperature_c")
        columns["sex"].append(record.get("sex") or UNKNOWN)
        ages.append(record.get("age"))
        columns["age_group"].append(record.get("age_group") or UNKNOWN)
        columns["temperature_c"].append(np.nan if temperature is None else float(temperature))
        columns["n_present"].append(len(findings))
        columns["n_absent"].append(len(set(record.get("absent") or ())))
        columns["n_unmapped"].append(int(record.get("n_unmapped") or 0))
        columns["top1_disease"].append(record.get("top1_disease") or NO_DISEASE)
        present_rows += [number] * len(findings)
        present_terms += findings
    columns["age_group"] = age_groups(ages, columns["age_group"]).tolist()
    frame = pd.DataFrame(columns).astype({"temperature_c": float, "n_present": int, "n_absent": int, "n_unmapped": int})
    long = pd.DataFrame({"case_id": present_rows, "hpo_id": present_terms})
    return pd.concat([frame, _term_matrix(pd.RangeIndex(len(frame)), long, terms)], axis=1)
