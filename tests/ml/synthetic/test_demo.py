"""The demo dataset generator: every source reads back with its built-in profile, and the data look as promised.

Expected values are recomputed from the written files (and the lexicons and knowledge base), not taken from
the generator's own bookkeeping, except where a test checks that the manifest agrees with the files.
"""

import csv
import json
import re
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from ml import synthetic as demo
from ml.ingest import ReadReport, apply_profile, read_file, read_with_profile, validate_records
from ml.knowledge import Vocabulary, load_kb
from ml.privacy import dni_checksum_ok, find_identifiers, normalize_patient_id
from ml.schema import CANONICAL_COLUMNS
from ml.synthetic import BUILTIN_PROFILES
from tests.kb_build import session_kb_dir

PATIENTS = 300
SEED = 11
DATA_DIR = Path(__file__).resolve().parents[3] / "data"
FILE_SOURCES = ("hospital_csv", "registry_jsonl", "research_xlsx")


def lexicon(name: str) -> dict[str, str]:
    """Return term -> HPO id (empty for risk factors) of one lexicon file."""
    with open(DATA_DIR / name, encoding="utf-8", newline="") as handle:
        return {row["term"]: row["hpo_id"] for row in csv.DictReader(handle)}


@pytest.fixture(scope="module")
def knowledge(tmp_path_factory):
    return load_kb(session_kb_dir(tmp_path_factory))


@pytest.fixture(scope="module")
def generated(knowledge, tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("demo") / "out"
    return demo.generate_demo(out_dir, kb=knowledge, patients=PATIENTS, seed=SEED)


@pytest.fixture(scope="module")
def manifest(generated):
    return json.loads((generated.out_dir / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def canonical(generated):
    """Return each file source read with ml.ingest and its built-in profile, harmonised."""
    frames = {}
    for source in FILE_SOURCES:
        chunks = read_with_profile(generated.paths[source], BUILTIN_PROFILES[source], chunksize=100)
        frames[source] = pd.concat(list(chunks), ignore_index=True)
    return frames


@pytest.fixture(scope="module")
def notes(generated):
    """Return the canonical record of every note file, read one by one as the upload would."""
    records = []
    for path in sorted(generated.paths["clinic_notes"].iterdir()):
        (chunk,) = read_file(path)
        records.append(apply_profile(chunk, BUILTIN_PROFILES["clinic_notes"]).iloc[0])
    return pd.DataFrame(records)


# ------------------------------------------------------------------------------------------ every source


@pytest.mark.parametrize("source", FILE_SOURCES)
def test_each_file_reads_with_its_builtin_profile_into_valid_canonical_records(source, canonical, manifest):
    records = canonical[source]
    assert list(records.columns[: len(CANONICAL_COLUMNS)]) == CANONICAL_COLUMNS
    assert len(records) == manifest["sources"][source]["records"] > 0
    valid, errors = validate_records(records)
    assert errors == [] and len(valid) == len(records)
    assert records["patient_id"].notna().all()
    assert records["symptoms"].map(len).gt(0).mean() > 0.9
    assert records["temperature_c"].dropna().between(35, 42).all()
    assert records["sex"].dropna().isin({"male", "female"}).all()


def test_the_manifest_counts_match_the_files_and_the_patients_add_up(generated, manifest, canonical, notes):
    counts = {source: len(frame) for source, frame in canonical.items()} | {"clinic_notes": len(notes)}
    assert counts == {source: entry["records"] for source, entry in manifest["sources"].items()}
    assert counts == generated.records
    assert manifest["patients"] == len(manifest["patient_truth"]) == PATIENTS
    listed = Counter(source for truth in manifest["patient_truth"].values() for source in truth["sources"])
    assert dict(listed) == counts


def test_the_manifest_holds_no_identifier_beyond_note_file_names(generated, manifest, canonical):
    # Note files are named after their patient (the clinic_notes profile reads the id from the name), so
    # their names are the one reference back to raw data; everything else is demo keys and codes.
    entries = {**manifest, "knowledge_base": None}
    entries["records"] = {
        source: [{**entry, "ref": None} if source == "clinic_notes" else entry for entry in records]
        for source, records in manifest["records"].items()
    }
    text = json.dumps(entries, ensure_ascii=False)
    for values in generated.identifiers.values():
        assert not any(value in text for value in values)
    raw_ids = {value for frame in canonical.values() for value in frame["patient_id"]}
    assert not {value for value in raw_ids if value in text}
    assert find_identifiers(text.replace('"', " ")) == []


@pytest.mark.parametrize("source,lang", [("hospital_csv", "es"), ("registry_jsonl", None), ("research_xlsx", "en")])
def test_the_normaliser_maps_written_symptoms_and_diagnoses_back_to_the_manifest(
    source, lang, canonical, manifest, knowledge
):
    vocabulary = Vocabulary.build(knowledge)
    # Risk-factor columns (family_history, ...) are exposures the generator sets apart from the findings.
    risk_factors = {term for term, hpo_id in lexicon("lexicon_en.csv").items() if not hpo_id}
    assert len(canonical[source]) > 0
    mapped = 0
    for row, truth in zip(canonical[source].itertuples(), manifest["records"][source], strict=True):
        texts = [text for text in row.symptoms if text not in risk_factors]
        mapped += len(texts)
        symptoms = {vocabulary.match_symptom(text, lang=lang).id for text in texts}
        assert symptoms == set(truth["present"]), row.row_number
        assert {vocabulary.match_disease(text).id for text in row.diagnoses} == set(truth["diagnoses"])
    assert mapped > 0


# ------------------------------------------------------------------------------------------ hospital CSV


def test_hospital_csv_is_latin1_with_semicolons_spanish_symptoms_and_icd10_codes(generated, canonical):
    raw = generated.paths["hospital_csv"].read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    text = raw.decode("latin-1")
    header = text.splitlines()[0]
    assert header == ";".join(demo.HOSPITAL_COLUMNS)
    assert set(BUILTIN_PROFILES["hospital_csv"].referenced_columns()) <= set(header.split(";"))
    assert re.search("[ñáéíóú]", text)
    spanish = lexicon("lexicon_es.csv")
    records = canonical["hospital_csv"]
    symptoms = [term for terms in records["symptoms"] for term in terms]
    assert symptoms and all(term in spanish for term in symptoms)
    assert any(terms for terms in records["absent_symptoms"])
    codes = {code for codes in records["diagnoses"] for code in codes}
    assert codes and all(re.fullmatch(r"[A-Z]\d{2}(\.\d{1,2})?", code) for code in codes)
    assert (records["diagnoses"].map(len) == 2).any()


def test_hospital_csv_has_fahrenheit_rows_that_convert_to_plausible_celsius(canonical):
    records = canonical["hospital_csv"]
    fahrenheit = records[records["temperature_unit"].isin(["F", "°F"])]
    assert 0.05 < len(fahrenheit) / len(records) < 0.3
    assert fahrenheit["temperature"].astype(float).between(95, 107).all()
    assert fahrenheit["temperature_c"].between(35, 42).all()
    assert records["temperature"].isna().any()


def test_hospital_csv_carries_identifiers_with_valid_dni_letters(generated):
    with open(generated.paths["hospital_csv"], encoding="latin-1", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    assert all(dni_checksum_ok(row["dni"]) for row in rows)
    assert all(row["nombre"] and row["apellidos"] for row in rows)
    assert sum("@" in row["email"] for row in rows) > len(rows) / 2
    assert sum(bool(re.search(r"\d{3}", row["telefono"])) for row in rows) > len(rows) / 2
    assert all(re.fullmatch(r"\d{5}", row["cp"]) for row in rows if row["cp"])
    assert all(re.fullmatch(r"\d{3}[- ]\d{3}", row["id_paciente"]) for row in rows)


# ------------------------------------------------------------------------------------------ registry


def test_registry_has_hpo_ids_rare_codes_and_excluded_terms(canonical, knowledge):
    records = canonical["registry_jsonl"]
    terms = {term for column in ("symptoms", "absent_symptoms") for row in records[column] for term in row}
    assert terms and all(term in knowledge.term_index for term in terms)
    assert all(not set(row.symptoms) & set(row.absent_symptoms) for row in records.itertuples())
    assert records["absent_symptoms"].map(len).gt(0).mean() > 0.3
    diagnoses = [codes for codes in records["diagnoses"]]
    assert all(len(codes) == 1 and codes[0].startswith(("ORPHA:", "OMIM:")) for codes in diagnoses)
    assert all(codes[0] in knowledge.disease_index and knowledge.disease(codes[0]).orphan for codes in diagnoses)


def test_orphan_diseases_have_at_most_ten_cases_and_most_diseases_none(canonical, knowledge):
    cases = Counter(codes[0] for codes in canonical["registry_jsonl"]["diagnoses"])
    assert len(cases) >= 3 and max(cases.values()) <= 10
    assert sum(cases.values()) == round(PATIENTS * demo.DemoSettings().orphan_share)
    rare_diseases = sum(1 for disease_id in knowledge.disease_ids if disease_id.startswith(("ORPHA:", "OMIM:")))
    assert len(cases) < rare_diseases / 100


def test_rare_cases_use_imprecise_ancestor_terms_and_unrelated_noise(canonical, knowledge):
    imprecise = noisy = 0
    for row in canonical["registry_jsonl"].itertuples():
        annotated = set(knowledge.disease(row.diagnoses[0]).frequencies)
        for term in set(row.symptoms) - annotated:
            descendants_annotated = any(term in knowledge.ancestors_of(known) for known in annotated)
            imprecise += descendants_annotated
            noisy += not descendants_annotated
    assert imprecise > 0 and noisy > 0


# ------------------------------------------------------------------------------------------ research XLSX


def test_research_xlsx_is_wide_with_kaggle_columns_and_kaggle_prognosis(generated, canonical, knowledge):
    (chunk,) = read_file(generated.paths["research_xlsx"], chunksize=10_000)
    scalar = set(BUILTIN_PROFILES["research_xlsx"].referenced_columns()) | {"row_number"}
    wide = [column for column in chunk.columns if column not in scalar]
    english = lexicon("lexicon_en.csv")
    assert len(wide) > 100 and all(column in english for column in wide)
    assert sum("_" in column for column in wide) > len(wide) / 2
    labels = {knowledge.disease_aliases[index][0] for index, disease_id in enumerate(knowledge.disease_ids)
              if disease_id.startswith("ICD10:")}  # fmt: skip
    assert set(chunk["prognosis"]) <= labels and "Fungal infection" in labels
    cells = chunk[wide].stack(future_stack=True)
    assert set(cells.dropna()) == {"0", "1"} and cells.isna().any()
    records = canonical["research_xlsx"]
    assert set(records["temperature_unit"]) == {"F"} and records["temperature"].dropna().astype(float).gt(90).all()
    assert records["weight_kg"].dropna().lt(records["weight"].dropna().astype(float)).all()
    assert records["age"].isna().any() and records["sex"].isna().any()


# ------------------------------------------------------------------------------------------ notes


def test_notes_are_spanish_and_english_with_identifiers_and_negated_mentions(notes, manifest, generated):
    languages = Counter(record["language"] for record in manifest["records"]["clinic_notes"])
    assert languages["es"] > 0 and languages["en"] > 0
    texts = list(notes["notes"])
    assert any(re.search(r"^(Niega|Sin) ", text, re.M) for text in texts)
    assert any(re.search(r"^(Denies|No) ", text, re.M) for text in texts)
    with_identifiers = [text for text in texts if {kind for kind, _ in find_identifiers(text)} >= {"DATE", "NAME"}]
    assert len(with_identifiers) > 0.8 * len(texts)
    stems = {Path(name).stem for name in notes["patient_id"]}
    assert stems == {Path(entry["ref"]).stem for entry in manifest["records"]["clinic_notes"]}


# ------------------------------------------------------------------------------------------ population


def test_common_diseases_keep_their_prevalence_imbalance(manifest, knowledge):
    counts = Counter(disease for truth in manifest["patient_truth"].values() for disease in truth["diseases"])
    common = sorted(
        (knowledge.disease_prevalence_weight[knowledge.disease_index[disease_id]], counts[disease_id])
        for disease_id in knowledge.disease_ids
        if disease_id.startswith("ICD10:")
    )
    lightest, heaviest = [count for _, count in common[:10]], [count for _, count in common[-10:]]
    assert max(heaviest) >= 20
    assert sum(heaviest) > 5 * max(sum(lightest), 1)
    assert max(count for _, count in common) >= 10 * max(min(count for _, count in common), 1)


def test_about_ten_percent_of_patients_have_two_diseases(manifest):
    sizes = Counter(len(truth["diseases"]) for truth in manifest["patient_truth"].values())
    assert set(sizes) == {1, 2}
    assert 0.06 < sizes[2] / PATIENTS < 0.14


def test_shared_patients_link_across_sources_despite_differently_written_ids(generated, manifest):
    def raw_ids(source: str) -> dict[str, str]:
        """Map the demo key of each record to the id as written in the file."""
        if source == "hospital_csv":
            with open(generated.paths[source], encoding="latin-1", newline="") as handle:
                ids = [row["id_paciente"] for row in csv.DictReader(handle, delimiter=";")]
        else:
            (chunk,) = read_file(generated.paths[source], chunksize=10_000)
            ids = list(chunk["patient_id" if source == "registry_jsonl" else "subject_id"])
        return {entry["patient"]: ids[index] for index, entry in enumerate(manifest["records"][source])}

    hospital, research, registry = raw_ids("hospital_csv"), raw_ids("research_xlsx"), raw_ids("registry_jsonl")
    linked = {normalize_patient_id(value) for value in hospital.values()} & {
        normalize_patient_id(value) for value in research.values()
    }
    shared = set(hospital) & set(research)
    assert shared and len(linked) == len(shared)
    assert all(hospital[key] != research[key] for key in shared)
    assert all(normalize_patient_id(hospital[key]) == normalize_patient_id(research[key]) for key in shared)
    assert set(hospital) & set(registry)
    others = set(hospital) - shared
    assert not {normalize_patient_id(hospital[key]) for key in others} & {
        normalize_patient_id(value) for value in research.values()
    }


def test_missing_values_appear_in_every_file_source(generated):
    with open(generated.paths["hospital_csv"], encoding="latin-1", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    for column in ("temperatura", "sexo", "fecha_nacimiento", "peso_kg", "email"):
        assert any(not row[column] for row in rows), column
    registry = [json.loads(line) for line in generated.paths["registry_jsonl"].read_text().splitlines()]
    assert any(record["temperature_c"] is None for record in registry)
    assert any(record[key] is None for record in registry for key in ("birth_date", "sex", "zip"))


# ------------------------------------------------------------------------------------------ determinism


def files_of(folder: Path) -> dict[str, bytes]:
    """Return the bytes of every file under a folder, by relative path."""
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def test_the_same_seed_gives_the_same_bytes_and_another_seed_other_data(generated, knowledge, tmp_path):
    again = demo.generate_demo(tmp_path / "again", kb=knowledge, patients=PATIENTS, seed=SEED)
    other = demo.generate_demo(tmp_path / "other", kb=knowledge, patients=PATIENTS, seed=SEED + 1)
    assert files_of(again.out_dir) == files_of(generated.out_dir)
    assert files_of(other.out_dir)["hospital_records.csv"] != files_of(generated.out_dir)["hospital_records.csv"]


def test_regenerating_replaces_a_previous_demo_but_never_a_foreign_folder(knowledge, tmp_path):
    first = demo.generate_demo(tmp_path / "out", kb=knowledge, patients=60, seed=1)
    second = demo.generate_demo(tmp_path / "out", kb=knowledge, patients=40, seed=2)
    assert sum(1 for _ in second.paths["clinic_notes"].iterdir()) == second.records["clinic_notes"]
    assert first.out_dir == second.out_dir
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("mine")
    with pytest.raises(demo.DemoError, match="not empty"):
        demo.generate_demo(foreign, kb=knowledge, patients=10, seed=1)
    assert (foreign / "keep.txt").read_text() == "mine" and len(list(foreign.iterdir())) == 1


def test_names_never_read_as_symptoms():
    words = {term for name in ("lexicon_es.csv", "lexicon_en.csv") for term in lexicon(name)}
    names = (*demo.SPANISH_MALE, *demo.SPANISH_FEMALE, *demo.SPANISH_SURNAMES, *demo.ENGLISH_MALE,
             *demo.ENGLISH_FEMALE, *demo.ENGLISH_SURNAMES)  # fmt: skip
    assert not {name.casefold() for name in names} & {word.casefold() for word in words}


def test_read_report_sees_the_encoding_and_delimiter(generated):
    report = ReadReport()
    list(read_file(generated.paths["hospital_csv"], fallback_encoding="latin-1", report=report))
    assert report.delimiter == ";" and report.encoding in {"iso8859-1", "latin-1"}


def test_demo_case_records_are_seeded_cases_one_per_patient_from_a_demo_source(knowledge):
    records = demo.demo_case_records(knowledge, 200, seed=4)
    assert records == demo.demo_case_records(knowledge, 200, seed=4)
    assert records != demo.demo_case_records(knowledge, 200, seed=5)
    assert [record["case_id"] for record in records] == list(range(1, 201))
    assert {record["source"] for record in records} <= set(BUILTIN_PROFILES)
    assert all(record["diagnoses"] and record["present"] and record["age_group"] for record in records)
    assert all(set(d) <= set(knowledge.disease_index) for d in (r["diagnoses"] for r in records))
