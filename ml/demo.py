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

import csv
import io
import json
import random
import shutil
import time
import zipfile
from bisect import bisect
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import accumulate
from pathlib import Path
from xml.sax.saxutils import escape

from ml.knowledge import KnowledgeBase

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
GENERATOR = "dxflow-demo/1"
MANIFEST_NAME = "manifest.json"
SOURCE_PATHS = {
    "hospital_csv": "hospital_records.csv",
    "registry_jsonl": "rare_disease_registry.jsonl",
    "research_xlsx": "research_database.xlsx",
    "clinic_notes": "notes",
}
HOSPITAL_COLUMNS = (
    "id_paciente", "nombre", "apellidos", "dni", "telefono", "email", "direccion", "cp", "fecha_nacimiento", "sexo",
    "fecha_visita", "temperatura", "unidad_temp", "peso_kg", "talla_cm", "sintomas", "sintomas_ausentes",
    "diagnostico_cie10", "notas",
)  # fmt: skip
RESEARCH_SCALAR_COLUMNS = ("subject_id", "age", "gender", "weight_lb", "height_in", "temp_f")
FEVER_TERMS = {"HP:0033031": (40.5, 41.3), "HP:0001945": (38.0, 40.0), "HP:0011134": (37.4, 38.0)}
NEGATION_WORDS = frozenset({"no", "not", "sin", "ni", "nor", "without", "never"})
ROOT_TERMS = frozenset({"HP:0000001", "HP:0000118"})
PHENOTYPE_ROOT = "HP:0000118"
# Findings a clinician asks about in most visits; the ones a patient lacks become pertinent negatives.
REVIEW_OF_SYSTEMS = (
    "HP:0001945", "HP:0012735", "HP:0002315", "HP:0002013", "HP:0002014", "HP:0100749", "HP:0002094",
    "HP:0000988", "HP:0002027", "HP:0012378",
)  # fmt: skip
FIRST_DATE, LAST_DATE = date(2019, 1, 1), date(2024, 12, 31)
# Fixed zip timestamp so the workbook is byte-identical for a seed (zip entries otherwise carry "now").
ZIP_TIMESTAMP = (2024, 1, 1, 0, 0, 0)


class DemoError(Exception):
    """The demo dataset cannot be generated; the message says why."""


@dataclass(frozen=True)
class DemoSettings:
    """Shares and sizes of the demo population; every share is a probability per patient or per record."""

    orphan_share: float = 0.05
    multi_disease_share: float = 0.10
    # Catalogue weights span 30 to 50,000 per 100,000; weight**0.7 keeps the order and a 1:180 spread, so the
    # rarest common diseases still get a handful of cases in 20,000 patients.
    prevalence_tempering: float = 0.7
    hospital_share: float = 0.6
    shared_common_share: float = 0.05
    shared_orphan_share: float = 0.25
    note_share: float = 0.06
    fahrenheit_share: float = 0.15
    imprecise_share: float = 0.15
    dropped_share: float = 0.12
    noise_share: float = 0.3
    missing_share: float = 0.08
    max_orphan_cases: int = 10
    max_terms: int = 12


@dataclass
class DemoResult:
    """What one generation wrote: source paths, record counts and the identifiers injected (in memory only)."""

    out_dir: Path
    paths: dict[str, Path]
    records: dict[str, int]
    patients: int
    seconds: float
    identifiers: dict[str, set[str]] = field(repr=False)


# ---------------------------------------------------------------------------------------------------------
# Lexicons and the knowledge base
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Lexicons:
    """Symptom words per HPO id for each way a source writes symptoms."""

    spanish: Mapping[str, tuple[str, ...]]
    spanish_notes: Mapping[str, tuple[str, ...]]
    english_notes: Mapping[str, tuple[str, ...]]
    kaggle_columns: tuple[str, ...]
    kaggle_by_hpo: Mapping[str, tuple[str, ...]]
    risk_factor_columns: tuple[str, ...]


def _read_lexicon(path: Path) -> list[tuple[str, str, str]]:
    """Return the (term, hpo_id, register) rows of a lexicon CSV in file order."""
    with open(path, encoding="utf-8", newline="") as handle:
        return [(row["term"], row["hpo_id"], row["register"]) for row in csv.DictReader(handle)]


def _by_hpo(rows: Iterable[tuple[str, str]]) -> dict[str, tuple[str, ...]]:
    """Group terms by HPO id, keeping file order."""
    grouped: dict[str, list[str]] = {}
    for term, hpo_id in rows:
        if hpo_id:
            grouped.setdefault(hpo_id, []).append(term)
    return {hpo_id: tuple(terms) for hpo_id, terms in grouped.items()}


def _holds_negation(term: str) -> bool:
    """Return True for a phrase with a negation word inside ("tos no productiva", "no sentir sabores")."""
    # ml.harmonization.extract_mentions reads such a word as a cue that negates the mentions after it, so
    # notes avoid these phrases to keep the manifest's present/absent findings what a reader gets.
    return bool(NEGATION_WORDS & set(term.split()))


def kaggle_columns(rows: Sequence[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """Return the Kaggle-style rows of lexicon_en: the leading block, up to the first plain spaced phrase."""
    block = []
    for row in rows:
        if " " in row[0] and "_" not in row[0]:
            break
        block.append(row)
    return block


def load_lexicons(data_dir: Path = DATA_DIR) -> Lexicons:
    """Load the Spanish and English lexicons into the lookups the source writers use."""
    spanish = _read_lexicon(Path(data_dir) / "lexicon_es.csv")
    english = _read_lexicon(Path(data_dir) / "lexicon_en.csv")
    kaggle = kaggle_columns(english)
    # First-person lay phrases ("me duele la barriga") read badly inside a third-person note.
    note_spanish = [(term, hpo) for term, hpo, _ in spanish if not term.startswith(("me ", "tengo "))]
    note_english = [(term, hpo) for term, hpo, _ in english if "_" not in term]
    return Lexicons(
        spanish=_by_hpo((term, hpo) for term, hpo, _ in spanish),
        spanish_notes=_by_hpo(pair for pair in note_spanish if not _holds_negation(pair[0])),
        english_notes=_by_hpo(pair for pair in note_english if not _holds_negation(pair[0])),
        kaggle_columns=tuple(term for term, _, _ in kaggle),
        kaggle_by_hpo=_by_hpo((term, hpo) for term, hpo, _ in kaggle),
        risk_factor_columns=tuple(term for term, hpo, _ in kaggle if not hpo),
    )


@dataclass(frozen=True)
class CommonInfo:
    """One common disease as the generator uses it."""

    id: str
    icd10: str
    name_en: str
    name_es: str
    label: str
    terms: tuple[str, ...]
    frequencies: tuple[float, ...]
    excluded: tuple[str, ...]


@dataclass(frozen=True)
class OrphanInfo:
    """One ORPHA or OMIM disease as the generator uses it."""

    id: str
    name: str
    sex: str
    terms: tuple[str, ...]
    frequencies: tuple[float, ...]
    excluded: tuple[str, ...]


class Catalogue:
    """The diseases, weights and term lookups drawn from the knowledge base, computed once per generation."""

    def __init__(self, kb: KnowledgeBase, tempering: float) -> None:
        self.kb = kb
        common_ids = [disease_id for disease_id in kb.disease_ids if disease_id.startswith("ICD10:")]
        if not common_ids:
            raise DemoError("The knowledge base has no common diseases: rebuild it with the common catalogue.")
        self.common = [self._common(disease_id) for disease_id in common_ids]
        self.common_by_id = {info.id: info for info in self.common}
        weights = [kb.disease_prevalence_weight[kb.disease_index[info.id]] ** tempering for info in self.common]
        self.common_cumulative = list(accumulate(weights))
        annotated = kb.annotations.indptr[1:] - kb.annotations.indptr[:-1]
        self.orphan_candidates = [
            disease_id
            for index, disease_id in enumerate(kb.disease_ids)
            if disease_id.startswith(("ORPHA:", "OMIM:")) and annotated[index] >= 3
        ]
        self.common_terms = sorted({term for info in self.common for term in info.terms})
        self.too_general = ROOT_TERMS | {
            term_id for term_id, parents in zip(kb.term_ids, kb.term_parents, strict=True) if PHENOTYPE_ROOT in parents
        }
        self._ancestors: dict[str, frozenset[str]] = {}
        # Lexicon look-ups by (id of the lexicon table, term): the tables live as long as one generation.
        self.nearest_cache: dict[tuple[int, str], str | None] = {}

    def _common(self, disease_id: str) -> CommonInfo:
        """Build the generator's view of one catalogue disease."""
        record = self.kb.disease(disease_id)
        return CommonInfo(
            id=record.id,
            icd10=record.icd10,
            name_en=record.name,
            name_es=record.name_es or record.name,
            label=record.aliases[0] if record.aliases else record.name,
            terms=tuple(record.frequencies),
            frequencies=tuple(record.frequencies.values()),
            excluded=record.excluded,
        )

    def orphan(self, disease_id: str) -> OrphanInfo:
        """Build the generator's view of one rare disease."""
        record = self.kb.disease(disease_id)
        return OrphanInfo(
            id=record.id,
            name=record.name,
            sex=record.sex,
            terms=tuple(record.frequencies),
            frequencies=tuple(record.frequencies.values()),
            excluded=record.excluded,
        )

    def draw_common(self, rng: random.Random, *, exclude: Iterable[str] = ()) -> CommonInfo:
        """Draw a common disease by tempered prevalence weight."""
        excluded = set(exclude)
        while True:
            info = self.common[bisect(self.common_cumulative, rng.random() * self.common_cumulative[-1])]
            if info.id not in excluded:
                return info

    def parents(self, term_id: str) -> tuple[str, ...]:
        """Return a term's direct is_a parents that are specific enough to stand in for it."""
        index = self.kb.term_index[term_id]
        return tuple(parent for parent in self.kb.term_parents[index] if parent not in self.too_general)

    def ancestors(self, term_id: str) -> frozenset[str]:
        """Return a term's ancestors (itself included), cached."""
        if term_id not in self._ancestors:
            self._ancestors[term_id] = self.kb.ancestors_of(term_id)
        return self._ancestors[term_id]


def nearest_with_words(term_id: str, table: Mapping[str, tuple], catalogue: Catalogue, depth: int = 3) -> str | None:
    """Return the term itself or its closest specific ancestor that has words in ``table``; None if none."""
    key = (id(table), term_id)
    if key not in catalogue.nearest_cache:
        catalogue.nearest_cache[key] = _nearest(term_id, table, catalogue, depth)
    return catalogue.nearest_cache[key]


def _nearest(term_id: str, table: Mapping[str, tuple], catalogue: Catalogue, depth: int) -> str | None:
    """Search upwards, level by level, for a term with words in ``table``."""
    frontier = [term_id]
    for _ in range(depth + 1):
        hits = sorted(term for term in frontier if term in table)
        if hits:
            return hits[0]
        frontier = sorted({parent for term in frontier for parent in catalogue.parents(term)})
    return None


# ---------------------------------------------------------------------------------------------------------
# Patients
# ---------------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Identity:
    """Who a patient is in the raw files; never written to the manifest."""

    first_name: str
    last_name: str
    national_id: str
    phone: str
    email: str
    address: str
    zip: str
    doctor: str


@dataclass(slots=True)
class DemoPatient:
    """One synthetic patient: truth (diseases, findings) and what the sources write about them."""

    key: str
    number: int
    orphan: bool
    diseases: list[str]
    present: list[str]
    absent: list[str]
    sex: str
    age: int
    birth_date: date
    visit_date: date
    temperature_c: float
    weight_kg: float
    height_cm: float
    language: str = "es"
    sources: list[str] = field(default_factory=list)
    identity: Identity | None = None


def orphan_case_counts(rng: random.Random, candidates: Sequence[str], total: int, max_cases: int) -> dict[str, int]:
    """Spread ``total`` rare cases over randomly chosen diseases, 1 to ``max_cases`` each (small counts likelier)."""
    sizes = list(range(1, max_cases + 1))
    cumulative = list(accumulate(1.0 / size for size in sizes))
    order = rng.sample(list(candidates), min(len(candidates), max(total, 1)))
    counts: dict[str, int] = {}
    remaining = total
    for disease_id in order:
        if remaining <= 0:
            break
        size = min(sizes[bisect(cumulative, rng.random() * cumulative[-1])], remaining)
        counts[disease_id] = size
        remaining -= size
    return counts


def _sample_terms(rng: random.Random, terms: Sequence[str], frequencies: Sequence[float], limit: int) -> list[str]:
    """Draw each annotated term with its frequency; keep at least two, at most ``limit``."""
    drawn = [term for term, frequency in zip(terms, frequencies, strict=True) if rng.random() < frequency]
    if len(drawn) < 2:
        ranked = sorted(zip(frequencies, terms, strict=True), reverse=True)
        drawn = list(dict.fromkeys(drawn + [term for _, term in ranked[:2]]))
    if len(drawn) > limit:
        drawn = rng.sample(drawn, limit)
    return drawn


def _imprecise(rng: random.Random, terms: list[str], catalogue: Catalogue, share: float) -> list[str]:
    """Replace some terms by a parent or grandparent, as a clinician coding loosely would."""
    result = []
    for term in terms:
        if rng.random() < share:
            for _ in range(rng.randint(1, 2)):
                parents = catalogue.parents(term)
                if not parents:
                    break
                term = parents[rng.randrange(len(parents))]
        result.append(term)
    return list(dict.fromkeys(result))


def _with_noise(rng: random.Random, terms: list[str], catalogue: Catalogue, settings: DemoSettings) -> list[str]:
    """Drop some findings and add unrelated common ones; never leave a patient without findings."""
    kept = [term for term in terms if rng.random() >= settings.dropped_share] or terms[:1]
    if rng.random() < settings.noise_share:
        for _ in range(rng.randint(1, 2)):
            extra = catalogue.common_terms[rng.randrange(len(catalogue.common_terms))]
            if extra not in kept:
                kept.append(extra)
    return kept


def _pertinent_negatives(
    rng: random.Random, present: list[str], candidates: Iterable[str], catalogue: Catalogue, limit: int = 4
) -> list[str]:
    """Pick findings the patient lacks, skipping any that a present finding implies (an ancestor of it)."""
    implied = set().union(*(catalogue.ancestors(term) for term in present)) if present else set()
    pool = [term for term in dict.fromkeys(candidates) if term not in implied and term in catalogue.kb.term_index]
    rng.shuffle(pool)
    return pool[:limit]


def _findings(
    rng: random.Random, diseases: Sequence[CommonInfo | OrphanInfo], catalogue: Catalogue, settings: DemoSettings
) -> tuple[list[str], list[str]]:
    """Return (present, absent) HPO ids for a patient with these diseases, noise included."""
    present: list[str] = []
    for info in diseases:
        terms = _sample_terms(rng, info.terms, info.frequencies, settings.max_terms)
        if isinstance(info, OrphanInfo):
            terms = _imprecise(rng, terms, catalogue, settings.imprecise_share)
        present.extend(term for term in terms if term not in present)
    present = _with_noise(rng, present, catalogue, settings)
    candidates: list[str] = []
    for info in diseases:
        candidates += [term for term in info.excluded if rng.random() < 0.5]
        rare_features = [term for term, f in zip(info.terms, info.frequencies, strict=True) if f <= 0.17]
        candidates += [term for term in rare_features if rng.random() < 0.25 and term not in present]
    candidates += [term for term in REVIEW_OF_SYSTEMS if rng.random() < 0.15]
    return present, _pertinent_negatives(rng, present, candidates, catalogue)


def _vitals(rng: random.Random, present: Sequence[str], sex: str, age: int) -> tuple[float, float, float]:
    """Return temperature (°C), weight (kg) and height (cm) consistent with the findings, sex and age."""
    low, high = next((FEVER_TERMS[term] for term in FEVER_TERMS if term in present), (36.1, 37.2))
    temperature = round(rng.uniform(low, high), 1)
    if age < 18:
        height = 52 + 6.2 * age + rng.gauss(0, 5)
        weight = max(3.0, 3.5 + 2.6 * age + rng.gauss(0, 3))
    else:
        height = rng.gauss(176, 7) if sex == "male" else rng.gauss(163, 6.5)
        weight = (height / 100) ** 2 * rng.gauss(26, 4)
    return temperature, round(max(weight, 2.5), 1), round(height, 1)


def _age(rng: random.Random, orphan: bool) -> int:
    """Draw an age: rare diseases come to registries mostly in childhood, common ones across adult life."""
    if orphan and rng.random() < 0.6:
        return rng.randint(0, 17)
    return max(0, min(99, int(rng.gauss(46, 21))))


def make_patient(
    rng: random.Random,
    key: str,
    number: int,
    diseases: Sequence[CommonInfo | OrphanInfo],
    catalogue: Catalogue,
    settings: DemoSettings,
) -> DemoPatient:
    """Build one patient: findings from the diseases, age, sex, dates and vitals."""
    orphan = isinstance(diseases[0], OrphanInfo)
    required_sex = diseases[0].sex.lower() if orphan else ""
    sex = required_sex if required_sex in ("male", "female") else rng.choice(("male", "female"))
    age = _age(rng, orphan)
    visit = FIRST_DATE + timedelta(days=rng.randrange((LAST_DATE - FIRST_DATE).days + 1))
    birth = visit - timedelta(days=age * 365 + rng.randrange(365) + age // 4)
    present, absent = _findings(rng, diseases, catalogue, settings)
    temperature, weight, height = _vitals(rng, present, sex, age)
    return DemoPatient(
        key=key,
        number=number,
        orphan=orphan,
        diseases=[info.id for info in diseases],
        present=present,
        absent=absent,
        sex=sex,
        age=age,
        birth_date=birth,
        visit_date=visit,
        temperature_c=temperature,
        weight_kg=weight,
        height_cm=height,
    )


def _disease_lists(
    rng: random.Random, n_patients: int, catalogue: Catalogue, settings: DemoSettings
) -> tuple[list[list[CommonInfo | OrphanInfo]], dict[str, int]]:
    """Return each patient's diseases (shuffled) and the rare-disease case counts."""
    n_orphan = round(n_patients * settings.orphan_share)
    counts = orphan_case_counts(rng, catalogue.orphan_candidates, n_orphan, settings.max_orphan_cases)
    lists: list[list[CommonInfo | OrphanInfo]] = []
    for disease_id, count in counts.items():
        info = catalogue.orphan(disease_id)
        lists += [[info] for _ in range(count)]
    lists += [[catalogue.draw_common(rng)] for _ in range(n_patients - len(lists))]
    for diseases in lists:
        if rng.random() < settings.multi_disease_share:
            diseases.append(catalogue.draw_common(rng, exclude=[diseases[0].id]))
    rng.shuffle(lists)
    return lists, counts


def _quota(rng: random.Random, patients: Sequence[DemoPatient], share: float) -> list[DemoPatient]:
    """Pick ``share`` of the patients (at least one when there are any), so small demos still show each case."""
    if not patients:
        return []
    return rng.sample(list(patients), max(1, round(share * len(patients))))


def assign_sources(
    rng: random.Random,
    population: Sequence[DemoPatient],
    lexicons: Lexicons,
    catalogue: Catalogue,
    settings: DemoSettings,
) -> None:
    """Choose each patient's sources: a home source, a second one for a few, a note for some; then the language."""
    for patient in population:
        if patient.orphan:
            patient.sources.append("registry_jsonl")
        # A Kaggle-style research row has one prognosis, so patients with two diseases go to the hospital.
        elif len(patient.diseases) > 1 or rng.random() < settings.hospital_share:
            patient.sources.append("hospital_csv")
        else:
            patient.sources.append("research_xlsx")
    # A rare patient seen at the hospital needs findings the Spanish lexicon can name.
    nameable = [
        patient
        for patient in population
        if patient.orphan
        and len({nearest_with_words(term, lexicons.spanish, catalogue) for term in patient.present} - {None}) >= 2
    ]
    for patient in _quota(rng, nameable, settings.shared_orphan_share):
        patient.sources.append("hospital_csv")
    single = [patient for patient in population if not patient.orphan and len(patient.diseases) == 1]
    for patient in _quota(rng, single, settings.shared_common_share):
        patient.sources.append("research_xlsx" if patient.sources[0] == "hospital_csv" else "hospital_csv")
    for patient in population:
        patient.language = "es" if "hospital_csv" in patient.sources else ("en" if rng.random() < 0.8 else "es")
    for patient in _quota(rng, population, settings.note_share):
        patient.sources.append("clinic_notes")


# ---------------------------------------------------------------------------------------------------------
# Identities
# ---------------------------------------------------------------------------------------------------------


def _names(text: str) -> tuple[str, ...]:
    """Split a space-separated word list."""
    return tuple(text.split())


SPANISH_MALE = _names(
    "Antonio José Manuel Francisco David Juan Javier Daniel Carlos Jesús Alejandro Miguel Rafael Pablo Sergio "
    "Fernando Jorge Luis Alberto Álvaro Diego Adrián Raúl Iván Rubén Óscar Andrés Joaquín Íñigo Ramón"
)
SPANISH_FEMALE = _names(
    "María Carmen Ana Isabel Laura Cristina Marta Lucía Elena Pilar Paula Sara Raquel Beatriz Nuria Silvia "
    "Julia Irene Patricia Inés Sofía Mercedes Alicia Ángela Begoña Montserrat Rocío Noelia Concepción Amparo"
)
SPANISH_SURNAMES = _names(
    "García Rodríguez González Fernández López Martínez Sánchez Pérez Gómez Martín Jiménez Ruiz Hernández Díaz "
    "Moreno Muñoz Álvarez Romero Alonso Gutiérrez Navarro Torres Domínguez Vázquez Ramos Gil Ramírez Serrano "
    "Molina Morales Suárez Ortega Delgado Castro Ortiz Marín Sanz Núñez Iglesias Medina Garrido Cortés Castillo "
    "Santos Lozano Guerrero Cano Prieto Méndez Gallego Vidal Márquez Herrera Cabrera Fuentes Carrasco Caballero "
    "Nieto Aguilar Pascual Santana Herrero Lorenzo Montero Hidalgo Giménez Ibáñez Ferrer Durán Benítez Vicente "
    "Vargas Arias Carmona Crespo Román Pastor Soto Sáez Velasco Soler Parra Esteban Gallardo Rojas"
)
ENGLISH_MALE = _names(
    "James John Robert Michael William David Richard Joseph Thomas Charles Daniel Matthew Anthony Mark Steven "
    "Paul Andrew Joshua Kevin Brian George Edward Ryan Jacob Gary"
)
ENGLISH_FEMALE = _names(
    "Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Lisa Nancy Margaret Sandra Ashley "
    "Emily Donna Michelle Carol Amanda Melissa Deborah Stephanie Rebecca Laura"
)
ENGLISH_SURNAMES = _names(
    "Smith Johnson Williams Jones Miller Davis Wilson Anderson Taylor Thomas Moore Jackson Martin Thompson Harris "
    "Clark Lewis Robinson Walker Allen Wright Scott Adams Baker Nelson Carter Mitchell Roberts Turner Phillips "
    "Campbell Parker Evans Edwards Collins Stewart Morris Murphy Rogers Morgan Cooper Peterson Bailey Reed Kelly "
    "Howard Richardson Watson Brooks Bennett Hughes Sanders Myers Ross Foster Jenkins Perry Powell Sullivan"
)
SPANISH_STREETS = (
    "Calle Mayor", "Calle de Alcalá", "Avenida de la Constitución", "Plaza de España", "Paseo de Gracia",
    "Calle Real", "Avenida de Andalucía", "Gran Vía", "Calle San Juan", "Ronda de Toledo", "Calle del Carmen",
    "Camino Viejo", "Calle de la Paz", "Avenida de América", "Calle Goya", "Paseo del Prado",
)  # fmt: skip
SPANISH_CITIES = (
    ("Madrid", "28"), ("Barcelona", "08"), ("Valencia", "46"), ("Sevilla", "41"), ("Zaragoza", "50"),
    ("Málaga", "29"), ("Murcia", "30"), ("Bilbao", "48"), ("Alicante", "03"), ("Córdoba", "14"),
    ("Valladolid", "47"), ("Vigo", "36"), ("Granada", "18"), ("Oviedo", "33"), ("Pamplona", "31"),
    ("Santander", "39"), ("Toledo", "45"),
)  # fmt: skip
ENGLISH_STREETS = (
    "Oak Street",
    "Maple Avenue",
    "Cedar Lane",
    "Pine Road",
    "Elm Drive",
    "Washington Boulevard",
    "Lakeview Court",
    "Hillcrest Avenue",
    "Sunset Boulevard",
    "Park Place",
)
EMAIL_DOMAINS = ("example.com", "example.org", "example.net", "mail.example.com")
DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"


def dni(rng: random.Random) -> str:
    """Return a Spanish DNI (8 digits) or, one time in ten, an NIE (X/Y/Z + 7 digits), with its check letter."""
    if rng.random() < 0.1:
        prefix, digits = rng.choice("XYZ"), rng.randrange(10_000_000)
        number = int(str("XYZ".index(prefix)) + f"{digits:07d}")
        return f"{prefix}{digits:07d}{DNI_LETTERS[number % 23]}"
    number = rng.randrange(10_000_000, 100_000_000)
    return f"{number:08d}{DNI_LETTERS[number % 23]}"


def _ascii(text: str) -> str:
    """Return a lower-case ASCII form of a name for an e-mail address."""
    table = str.maketrans("áéíóúüñàèç", "aeiouunaec")
    return text.lower().translate(table).replace(" ", "")


def _spanish_phone(rng: random.Random) -> str:
    """Return a Spanish mobile or landline number in one of the usual spellings."""
    if rng.random() < 0.7:
        digits = f"6{rng.randrange(10**8):08d}"
    else:
        digits = f"9{rng.choice('1345')}{rng.randrange(10**7):07d}"
    style = rng.randrange(4)
    if style == 0:
        return digits
    if style == 1:
        return f"{digits[:3]} {digits[3:6]} {digits[6:]}"
    if style == 2:
        return f"+34 {digits[:3]} {digits[3:5]} {digits[5:7]} {digits[7:]}"
    return f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"


def _english_phone(rng: random.Random) -> str:
    """Return a North American number in a common spelling."""
    area, line = rng.randrange(201, 990), rng.randrange(10_000)
    return rng.choice((f"({area}) 555-{line:04d}", f"{area}-555-{line:04d}", f"+1 {area} 555 {line:04d}"))


def make_identity(rng: random.Random, sex: str, language: str) -> Identity:
    """Invent a name, national id, phone, e-mail, address and postcode in the patient's language."""
    if language == "es":
        first = rng.choice(SPANISH_MALE if sex == "male" else SPANISH_FEMALE)
        last = f"{rng.choice(SPANISH_SURNAMES)} {rng.choice(SPANISH_SURNAMES)}"
        city, province = rng.choice(SPANISH_CITIES)
        postcode = f"{province}{rng.randrange(1, 80):03d}"
        floor = rng.choice(("", f", {rng.randint(1, 9)}º {rng.choice('ABCD')}", f", {rng.randint(1, 6)}º izda."))
        street = rng.choice(SPANISH_STREETS)
        address = f"{street} {rng.randint(1, 200)}{floor}, {city}"
        phone = _spanish_phone(rng)
        doctor = rng.choice(SPANISH_SURNAMES)
    else:
        first = rng.choice(ENGLISH_MALE if sex == "male" else ENGLISH_FEMALE)
        last = rng.choice(ENGLISH_SURNAMES)
        postcode = f"{rng.randrange(10, 1000):03d}{rng.randrange(100):02d}"
        address = f"{rng.randint(1, 9999)} {rng.choice(ENGLISH_STREETS)}"
        phone = _english_phone(rng)
        doctor = rng.choice(ENGLISH_SURNAMES)
    email = f"{_ascii(first)}.{_ascii(last.split()[0])}{rng.randrange(100)}@{rng.choice(EMAIL_DOMAINS)}"
    return Identity(first, last, dni(rng), phone, email, address, postcode, doctor)


def hospital_id(number: int, rng: random.Random) -> str:
    """Write a patient number as the hospital does: ``123-456`` (sometimes ``123 456``)."""
    text = f"{number:06d}"
    return f"{text[:3]}{'-' if rng.random() < 0.85 else ' '}{text[3:]}"


# ---------------------------------------------------------------------------------------------------------
# Sources
# ---------------------------------------------------------------------------------------------------------


@dataclass
class SourceRecords:
    """Rows written to one source and the manifest entries describing them."""

    rows: list = field(default_factory=list)
    truth: list[dict] = field(default_factory=list)


def _words(
    rng: random.Random, terms: Iterable[str], table: Mapping[str, tuple[str, ...]], catalogue: Catalogue
) -> list[tuple[str, str]]:
    """Render HPO ids as words of a lexicon: (hpo id actually written, word); unrenderable terms vanish."""
    rendered: dict[str, str] = {}
    for term in terms:
        target = nearest_with_words(term, table, catalogue)
        if target is not None and target not in rendered:
            choices = table[target]
            rendered[target] = choices[rng.randrange(len(choices))]
    return list(rendered.items())


def _maybe(rng: random.Random, value: object, share: float) -> object:
    """Return None with probability ``share``, else the value."""
    return None if rng.random() < share else value


def _decimal_es(value: float) -> str:
    """Write a number with one decimal and a decimal comma, as Spanish records do."""
    return f"{value:.1f}".replace(".", ",")


def _hospital_temperature(rng: random.Random, celsius: float, settings: DemoSettings) -> tuple[str, str]:
    """Return (temperatura, unidad_temp): °C mostly, °F in some rows, sometimes no unit at all."""
    if rng.random() < settings.missing_share:
        return "", ""
    if rng.random() < settings.fahrenheit_share:
        return f"{celsius * 9 / 5 + 32:.1f}", rng.choice(("F", "°F"))
    return _decimal_es(celsius), rng.choice(("C", "C", "°C", ""))


def _hospital_note(rng: random.Random, patient: DemoPatient) -> str:
    """Return a short free-text remark, often carrying an identifier the scrubber must find."""
    who = patient.identity
    return rng.choice(
        (
            f"Acompañado por su hija, teléfono de contacto {_spanish_phone(rng)}.",
            f"Remitido por el Dr. {who.doctor}.",
            f"Contactar en {who.email} para resultados.",
            "Alergia a penicilina.",
            "Control en dos semanas.",
            f"Vive en {who.address}.",
        )
    )


def hospital_row(
    rng: random.Random, patient: DemoPatient, catalogue: Catalogue, lexicons: Lexicons, settings: DemoSettings
) -> tuple[list[str], dict]:
    """Return one hospital CSV row and its manifest entry."""
    who, missing = patient.identity, settings.missing_share
    kept = [term for term in patient.present if rng.random() >= 0.1]
    present = _words(rng, kept, lexicons.spanish, catalogue) or _words(
        rng, patient.present, lexicons.spanish, catalogue
    )
    absent = _words(rng, patient.absent, lexicons.spanish, catalogue)
    absent = [(term, word) for term, word in absent if term not in {hpo for hpo, _ in present}]
    codes = [catalogue.kb.disease_icd10[catalogue.kb.disease_index[d]] for d in patient.diseases if d[:6] == "ICD10:"]
    if codes and rng.random() < 0.03:
        present = []  # the symptom cell was left empty; the diagnosis still says what the patient had
    birth_format = "%Y-%m-%d" if rng.random() < 0.03 else "%d/%m/%Y"
    sex = {"male": rng.choice("HHHV"), "female": "M"}[patient.sex]
    temperature, unit = _hospital_temperature(rng, patient.temperature_c, settings)
    row = [
        hospital_id(patient.number, rng),
        who.first_name,
        who.last_name,
        who.national_id,
        _maybe(rng, who.phone, missing),
        _maybe(rng, who.email, 3 * missing),
        _maybe(rng, who.address, missing),
        _maybe(rng, who.zip, missing / 2),
        _maybe(rng, patient.birth_date.strftime(birth_format), missing / 2),
        _maybe(rng, sex, missing / 2),
        patient.visit_date.strftime("%d/%m/%Y"),
        temperature,
        unit,
        _maybe(rng, f"{patient.weight_kg:.0f}", 2 * missing),
        _maybe(rng, f"{patient.height_cm:.0f}", 2 * missing),
        ", ".join(word for _, word in present),
        ", ".join(word for _, word in absent),
        ",".join(codes),
        _hospital_note(rng, patient) if rng.random() < 0.15 else None,
    ]
    truth = {
        "diagnoses": [f"ICD10:{code}" for code in codes],
        "present": [t for t, _ in present],
        "absent": [t for t, _ in absent],
    }
    return ["" if value is None else value for value in row], truth


def registry_record(
    rng: random.Random, patient: DemoPatient, catalogue: Catalogue, settings: DemoSettings
) -> tuple[dict, dict]:
    """Return one registry JSON object (HPO ids, ORPHA or OMIM code, excluded terms) and its manifest entry."""
    who, missing = patient.identity, settings.missing_share
    rare = patient.diseases[0]
    system, number = rare.split(":", 1)
    code: object = rare if rng.random() < 0.5 else (int(number) if rng.random() < 0.5 else number)
    present = [term for term in patient.present if rng.random() >= 0.05] or patient.present[:1]
    digits = f"{patient.number:06d}"
    record = {
        "patient_id": digits if rng.random() < 0.7 else f"{digits[:3]}_{digits[3:]}",
        "name": f"{who.first_name} {who.last_name}",
        "birth_date": _maybe(rng, patient.birth_date.isoformat(), missing),
        "sex": _maybe(rng, rng.choice((patient.sex, patient.sex[0].upper())), missing),
        "visit_date": patient.visit_date.isoformat(),
        "zip": _maybe(rng, who.zip, missing),
        "temperature_c": _maybe(rng, patient.temperature_c, 0.5),
        "hpo_terms": present,
        "excluded_hpo_terms": list(patient.absent),
        "orpha_code": code if system == "ORPHA" else None,
        "omim_id": code if system == "OMIM" else None,
        "notes": _registry_note(rng, patient) if rng.random() < 0.3 else None,
    }
    truth = {"diagnoses": [rare], "present": present, "absent": list(patient.absent)}
    return record, truth


def _registry_note(rng: random.Random, patient: DemoPatient) -> str:
    """Return a registry curator's remark, sometimes with a contact detail."""
    who = patient.identity
    return rng.choice(
        (
            "Diagnosis confirmed by genetic testing.",
            f"Family contact: {who.phone}.",
            f"Referred by Dr. {who.doctor}.",
            "Sibling under evaluation.",
            f"Enrolled on {patient.visit_date:%B %d, %Y}.",
        )
    )


def research_row(
    rng: random.Random, patient: DemoPatient, catalogue: Catalogue, lexicons: Lexicons, settings: DemoSettings
) -> tuple[list, dict]:
    """Return one wide research row (0/1 per Kaggle symptom, blank when not recorded) and its manifest entry."""
    missing = settings.missing_share
    present = _words(rng, patient.present, lexicons.kaggle_by_hpo, catalogue)
    columns = {word for _, word in present}
    cells = []
    risk_factors = frozenset(lexicons.risk_factor_columns)
    for column in lexicons.kaggle_columns:
        # Risk-factor columns (family_history, ...) are exposures, not findings: a few patients have them.
        value = int(rng.random() < 0.05) if column in risk_factors else int(column in columns)
        cells.append(None if value == 0 and rng.random() < 0.02 else value)
    disease = catalogue.common_by_id[patient.diseases[0]]
    subject = patient.number if rng.random() < 0.6 else f" {patient.number:06d}"
    gender = rng.choice(({"male": "Male", "female": "Female"}[patient.sex], patient.sex[0].upper()))
    row = [
        subject,
        _maybe(rng, patient.age, missing),
        _maybe(rng, gender, missing / 2),
        _maybe(rng, round(patient.weight_kg / 0.45359237, 1), 2 * missing),
        _maybe(rng, round(patient.height_cm / 2.54, 1), 2 * missing),
        _maybe(rng, round(patient.temperature_c * 9 / 5 + 32, 1), missing),
        *cells,
        disease.label,
    ]
    return row, {"diagnoses": [disease.id], "present": [term for term, _ in present], "absent": []}


SPANISH_MONTHS = _names("enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre")


def _join(words: Sequence[str], conjunction: str) -> str:
    """Join words as a list in prose: "a, b y c"."""
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} {conjunction} {words[-1]}"


def _spanish_note(rng: random.Random, patient: DemoPatient, present: list[str], absent: list[str], dx: str) -> str:
    """Write a Spanish consultation note with identifiers, symptom mentions and pertinent negatives."""
    who, visit = patient.identity, patient.visit_date
    lines = [
        rng.choice((f"Nº historia: {hospital_id(patient.number, rng)}", f"NHC {patient.number:06d}")),
        rng.choice(
            (
                f"Fecha: {visit:%d/%m/%Y}",
                f"Fecha de consulta: {visit.day} de {SPANISH_MONTHS[visit.month - 1]} de {visit.year}",
            )
        ),
        rng.choice(
            (
                f"Paciente {who.first_name} {who.last_name}, {patient.age} años.",
                f"Nombre: {who.first_name} {who.last_name}. DNI {who.national_id}.",
            )
        ),
    ]
    if rng.random() < 0.6:
        lines.append(rng.choice((f"Teléfono: {who.phone}.", f"Correo: {who.email}.")))
    if present:
        lines.append(
            rng.choice(
                (
                    f"Acude por {_join(present, 'y')}.",
                    f"Refiere {_join(present, 'y')} desde hace {rng.randint(2, 14)} días.",
                    f"Presenta {_join(present, 'y')}.",
                )
            )
        )
    for word in absent:
        lines.append(rng.choice((f"Niega {word}.", f"Sin {word}.", f"No refiere {word}.")))
    lines.append(f"Tª {_decimal_es(patient.temperature_c)} °C.")
    if dx:
        lines.append(f"Juicio clínico: {dx}.")
    lines.append(f"{rng.choice(('Dr.', 'Dra.'))} {who.doctor}")
    return "\n".join(lines) + "\n"


def _english_note(rng: random.Random, patient: DemoPatient, present: list[str], absent: list[str], dx: str) -> str:
    """Write an English clinic note with identifiers, symptom mentions and pertinent negatives."""
    who, visit = patient.identity, patient.visit_date
    lines = [
        rng.choice((f"MRN: {patient.number:06d}", f"Medical record number {patient.number:06d}")),
        rng.choice((f"Date of visit: {visit:%B} {visit.day}, {visit.year}", f"Seen on {visit:%m/%d/%Y}")),
        rng.choice(
            (
                f"Name: {who.first_name} {who.last_name}, {patient.age}-year-old {patient.sex}.",
                f"Patient {who.first_name} {who.last_name}, age {patient.age}.",
            )
        ),
    ]
    if rng.random() < 0.6:
        lines.append(rng.choice((f"Phone: {who.phone}.", f"Email: {who.email}.", f"Lives at {who.address}.")))
    if present:
        lines.append(
            rng.choice(
                (
                    f"Presents with {_join(present, 'and')}.",
                    f"Complains of {_join(present, 'and')} for {rng.randint(2, 14)} days.",
                    f"Reports {_join(present, 'and')}.",
                )
            )
        )
    for word in absent:
        lines.append(rng.choice((f"Denies {word}.", f"No {word}.", f"Negative for {word}.")))
    lines.append(f"Temp {patient.temperature_c * 9 / 5 + 32:.1f} F.")
    if dx:
        lines.append(f"Assessment: {dx}.")
    lines.append(f"Seen by Dr. {who.doctor}.")
    return "\n".join(lines) + "\n"


def note_file(
    rng: random.Random, patient: DemoPatient, catalogue: Catalogue, lexicons: Lexicons
) -> tuple[tuple[str, str], dict]:
    """Return (file name, text) of a doctor's note and its manifest entry."""
    spanish = patient.language == "es"
    table = lexicons.spanish_notes if spanish else lexicons.english_notes
    present = _words(rng, patient.present, table, catalogue)[:6]
    absent = [pair for pair in _words(rng, patient.absent[:3], table, catalogue) if pair[0] not in dict(present)]
    info = next((catalogue.common_by_id[d] for d in patient.diseases if d in catalogue.common_by_id), None)
    dx = "" if info is None or rng.random() < 0.5 else (info.name_es if spanish else info.name_en)
    write = _spanish_note if spanish else _english_note
    text = write(rng, patient, [word for _, word in present], [word for _, word in absent], dx)
    name = f"{patient.number:06d}.txt" if rng.random() < 0.5 else f"{hospital_id(patient.number, rng)}.txt"
    truth = {
        "diagnoses": [],
        "present": [t for t, _ in present],
        "absent": [t for t, _ in absent],
        "language": patient.language,
    }
    return (name.replace(" ", "_"), text), truth


# ---------------------------------------------------------------------------------------------------------
# Writers
# ---------------------------------------------------------------------------------------------------------


def write_hospital_csv(path: Path, rows: Iterable[Sequence[str]]) -> None:
    """Write the hospital CSV: semicolons, Latin-1, CRLF, as a Spanish Excel export."""
    with open(path, "w", encoding="latin-1", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(HOSPITAL_COLUMNS)
        writer.writerows(rows)


def write_jsonl(path: Path, records: Iterable[Mapping]) -> None:
    """Write one JSON object per line, UTF-8."""
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def _column_letter(index: int) -> str:
    """Return the spreadsheet letter of a 0-based column index (0 → A, 26 → AA)."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _sheet_xml(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """Return the worksheet XML with inline strings; a None cell is left out."""
    out = io.StringIO()
    out.write('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n')
    out.write('<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
    letters = [_column_letter(index) for index in range(len(header))]
    for number, row in enumerate([header, *rows], start=1):
        out.write(f'<row r="{number}">')
        for letter, value in zip(letters, row, strict=True):
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                text = escape(str(value))
                out.write(f'<c r="{letter}{number}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>')
            else:
                out.write(f'<c r="{letter}{number}"><v>{value}</v></c>')
        out.write("</row>")
    out.write("</sheetData></worksheet>")
    return out.getvalue().encode("utf-8")


_XLSX_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="research" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
        'Target="worksheets/sheet1.xml"/></Relationships>'
    ),
}


def write_xlsx(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """Write a one-sheet workbook directly as Office Open XML.

    openpyxl's writer needs about 28 s for the 20,000-patient sheet and stamps the current time into the
    file; this writer takes about a second and gives the same bytes for the same rows.
    """
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        parts = {**_XLSX_PARTS, "xl/worksheets/sheet1.xml": _sheet_xml(header, rows)}
        for name, content in parts.items():
            info = zipfile.ZipInfo(name, date_time=ZIP_TIMESTAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)


# ---------------------------------------------------------------------------------------------------------
# Generation
# ---------------------------------------------------------------------------------------------------------


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
    disease_lists, orphan_counts = _disease_lists(rng, patients, catalogue, settings)
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
