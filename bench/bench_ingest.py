"""Benchmark ingestion into PostgreSQL: rows/s per stage (read, anonymize, vocabulary, load) and peak RSS.

Run from the repository root (PostgreSQL at ``--pg-url``, trust auth, as for the tests)::

    .venv/bin/python bench/bench_ingest.py --rows 100000
    .venv/bin/python bench/bench_ingest.py --rows 1000000

It writes a hospital-like CSV (semicolons, Latin-1, Spanish symptom lists, identifier columns, °F in some rows,
a short note on one row in five), loads it into a fresh database ``dxflow_bench_ingest`` through the real
service (``create_upload`` + ``ingest_upload``, k=5), and prints the figures as JSON. Peak RSS is the whole
process's, knowledge base and vocabulary included.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

HEADER = ["id_paciente", "nombre", "apellidos", "dni", "telefono", "email", "direccion", "cp", "fecha_nacimiento",
          "sexo", "fecha_visita", "temperatura", "unidad_temp", "peso_kg", "talla_cm", "sintomas",
          "sintomas_ausentes", "diagnostico_cie10", "notas"]
FIRST = ["José", "Lucía", "Carmen", "Javier", "María", "Antonio", "Elena", "Pablo", "Nuria", "Andrés"]
LAST = ["García", "Núñez", "López", "Martín", "Sánchez", "Pérez", "Gómez", "Ruiz", "Díaz", "Moreno"]
SYMPTOMS = ["fiebre", "tos", "cefalea", "disnea", "dolor de garganta", "náuseas", "vómitos", "diarrea", "mialgia",
            "fatiga", "dolor abdominal", "escalofríos", "congestión nasal", "estornudos", "dolor de cabeza"]
DIAGNOSES = ["J11.1", "K21.9", "J45.9", "I10", "E11.9", "A09.9", "J30.4", "A97.9"]
NOTES = ["Paciente {first} {last} refiere {a} desde hace dos días; niega {b}.",
         "Acude por {a} y {b}. Tel. 6{phone}.", "Sin {a}. Presenta {b}."]


def write_csv(path: Path, rows: int, seed: int = 7) -> None:
    """Write a hospital-like CSV of ``rows`` records (about two records per patient)."""
    rng = random.Random(seed)
    with path.open("w", encoding="latin-1", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(HEADER)
        for index in range(rows):
            patient = rng.randrange(max(rows // 2, 1))
            first, last = FIRST[patient % 10], LAST[(patient // 10) % 10]
            fahrenheit = rng.random() < 0.2
            celsius = rng.uniform(36.0, 40.0)
            present = rng.sample(SYMPTOMS, rng.randint(1, 4))
            absent = [term for term in rng.sample(SYMPTOMS, 2) if term not in present]
            note = ""
            if rng.random() < 0.2:
                note = rng.choice(NOTES).format(first=first, last=last, a=present[0], b=absent[0] if absent else "tos",
                                                phone=rng.randrange(10**7, 10**8))
            writer.writerow([
                f"H-{patient:07d}", first, last, f"{patient:08d}Z", f"6{patient:08d}", f"p{patient}@example.org",
                f"Calle Mayor {patient % 200}", f"28{patient % 1000:03d}",
                f"{1 + patient % 28:02d}/{1 + patient % 12:02d}/{1930 + patient % 90}", rng.choice("HM"),
                f"{1 + index % 28:02d}/{1 + index % 12:02d}/2024",
                f"{celsius * 9 / 5 + 32:.1f}" if fahrenheit else f"{celsius:.1f}".replace(".", ","),
                "F" if fahrenheit else "C", rng.randint(45, 110), rng.randint(150, 195), ",".join(present),
                ",".join(absent), rng.choice(DIAGNOSES), note,
            ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="dxflow_bench_ingest")
    parser.add_argument("--kb-dir", type=Path, default=REPO_ROOT / "instance" / "kb")
    args = parser.parse_args()

    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from app.models import Upload
    from app.warehouse import create_upload, ingest_upload
    from tests.conftest import ensure_pg_database, make_test_config

    work = Path(tempfile.mkdtemp(prefix="dxflow-bench-ingest-"))
    csv_path = work / "hospital.csv"
    started = time.perf_counter()
    write_csv(csv_path, args.rows)
    generated = time.perf_counter() - started

    url = ensure_pg_database(args.database, fresh=True).replace(
        "postgresql+psycopg://postgres@127.0.0.1:5432", args.pg_url)
    config = make_test_config(work, url, TESTING=False, KB_DIR=str(args.kb_dir), K_ANONYMITY=5,
                              MAX_INGEST_BYTES=4 * 2**30)
    app = create_app(config)
    with app.app_context():
        upgrade()
        from app.vocabulary.service import current_vocabulary

        current_vocabulary()  # build the indexes before timing, as a running worker would have them
        with csv_path.open("rb") as handle:
            [upload] = create_upload([("hospital.csv", io.BytesIO(handle.read()))], "bench", "hospital_csv",
                                     enqueue=False)
        started = time.perf_counter()
        ingest_upload(upload.id)
        total = time.perf_counter() - started
        upload = db.session.get(Upload, upload.id)
        timings = upload.report["timings"]
        figures = {
            "rows": args.rows,
            "file_mb": round(csv_path.stat().st_size / 2**20, 1),
            "generate_seconds": round(generated, 1),
            "ingest_seconds": round(total, 1),
            "rows_loaded": upload.rows_loaded,
            "rows_suppressed": upload.report["anonymization"]["rows_suppressed"],
            "stage_seconds": timings,
            "stage_rows_per_second": {
                stage: round(args.rows / seconds) for stage, seconds in timings.items() if seconds
            },
            "load_rows_per_second": round(upload.rows_loaded / timings["load"]),
            "end_to_end_rows_per_second": round(args.rows / total),
            "warehouse_rows": upload.report["load"],
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        }
        db.session.remove()
        db.engine.dispose()
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
