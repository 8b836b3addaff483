"""Generate the heterogeneous demo dataset: four data sources drawn from the knowledge base and the lexicons.

``generate_demo(out_dir, kb=..., patients=N, seed=S)`` writes, deterministically by seed (byte for byte):

* ``hospital_records.csv`` — hospital clinical records: semicolon-delimited, Latin-1, Spanish symptom names
  (``data/lexicon_es.csv``), °F in some rows (with the ``unidad_temp`` column), identifier columns (name, DNI
  with a valid check letter, phone, e-mail, address, postcode, birth and visit dates) and ICD-10 codes;
* ``rare_disease_registry.jsonl`` — a rare-disease registry: HPO ids, ORPHA or OMIM codes, excluded terms;
* ``research_database.xlsx`` — a research database in wide one-hot form: one column per Kaggle-style English
  symptom of ``data/lexicon_en.csv`` (0 = not present, 1 = present, blank = not recorded), ``prognosis`` with
  the Kaggle disease label (the first alias in the catalogue), weight in lb, height in inches, temperature in °F;
* ``notes/<patient id>.txt`` — doctors' notes in Spanish and English with identifiers and symptom mentions,
  some negated ("niega tos", "sin fiebre", "denies cough", "no fever");

and ``manifest.json``, the ground truth: records per source (row numbers, diseases, HPO ids written), each
patient's true diseases and sources, case counts. Patients are keyed by an opaque demo key (``D000001``) that
appears in no source file; the manifest holds no names, ids, dates or contact details.

Every source follows its built-in profile in ``ml.synthetic.BUILTIN_PROFILES``. Patients share one numeric id
space, and each source writes the id its own way (``123-456`` in the hospital, ``123456`` in the research
database), so a patient found in two sources links after ``ml.privacy.normalize_patient_id``.
"""


from __future__ import annotations

import json
import random
import shutil
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

from ml.harmonization import age_group, temperature_band
from ml.knowledge import KnowledgeBase
from ml.synthetic.catalogue import Catalogue, Lexicons, load_lexicons
from ml.synthetic.identities import make_identity
from ml.synthetic.patients import DemoPatient, assign_sources, draw_disease_lists, make_patient
from ml.synthetic.settings import (
    DATA_DIR,
    GENERATOR,
    MANIFEST_NAME,
    RESEARCH_SCALAR_COLUMNS,
    SOURCE_PATHS,
    DemoError,
    DemoResult,
    DemoSettings,
)
from ml.synthetic.sources import SourceRecords, hospital_row, note_file, registry_record, research_row
from ml.synthetic.writers import write_hospital_csv, write_jsonl, write_xlsx


def prepare_out_dir(out_dir: Path) -> None:
    """Create the output folder, or clear a previous demo dataset in it; refuse any other non-empty folder."""
    out_dir.mkdir(parents=True, exist_ok=True)
    if not any(out_dir.iterdir()):
        return
    manifest = out_dir / MANIFEST_NAME
    try:
        previous = json.loads(manifest.read_text(encoding="utf-8")).get("generator", "")
    except (OSError, ValueError, AttributeError):
        previous = ""
    if not previous.startswith("dxflow-demo/"):
        raise DemoError(f"{out_dir} is not empty and holds no demo dataset; choose an empty or new folder.")
    for name in SOURCE_PATHS.values():
        target = out_dir / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    manifest.unlink()


def _identifiers(patient: DemoPatient) -> dict[str, str]:
    """Return the identifiers a patient's raw records may carry, by type."""
    who = patient.identity
    return {
        "name": f"{who.first_name} {who.last_name}",
        "national_id": who.national_id,
        "phone": who.phone,
        "email": who.email,
        "address": who.address,
    }


def _summary(patients: Sequence[DemoPatient], orphan_counts: Mapping[str, int]) -> dict:
    """Return the headline ground truth: cases per disease, multi-disease and shared patients."""
    per_disease = Counter(disease for patient in patients for disease in patient.diseases)
    shared = Counter("+".join(sorted(set(patient.sources))) for patient in patients if len(set(patient.sources)) > 1)
    return {
        "patients_per_disease": dict(sorted(per_disease.items(), key=lambda item: (-item[1], item[0]))),
        "orphan_case_counts": dict(sorted(orphan_counts.items())),
        "orphan_patients": sum(patient.orphan for patient in patients),
        "multi_disease_patients": sum(len(patient.diseases) > 1 for patient in patients),
        "shared_patients": sum(len(set(patient.sources)) > 1 for patient in patients),
        "shared_by_sources": dict(sorted(shared.items())),
    }


def generate_demo(
    out_dir: Path,
    *,
    kb: KnowledgeBase,
    patients: int = 20_000,
    seed: int = 0,
    settings: DemoSettings | None = None,
    data_dir: Path = DATA_DIR,
) -> DemoResult:
    """Generate the four demo sources and ``manifest.json`` under ``out_dir``; the same seed gives the same bytes."""
    if patients < 1:
        raise DemoError("The demo needs at least one patient.")
    started = time.perf_counter()
    settings = settings or DemoSettings()
    out_dir = Path(out_dir)
    prepare_out_dir(out_dir)
    rng = random.Random(seed)
    catalogue = Catalogue(kb, settings.prevalence_tempering)
    lexicons = load_lexicons(data_dir)
    disease_lists, orphan_counts = draw_disease_lists(rng, patients, catalogue, settings)
    numbers = rng.sample(range(100_000, 1_000_000), patients)
    population = [
        make_patient(rng, f"D{index:06d}", number, diseases, catalogue, settings)
        for index, (number, diseases) in enumerate(zip(numbers, disease_lists, strict=True), start=1)
    ]
    assign_sources(rng, population, lexicons, catalogue, settings)
    for patient in population:
        patient.identity = make_identity(rng, patient.sex, patient.language)
    sources = _render_sources(rng, population, catalogue, lexicons, settings)
    paths = _write_sources(out_dir, sources, lexicons)
    manifest = _manifest(population, sources, orphan_counts, kb=kb, seed=seed, settings=settings)
    (out_dir / MANIFEST_NAME).write_text(json.dumps(manifest, ensure_ascii=False) + "\n", encoding="utf-8")
    identifiers: dict[str, set[str]] = {}
    for patient in population:
        for kind, value in _identifiers(patient).items():
            identifiers.setdefault(kind, set()).add(value)
    return DemoResult(
        out_dir=out_dir,
        paths=paths,
        records={name: len(records.truth) for name, records in sources.items()},
        patients=patients,
        seconds=time.perf_counter() - started,
        identifiers=identifiers,
    )


def demo_case_records(kb: KnowledgeBase, patients: int, *, seed: int = 0) -> list[dict]:
    """Return demo-like patients as warehouse case records, in memory: one case each, from its home source.

    The patients the demo files are written from (``draw_disease_lists``, ``make_patient``, ``assign_sources``),
    without writing files or identities; for benches that train on demo-sized data. Deterministic by ``seed``.
    """
    rng, settings = random.Random(seed), DemoSettings()
    catalogue = Catalogue(kb, settings.prevalence_tempering)
    lists, _ = draw_disease_lists(rng, patients, catalogue, settings)
    population = [make_patient(rng, f"D{i:06d}", i, diseases, catalogue, settings) for i, diseases in enumerate(lists)]
    assign_sources(rng, population, load_lexicons(), catalogue, settings)
    return [{"case_id": i + 1, "source": p.sources[0], "sex": p.sex, "age_group": age_group(p.age),
             "temperature_c": p.temperature_c, "temperature_band": temperature_band(p.temperature_c),
             "present": p.present, "absent": p.absent, "diagnoses": p.diseases} for i, p in enumerate(population)]


def _render_sources(
    rng: random.Random,
    population: Sequence[DemoPatient],
    catalogue: Catalogue,
    lexicons: Lexicons,
    settings: DemoSettings,
) -> dict[str, SourceRecords]:
    """Turn every patient into the records of the sources they appear in, with manifest entries."""
    sources = {name: SourceRecords() for name in SOURCE_PATHS}
    for patient in population:
        for name in patient.sources:
            records = sources[name]
            if name == "hospital_csv":
                row, truth = hospital_row(rng, patient, catalogue, lexicons, settings)
                ref: object = len(records.rows) + 2  # the header is row 1
            elif name == "registry_jsonl":
                row, truth = registry_record(rng, patient, catalogue, settings)
                ref = len(records.rows) + 1  # JSON Lines count lines from 1
            elif name == "research_xlsx":
                row, truth = research_row(rng, patient, catalogue, lexicons, settings)
                ref = len(records.rows) + 2
            else:
                row, truth = note_file(rng, patient, catalogue, lexicons)
                ref = row[0]
            records.rows.append(row)
            records.truth.append({"ref": ref, "patient": patient.key, **truth})
    return sources


def _write_sources(out_dir: Path, sources: Mapping[str, SourceRecords], lexicons: Lexicons) -> dict[str, Path]:
    """Write the four sources and return their paths."""
    paths = {name: out_dir / relative for name, relative in SOURCE_PATHS.items()}
    write_hospital_csv(paths["hospital_csv"], sources["hospital_csv"].rows)
    write_jsonl(paths["registry_jsonl"], sources["registry_jsonl"].rows)
    header = [*RESEARCH_SCALAR_COLUMNS, *lexicons.kaggle_columns, "prognosis"]
    write_xlsx(paths["research_xlsx"], header, sources["research_xlsx"].rows)
    paths["clinic_notes"].mkdir()
    for name, text in sources["clinic_notes"].rows:
        (paths["clinic_notes"] / name).write_text(text, encoding="utf-8")
    return paths


def _manifest(
    population: Sequence[DemoPatient],
    sources: Mapping[str, SourceRecords],
    orphan_counts: Mapping[str, int],
    *,
    kb: KnowledgeBase,
    seed: int,
    settings: DemoSettings,
) -> dict:
    """Return the ground truth: sources, records, patients (by demo key) and summary counts; no identifiers."""
    return {
        "generator": GENERATOR,
        "seed": seed,
        "patients": len(population),
        "knowledge_base": {"hpo_release": kb.version, "content_hash": kb.content_hash},
        "settings": settings.__dict__,
        "sources": {
            name: {"path": SOURCE_PATHS[name], "profile": name, "records": len(records.truth)}
            for name, records in sources.items()
        },
        "records": {name: records.truth for name, records in sources.items()},
        "patient_truth": {
            patient.key: {"diseases": patient.diseases, "sources": patient.sources} for patient in population
        },
        "summary": _summary(population, orphan_counts),
    }
