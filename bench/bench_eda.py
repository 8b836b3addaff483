"""Benchmark ``ml.eda.summarize``: seconds and peak memory for a synthetic warehouse of N cases.

Run from the repository root: ``PYTHONPATH=$PWD .venv/bin/python bench/bench_eda.py [--cases 100000] [--repeats 3]``.
With ``--warehouse`` it also copies the dataset into a fresh PostgreSQL database (``dxflow_bench_eda``) and times
what the ``eda`` job adds: ``app.warehouse.snapshot.load_dataset`` and ``current_snapshot_id``.
The dataset mimics the warehouse's shape: four sources, 400 diseases with Zipf-like counts (a quarter of them
orphan), 1,500 HPO terms, about 8 findings per case (a tenth explicitly absent), 5 % of cases with two
diagnoses, missing vitals. The figure excludes building the dataset (the app reads it from the database).
"""

import argparse
import io
import json
import resource
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from ml.dataset import Dataset
from ml.eda import summarize

SOURCES = ("hospital_csv", "registry_jsonl", "research_xlsx", "clinic_notes")
AGE_GROUPS = ("0-4", "5-14", "15-24", "25-44", "45-64", "65+")


def synthetic_dataset(n_cases: int, *, seed: int = 0, n_diseases: int = 400, n_terms: int = 1500) -> Dataset:
    """Return a dataset of ``n_cases`` random cases with the warehouse's columns."""
    rng = np.random.default_rng(seed)
    case_ids = np.arange(1, n_cases + 1)
    temperature = rng.normal(37.4, 0.8, n_cases)
    temperature[rng.random(n_cases) < 0.3] = np.nan
    cases = pd.DataFrame({
        "case_id": case_ids, "patient_id": rng.integers(1, int(n_cases * 0.9) + 1, n_cases),
        "upload_id": rng.integers(1, 9, n_cases), "source": rng.choice(SOURCES, n_cases),
        "year": rng.choice(["2022", "2023", "2024", None], n_cases), "age_group": rng.choice(AGE_GROUPS, n_cases),
        "sex": rng.choice(["female", "male", None], n_cases, p=[0.48, 0.48, 0.04]), "temperature_c": temperature,
        "temperature_band": None, "weight_kg": rng.normal(70, 15, n_cases), "height_cm": rng.normal(168, 10, n_cases),
    })
    weights = 1.0 / np.arange(1, n_diseases + 1) ** 1.1
    disease_ids = np.array([f"ORPHA:{i}" if i % 4 == 0 else f"ICD10:X{i:03d}" for i in range(n_diseases)])
    first = rng.choice(n_diseases, n_cases, p=weights / weights.sum())
    second_cases = case_ids[rng.random(n_cases) < 0.05]
    diagnoses = pd.DataFrame({
        "case_id": np.concatenate([case_ids, second_cases]),
        "disease_id": disease_ids[np.concatenate([first, rng.integers(0, n_diseases, len(second_cases))])],
    })
    per_case = rng.poisson(8, n_cases) + 1
    owner = np.repeat(case_ids, per_case)
    # Each disease favours its own block of terms, so the projection has structure to find.
    block = (first[owner - 1] * 7 + rng.integers(0, 25, len(owner))) % n_terms
    terms = np.where(rng.random(len(owner)) < 0.7, block, rng.integers(0, n_terms, len(owner)))
    symptoms = pd.DataFrame({"case_id": owner, "hpo_id": np.char.add("HP:", np.char.zfill(terms.astype(str), 7)),
                             "present": rng.random(len(owner)) >= 0.1})
    return Dataset(cases=cases, symptoms=symptoms, diagnoses=diagnoses)


def _copy(cursor, table: str, frame: pd.DataFrame) -> None:
    """COPY a data frame into ``table`` (its columns named as the frame's)."""
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, header=False, na_rep="")
    buffer.seek(0)
    with cursor.copy(f"COPY {table} ({', '.join(frame.columns)}) FROM STDIN WITH (FORMAT csv)") as copy:
        copy.write(buffer.read())


def time_warehouse(dataset: Dataset, database: str) -> dict:
    """Copy ``dataset`` into a fresh database and return the seconds to read it back and to name its snapshot."""
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from app.warehouse.snapshot import current_snapshot_id, load_dataset
    from ml.dataset import snapshot_id
    from tests.conftest import ensure_pg_database, make_test_config

    work = Path(tempfile.mkdtemp(prefix="dxflow-bench-eda-"))
    app = create_app(make_test_config(work, ensure_pg_database(database, fresh=True), TESTING=False))
    with app.app_context():
        upgrade()
        cases = dataset.cases
        connection = db.engine.raw_connection()
        with connection.cursor() as cursor:
            _copy(cursor, "patients", pd.DataFrame({"id": cases["case_id"], "pseudonym": cases["case_id"].map(
                "p{:031d}".format), "sex": cases["sex"]}))
            _copy(cursor, "cases", cases.assign(id=cases["case_id"], patient_id=cases["case_id"])[
                ["id", "patient_id", "upload_id", "source", "year", "age_group", "temperature_c",
                 "temperature_band", "weight_kg", "height_cm"]])
            _copy(cursor, "case_symptoms", dataset.symptoms.assign(upload_id=1))
            diagnoses = dataset.diagnoses.assign(upload_id=1)
            _copy(cursor, "case_diagnoses", diagnoses.assign(code_system=diagnoses["disease_id"].str.split(":").str[0]))
        connection.commit()
        connection.close()
        started = time.perf_counter()
        loaded = load_dataset()
        load_seconds = time.perf_counter() - started
        started = time.perf_counter()
        snapshot = current_snapshot_id()
        snapshot_seconds = time.perf_counter() - started
        assert snapshot == snapshot_id(loaded) and loaded.n_cases == dataset.n_cases
        db.session.remove()
        db.engine.dispose()
    return {"load_dataset_seconds": round(load_seconds, 2), "current_snapshot_id_seconds": round(snapshot_seconds, 2)}


def main() -> None:
    """Print the median and worst wall seconds, the median CPU seconds of ``summarize`` and the peak memory."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--warehouse", action="store_true", help="also time reading it from PostgreSQL")
    parser.add_argument("--database", default="dxflow_bench_eda")
    args = parser.parse_args()
    dataset = synthetic_dataset(args.cases)
    seconds, cpu_seconds = [], []
    for _ in range(args.repeats):
        # A fresh Dataset each time: summarize shares derived tables within one dataset, not across runs.
        fresh = Dataset(cases=dataset.cases.copy(), symptoms=dataset.symptoms.copy(),
                        diagnoses=dataset.diagnoses.copy())
        started, started_cpu = time.perf_counter(), time.process_time()
        summary = summarize(fresh)
        seconds.append(time.perf_counter() - started)
        cpu_seconds.append(time.process_time() - started_cpu)
    figures = time_warehouse(dataset, args.database) if args.warehouse else {}
    print(json.dumps({
        "cases": args.cases, "findings": len(dataset.symptoms), "diagnoses": len(dataset.diagnoses),
        "median_seconds": round(statistics.median(seconds), 2), "max_seconds": round(max(seconds), 2),
        "median_cpu_seconds": round(statistics.median(cpu_seconds), 2),
        "summary_json_kib": round(len(json.dumps(summary)) / 1024, 1),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        **figures,
    }))


if __name__ == "__main__":
    main()
