"""Benchmark a whole training run through the app: warehouse → ``train`` job (inline) → registered champion.

Copies demo-like cases (drawn from the knowledge base as ``bench_training.py`` does) into a fresh PostgreSQL
database (``dxflow_bench_trainapp``), then times ``launch_training`` with the default fast configuration until the
run finishes: reading the warehouse, planning, the search, the refit, the by-source slice, signing and registering.

    .venv/bin/python bench/bench_training_app.py --kb-dir /tmp/kbtrain --patients 20000 [--no-by-source]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_eda import _copy  # noqa: E402


def demo_dataset(kb_dir: Path, patients: int, seed: int):
    """Return demo-like cases drawn from the knowledge base."""
    from ml.dataset import dataset_from_records
    from ml.knowledge import load_kb
    from ml.synthetic import demo_case_records

    records = demo_case_records(load_kb(kb_dir), patients, seed=seed)
    return dataset_from_records([{**record, "upload_id": 1, "patient_id": record["case_id"]} for record in records])


def _cpu() -> float:
    """CPU seconds (user + system) of this process; inline, the run's jobs are threads of it (PostgreSQL's not)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb-dir", type=Path, required=True)
    parser.add_argument("--patients", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--database", default="dxflow_bench_trainapp")
    parser.add_argument("--no-by-source", dest="by_source", action="store_false",
                        help="skip the cross-source slice (what make run's first model does)")
    args = parser.parse_args()

    import pandas as pd
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from app.models import TrainingRun
    from app.training.service import FAST_CONFIG, launch_training
    from tests.conftest import ensure_pg_database, make_test_config

    dataset = demo_dataset(args.kb_dir, args.patients, args.seed)
    work = Path(tempfile.mkdtemp(prefix="dxflow-bench-trainapp-"))
    app = create_app(make_test_config(work, ensure_pg_database(args.database, fresh=True), TESTING=False,
                                      RQ_INLINE=True, KB_DIR=str(args.kb_dir)))
    with app.app_context():
        upgrade()
        cases = dataset.cases
        connection = db.engine.raw_connection()
        with connection.cursor() as cursor:
            _copy(cursor, "patients", pd.DataFrame({"id": cases["case_id"], "pseudonym": cases["case_id"].map(
                "p{:031d}".format), "sex": cases["sex"]}))
            _copy(cursor, "cases", cases.assign(id=cases["case_id"], patient_id=cases["case_id"])[
                ["id", "patient_id", "upload_id", "source", "year", "age_group", "temperature_c", "temperature_band",
                 "weight_kg", "height_cm"]])
            _copy(cursor, "case_symptoms", dataset.symptoms.assign(upload_id=1))
            diagnoses = dataset.diagnoses.assign(upload_id=1)
            _copy(cursor, "case_diagnoses", diagnoses.assign(code_system=diagnoses["disease_id"].str.split(":").str[0]))
        connection.commit()
        connection.close()
        started, cpu_started = time.perf_counter(), _cpu()
        run = launch_training(reason="benchmark", by_source=args.by_source)
        while run.is_active:
            time.sleep(0.5)
            db.session.refresh(run)
        seconds, cpu_seconds = time.perf_counter() - started, _cpu() - cpu_started
        run = db.session.get(TrainingRun, run.id)
        test = (run.metrics or {}).get("test", {})
        by_source = {row["source"]: {key: row.get(key) for key in ("n_scored", "macro_f1", "top_3", "mrr")}
                     for row in (run.metrics or {}).get("by_source", [])}
        print(json.dumps({
            "config": FAST_CONFIG, "by_source": args.by_source, "cases": dataset.n_cases, "status": run.status,
            "error": run.error,
            "wall_seconds": round(seconds, 1), "cpu_seconds": round(cpu_seconds, 1), "run_duration_s": run.duration_s,
            "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "labels": len((run.metrics or {}).get("labels", [])),
            "by_source_slice": by_source,
            "macro_f1": test.get("macro_f1"), "top_3": test.get("top_3"),
        }))
        db.session.remove()
        db.engine.dispose()


if __name__ == "__main__":
    main()
