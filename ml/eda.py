"""Exploratory statistics over a :class:`ml.dataset.Dataset`: what was loaded, before anything is trained on it.

Each function takes the dataset (and small options) and returns plain, JSON-serialisable values (dicts of lists,
floats, ints, strings), so the web pages, the notebook and the tests read the same numbers. :func:`summarize`
runs them all. Orphan flags come from the knowledge base when one is given, else from the disease id prefix
(``ORPHA:``/``OMIM:`` are rare diseases, ``ICD10:`` common ones).

Vocabulary used below:

* **IRLbl** (imbalance ratio per label, Charte et al. 2015): cases of the most frequent disease divided by cases
  of this disease; **MeanIR** is its mean over diseases, **MaxIR** its maximum.
* **phi coefficient**: Pearson's correlation of two binary variables, here "symptom A recorded present" and
  "symptom B recorded present" over all cases.
* **Jensen–Shannon distance** (base 2, between 0 and 1): how far one source's distribution of diseases or
  symptoms is from the pooled distribution of the other sources.
"""

from __future__ import annotations

import functools
import math
import weakref
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.spatial.distance import jensenshannon
from sklearn.decomposition import TruncatedSVD

from ml.dataset import Dataset, snapshot_id

CASE_FIELDS = ("year", "age_group", "sex", "temperature_c", "weight_kg", "height_cm")
ORPHAN_PREFIXES = ("ORPHA:", "OMIM:")
# Values no human body reports: a measurement outside these bounds is a unit or typing error.
PLAUSIBLE_RANGES = {"temperature_c": (30.0, 45.0), "weight_kg": (0.5, 350.0), "height_cm": (30.0, 250.0)}
UNDIAGNOSED = "undiagnosed"
OTHER_COMMON = "other common"
OTHER_ORPHAN = "other orphan"


_MEMO: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _once_per_dataset(function):
    """Compute ``function(dataset)`` once per dataset: several statistics start from the same derived table."""

    @functools.wraps(function)
    def wrapper(dataset: Dataset) -> pd.DataFrame:
        results = _MEMO.setdefault(dataset, {})
        if function.__name__ not in results:
            results[function.__name__] = function(dataset)
        return results[function.__name__]

    return wrapper


def _float(value: float) -> float | None:
    """Return ``value`` as a float, or ``None`` when it is not finite (JSON has no NaN)."""
    value = float(value)
    return value if math.isfinite(value) else None


def _share(part: float, whole: float) -> float:
    """Return ``part / whole``, 0 when ``whole`` is 0."""
    return float(part) / float(whole) if whole else 0.0


def orphan_flags(disease_ids: Sequence[str], kb: Any = None) -> dict[str, bool]:
    """Return whether each disease is an orphan disease: the KB's flag, else its id prefix."""
    flags = {}
    for disease_id in disease_ids:
        index = kb.disease_index.get(disease_id) if kb is not None else None
        flags[disease_id] = bool(kb.disease_orphan[index]) if index is not None else disease_id.startswith(
            ORPHAN_PREFIXES
        )
    return flags


def imbalance_ratios(counts: Mapping[str, int]) -> dict[str, Any]:
    """Return IRLbl per disease and the MeanIR and MaxIR over diseases with at least one case."""
    positive = {label: int(n) for label, n in counts.items() if n > 0}
    if not positive:
        return {"irlbl": {}, "mean_ir": None, "max_ir": None}
    most = max(positive.values())
    irlbl = {label: most / n for label, n in positive.items()}
    return {"irlbl": irlbl, "mean_ir": float(np.mean(list(irlbl.values()))), "max_ir": float(max(irlbl.values()))}


@_once_per_dataset
def _case_diagnoses(dataset: Dataset) -> pd.DataFrame:
    """Return the distinct (case_id, disease_id) pairs."""
    return dataset.diagnoses[["case_id", "disease_id"]].drop_duplicates()


def disease_counts(dataset: Dataset, *, orphan: Mapping[str, bool] | None = None) -> dict[str, Any]:
    """Return cases per disease (most frequent first) with orphan flags, IRLbl, MeanIR and orphan totals."""
    counts = _case_diagnoses(dataset)["disease_id"].value_counts()
    counts = counts.sort_index().sort_values(ascending=False, kind="stable")
    ids = [str(disease_id) for disease_id in counts.index]
    flags = orphan if orphan is not None else orphan_flags(ids)
    ratios = imbalance_ratios(dict(zip(ids, counts.tolist(), strict=True)))
    is_orphan = [bool(flags.get(disease_id, False)) for disease_id in ids]
    orphan_cases = int(sum(n for n, rare in zip(counts.tolist(), is_orphan, strict=True) if rare))
    return {
        "disease_ids": ids,
        "cases": [int(n) for n in counts.tolist()],
        "orphan": is_orphan,
        "irlbl": [ratios["irlbl"][disease_id] for disease_id in ids],
        "mean_ir": ratios["mean_ir"],
        "max_ir": ratios["max_ir"],
        "n_diseases": len(ids),
        "n_orphan_diseases": int(sum(is_orphan)),
        "orphan_diagnoses": orphan_cases,
        "common_diagnoses": int(counts.sum()) - orphan_cases,
    }


@_once_per_dataset
def _present(dataset: Dataset) -> pd.DataFrame:
    """Return the distinct (case_id, hpo_id) pairs recorded present."""
    symptoms = dataset.symptoms
    present = symptoms.loc[symptoms["present"].astype(bool).to_numpy(), ["case_id", "hpo_id"]]
    return present[~_pair_keys(present["case_id"], present["hpo_id"]).duplicated().to_numpy()]


def _pair_keys(first: pd.Series, second: pd.Series) -> pd.Series:
    """Return one int64 per (first, second) pair, equal exactly when both are (fast to deduplicate)."""
    first_codes, first_labels = pd.factorize(first)
    second_codes, _ = pd.factorize(second)
    return pd.Series(first_codes.astype(np.int64) * (len(first_labels) + 1) + second_codes, index=first.index)


def count_table(rows: pd.Series, columns: pd.Series) -> pd.DataFrame:
    """Return how often each (row, column) label pair occurs, labels sorted (``pd.crosstab``, faster)."""
    row_codes, row_labels = pd.factorize(rows, sort=True)
    column_codes, column_labels = pd.factorize(columns, sort=True)
    counts = sparse.coo_array(
        (np.ones(len(row_codes), dtype=np.int64), (row_codes, column_codes)),
        shape=(len(row_labels), len(column_labels)),
    ).toarray()
    return pd.DataFrame(counts, index=list(row_labels), columns=list(column_labels))


def _top_symptoms(dataset: Dataset, top: int) -> list[str]:
    """Return the ``top`` symptoms recorded present in the most cases (ties by id)."""
    counts = _present(dataset)["hpo_id"].value_counts()
    return [str(term) for term in counts.sort_index().sort_values(ascending=False, kind="stable").index[:top]]


def symptom_prevalence(dataset: Dataset, *, top_diseases: int = 15, top_symptoms: int = 20) -> dict[str, Any]:
    """Return the share of each frequent disease's cases with each frequent symptom present (a heatmap)."""
    diagnoses = _case_diagnoses(dataset)
    counts = diagnoses["disease_id"].value_counts()
    diseases = [str(d) for d in counts.sort_index().sort_values(ascending=False, kind="stable").index[:top_diseases]]
    symptoms = _top_symptoms(dataset, top_symptoms)
    pairs = diagnoses[diagnoses["disease_id"].isin(diseases)].merge(_present(dataset), on="case_id")
    pairs = pairs[pairs["hpo_id"].isin(symptoms)]
    table = count_table(pairs["disease_id"], pairs["hpo_id"]).reindex(index=diseases, columns=symptoms, fill_value=0)
    shares = table.to_numpy(dtype=float) / counts.reindex(diseases).to_numpy(dtype=float)[:, None]
    return {"disease_ids": diseases, "hpo_ids": symptoms, "prevalence": np.round(shares, 4).tolist(),
            "cases": [int(counts[d]) for d in diseases]}


def _case_missing(dataset: Dataset) -> pd.DataFrame:
    """Return one boolean column per field: whether each case lacks it (symptoms, diagnosis included)."""
    cases = dataset.cases
    missing = pd.DataFrame({field: cases[field].isna() for field in CASE_FIELDS})
    missing["symptoms"] = ~cases["case_id"].isin(dataset.symptoms["case_id"])
    missing["diagnosis"] = ~cases["case_id"].isin(dataset.diagnoses["case_id"])
    return missing


def missingness(dataset: Dataset) -> dict[str, Any]:
    """Return the share of cases missing each field, overall and per source."""
    missing = _case_missing(dataset)
    fields = list(missing.columns)
    sources = dataset.cases["source"].fillna("?").astype(str)
    per_source = missing.groupby(sources.to_numpy()).mean().sort_index()
    return {
        "fields": fields,
        "overall": [float(missing[field].mean()) if len(missing) else 0.0 for field in fields],
        "sources": [str(source) for source in per_source.index],
        "by_source": np.round(per_source[fields].to_numpy(dtype=float), 4).tolist(),
    }


def _crosstab(rows: pd.Series, columns: pd.Series) -> dict[str, Any]:
    """Return a count table of two labelled series with missing values shown as ``"missing"``."""
    table = count_table(rows.fillna("missing").astype(str), columns.fillna("missing").astype(str))
    return {"rows": list(table.index), "columns": list(table.columns), "counts": table.to_numpy(dtype=int).tolist()}


def age_sex_by_source(dataset: Dataset) -> dict[str, Any]:
    """Return case counts per source by age group and by sex."""
    cases = dataset.cases
    return {"age_group": _crosstab(cases["source"], cases["age_group"]),
            "sex": _crosstab(cases["source"], cases["sex"])}


def outlier_bounds(values: np.ndarray, *, iqr_k: float = 1.5, z: float = 3.0) -> dict[str, Any]:
    """Return Tukey's fences (Q1 − k·IQR, Q3 + k·IQR) and the mean ± z·sd bounds of finite ``values``."""
    values = values[np.isfinite(values)]
    if not len(values):
        return {"q1": None, "q3": None, "iqr_low": None, "iqr_high": None, "mean": None, "std": None,
                "z_low": None, "z_high": None}
    q1, q3 = np.percentile(values, [25, 75])
    mean, std = values.mean(), values.std(ddof=1) if len(values) > 1 else 0.0
    return {"q1": float(q1), "q3": float(q3), "iqr_low": float(q1 - iqr_k * (q3 - q1)),
            "iqr_high": float(q3 + iqr_k * (q3 - q1)), "mean": float(mean), "std": float(std),
            "z_low": float(mean - z * std), "z_high": float(mean + z * std)}


def temperature_outliers(dataset: Dataset, *, iqr_k: float = 1.5, z: float = 3.0, bins: int = 40) -> dict[str, Any]:
    """Return the temperature histogram, IQR and z-score bounds and the number of cases outside each."""
    values = pd.to_numeric(dataset.cases["temperature_c"], errors="coerce").to_numpy(dtype=float)
    values = values[np.isfinite(values)]
    bounds = outlier_bounds(values, iqr_k=iqr_k, z=z)
    result = {"n": int(len(values)), **bounds, "iqr_outliers": 0, "z_outliers": 0, "bin_edges": [], "counts": []}
    if not len(values):
        return result
    counts, edges = np.histogram(values, bins=bins)
    result["iqr_outliers"] = int(((values < bounds["iqr_low"]) | (values > bounds["iqr_high"])).sum())
    result["z_outliers"] = int(((values < bounds["z_low"]) | (values > bounds["z_high"])).sum())
    result["bin_edges"], result["counts"] = np.round(edges, 3).tolist(), counts.tolist()
    return result


def _indicator(dataset: Dataset, terms: Sequence[str]) -> tuple[sparse.csr_array, np.ndarray]:
    """Return the case × term 0/1 matrix of present findings (rows in ``dataset.cases`` order) and the row ids."""
    case_ids = dataset.cases["case_id"].to_numpy()
    present = _present(dataset)
    present = present[present["hpo_id"].isin(terms)]
    rows = pd.Index(case_ids).get_indexer(present["case_id"])
    columns = pd.Index(list(terms)).get_indexer(present["hpo_id"])
    keep = rows >= 0
    data = np.ones(int(keep.sum()), dtype=np.float64)
    matrix = sparse.csr_array((data, (rows[keep], columns[keep])), shape=(len(case_ids), len(terms)))
    return matrix, case_ids


def phi_matrix(indicator: sparse.csr_array | np.ndarray) -> np.ndarray:
    """Return the phi coefficient between every pair of columns of a 0/1 matrix (0 where a column is constant)."""
    n = indicator.shape[0]
    both = np.asarray((indicator.T @ indicator).todense() if sparse.issparse(indicator) else indicator.T @ indicator,
                      dtype=float)
    ones = np.diag(both).copy()
    expected = np.outer(ones, ones) / n if n else np.zeros_like(both)
    scale = np.sqrt(np.outer(ones * (n - ones), ones * (n - ones))) / n if n else np.zeros_like(both)
    with np.errstate(divide="ignore", invalid="ignore"):
        phi = np.where(scale > 0, (both - expected) / scale, 0.0)
    return np.clip(phi, -1.0, 1.0)


def cooccurrence(dataset: Dataset, *, top: int = 20) -> dict[str, Any]:
    """Return the phi coefficient between the ``top`` most frequent symptoms (present vs not recorded present)."""
    terms = _top_symptoms(dataset, top)
    if not terms or not dataset.n_cases:
        return {"hpo_ids": [], "phi": [], "cases": []}
    matrix, _ = _indicator(dataset, terms)
    return {"hpo_ids": terms, "phi": np.round(phi_matrix(matrix), 4).tolist(),
            "cases": np.asarray(matrix.sum(axis=0)).astype(int).ravel().tolist()}


def disease_groups(dataset: Dataset, *, orphan: Mapping[str, bool], top: int = 8) -> pd.Series:
    """Return each case's group: its most frequent disease if in the top ``top``, else other common/orphan."""
    diagnoses = _case_diagnoses(dataset)
    counts = diagnoses["disease_id"].value_counts()
    ranked = diagnoses.assign(n=diagnoses["disease_id"].map(counts)).sort_values(["n", "disease_id"],
                                                                                  ascending=[False, True])
    first = ranked.drop_duplicates("case_id").set_index("case_id")["disease_id"]
    leaders = set(counts.sort_index().sort_values(ascending=False, kind="stable").index[:top])
    group = first.map(lambda d: d if d in leaders else (OTHER_ORPHAN if orphan.get(d, False) else OTHER_COMMON))
    return group.reindex(dataset.cases["case_id"]).fillna(UNDIAGNOSED)


def projection(dataset: Dataset, *, orphan: Mapping[str, bool], groups: int = 8, max_points: int = 3000,
               random_state: int = 0) -> dict[str, Any]:
    """Return a 2-D TruncatedSVD projection of the case × symptom matrix, a sample of points and their groups."""
    terms = sorted(_present(dataset)["hpo_id"].astype(str).unique())
    empty = {"x": [], "y": [], "group": [], "explained_variance_ratio": [], "n_cases": 0, "n_terms": len(terms)}
    if len(terms) < 3 or dataset.n_cases < 3:
        return empty
    matrix, case_ids = _indicator(dataset, terms)
    # Unit-length rows: a case with many findings should not sit far out just for its count.
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    matrix = sparse.csr_array(sparse.diags(1.0 / np.where(norms > 0, norms, 1.0)) @ matrix)
    svd = TruncatedSVD(n_components=2, random_state=random_state)
    points = svd.fit_transform(matrix)
    labels = disease_groups(dataset, orphan=orphan, top=groups).to_numpy()
    rng = np.random.default_rng(random_state)
    sample = np.sort(rng.choice(len(points), size=min(max_points, len(points)), replace=False))
    return {"x": np.round(points[sample, 0], 4).tolist(), "y": np.round(points[sample, 1], 4).tolist(),
            "group": [str(label) for label in labels[sample]],
            "explained_variance_ratio": [float(v) for v in svd.explained_variance_ratio_],
            "n_cases": int(len(points)), "n_terms": len(terms)}


def _js_distance(counts: pd.DataFrame) -> dict[str, float | None]:
    """Return, per row of a (source × category) count table, the JS distance to the pooled other rows."""
    distances = {}
    total = counts.sum(axis=0)
    for source, row in counts.iterrows():
        rest = total - row
        distances[str(source)] = (_float(jensenshannon(row.to_numpy(float), rest.to_numpy(float), base=2))
                                  if row.sum() and rest.sum() else None)
    return distances


def _source_codes(dataset: Dataset, case_ids: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Return the source (as a code into the sorted source names, −1 if unknown) of each of ``case_ids``."""
    codes, names = pd.factorize(dataset.cases["source"].fillna("?").astype(str), sort=True)
    positions = pd.Index(dataset.cases["case_id"]).get_indexer(case_ids)
    return np.where(positions >= 0, codes[positions], -1), list(names)


def source_comparison(dataset: Dataset, *, orphan: Mapping[str, bool]) -> dict[str, Any]:
    """Return per-source profiles and their Jensen–Shannon distances to the other sources (heterogeneity)."""
    case_source, sources = _source_codes(dataset, dataset.cases["case_id"])
    k = len(sources)
    finding_source, _ = _source_codes(dataset, dataset.symptoms["case_id"])
    is_present = dataset.symptoms["present"].astype(bool).to_numpy()
    diagnoses = _case_diagnoses(dataset)
    diagnosis_source, _ = _source_codes(dataset, diagnoses["case_id"])
    rare = diagnoses["disease_id"].isin([disease_id for disease_id, flag in orphan.items() if flag]).to_numpy()
    known, known_dx = finding_source >= 0, diagnosis_source >= 0
    cases = np.bincount(case_source, minlength=k)
    present = np.bincount(finding_source[known & is_present], minlength=k)
    absent = np.bincount(finding_source[known & ~is_present], minlength=k)
    n_dx = np.bincount(diagnosis_source[known_dx], minlength=k)
    n_rare = np.bincount(diagnosis_source[known_dx & rare], minlength=k)
    named = np.array(sources, dtype=object)
    disease_table = count_table(pd.Series(named[diagnosis_source[known_dx]]), diagnoses["disease_id"][known_dx])
    symptom_table = count_table(pd.Series(named[finding_source[known & is_present]]),
                                dataset.symptoms["hpo_id"][known & is_present])
    disease_js, symptom_js = _js_distance(disease_table), _js_distance(symptom_table)
    distinct_diseases = (disease_table > 0).sum(axis=1)
    distinct_symptoms = (symptom_table > 0).sum(axis=1)
    temperature = pd.to_numeric(dataset.cases["temperature_c"], errors="coerce").groupby(case_source).mean()
    return {"sources": [{
        "source": source,
        "cases": int(cases[code]),
        "present_per_case": _share(present[code], cases[code]),
        "absent_per_case": _share(absent[code], cases[code]),
        "diagnoses_per_case": _share(n_dx[code], cases[code]),
        "orphan_share": _share(n_rare[code], n_dx[code]),
        "distinct_diseases": int(distinct_diseases.get(source, 0)),
        "distinct_symptoms": int(distinct_symptoms.get(source, 0)),
        "temperature_mean": _float(temperature.get(code, float("nan"))),
        "disease_js": disease_js.get(source),
        "symptom_js": symptom_js.get(source),
    } for code, source in enumerate(sources)]}


def _set_hashes(case_ids: pd.Series, owners: pd.Series, items: pd.Series, *, seed: int = 0) -> np.ndarray:
    """Return, per case, a 64-bit hash of the set of ``items`` it owns (0 for none): a sum of random item keys."""
    codes, labels = pd.factorize(items)
    keys = np.random.default_rng(seed).integers(1, 2**63 - 1, size=len(labels) + 1, dtype=np.int64).view(np.uint64)
    rows = pd.Index(case_ids).get_indexer(owners)
    hashes = np.zeros(len(case_ids), dtype=np.uint64)
    keep = rows >= 0
    np.add.at(hashes, rows[keep], keys[codes[keep]])  # uint64 wraps around: still a set hash
    return hashes


def data_quality(dataset: Dataset, *, unmapped_terms: int = 0) -> dict[str, Any]:
    """Return duplicate cases and findings, contradictions, implausible values and empty cases, with counts."""
    cases = dataset.cases
    present, diagnoses = _present(dataset), _case_diagnoses(dataset)
    keyed = cases[["patient_id", "source", "year", "age_group", "sex", "temperature_c", "weight_kg", "height_cm"]]
    keyed = keyed.assign(symptoms=_set_hashes(cases["case_id"], present["case_id"], present["hpo_id"]),
                         diagnoses=_set_hashes(cases["case_id"], diagnoses["case_id"], diagnoses["disease_id"]))
    has_content = (keyed["symptoms"] != 0) | (keyed["diagnoses"] != 0)
    duplicates = int((keyed.duplicated() & has_content).sum())
    findings = dataset.symptoms
    pair = _pair_keys(findings["case_id"], findings["hpo_id"])
    distinct_pairs = int(pair.nunique())
    states = pd.DataFrame({"pair": pair, "present": findings["present"].astype(bool)}).drop_duplicates()
    implausible = {}
    for field, (low, high) in PLAUSIBLE_RANGES.items():
        values = pd.to_numeric(cases[field], errors="coerce")
        implausible[field] = int(((values < low) | (values > high)).sum())
    missing = _case_missing(dataset)
    return {
        "cases": int(dataset.n_cases),
        "duplicate_cases": duplicates,
        "duplicate_findings": int(len(findings)) - distinct_pairs,
        "contradictory_findings": int(len(states)) - distinct_pairs,
        "implausible": implausible,
        "cases_without_symptoms": int(missing["symptoms"].sum()),
        "cases_without_diagnosis": int(missing["diagnosis"].sum()),
        "unmapped_terms": int(unmapped_terms),
    }


def _names(kb: Any, disease_ids: Sequence[str], hpo_ids: Sequence[str]) -> dict[str, dict[str, str]]:
    """Return display names for diseases and terms from the KB (empty without one)."""
    if kb is None:
        return {"diseases": {}, "terms": {}}
    diseases = {d: kb.disease_names[kb.disease_index[d]] for d in disease_ids if d in kb.disease_index}
    terms = {t: kb.term_name(t) for t in hpo_ids if t in kb.term_index}
    return {"diseases": diseases, "terms": terms}


def summarize(dataset: Dataset, *, kb: Any = None, unmapped_terms: int = 0, top_diseases: int = 15,
              top_symptoms: int = 20, groups: int = 8, max_points: int = 3000, random_state: int = 0) -> dict:
    """Return every EDA statistic of ``dataset`` as one JSON-serialisable dict, keyed by section."""
    disease_ids = sorted(_case_diagnoses(dataset)["disease_id"].astype(str).unique())
    orphan = orphan_flags(disease_ids, kb)
    summary = {
        "snapshot_id": snapshot_id(dataset),
        "n_cases": int(dataset.n_cases),
        "n_findings": int(len(dataset.symptoms)),
        "n_diagnoses": int(len(dataset.diagnoses)),
        "kb_version": getattr(kb, "version", None),
        "diseases": disease_counts(dataset, orphan=orphan),
        "prevalence": symptom_prevalence(dataset, top_diseases=top_diseases, top_symptoms=top_symptoms),
        "missingness": missingness(dataset),
        "demographics": age_sex_by_source(dataset),
        "temperature": temperature_outliers(dataset),
        "cooccurrence": cooccurrence(dataset, top=top_symptoms),
        "projection": projection(dataset, orphan=orphan, groups=groups, max_points=max_points,
                                 random_state=random_state),
        "sources": source_comparison(dataset, orphan=orphan),
        "quality": data_quality(dataset, unmapped_terms=unmapped_terms),
    }
    terms = set(summary["prevalence"]["hpo_ids"]) | set(summary["cooccurrence"]["hpo_ids"])
    summary["names"] = _names(kb, disease_ids, sorted(terms))
    return summary
