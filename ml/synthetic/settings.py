"""Settings, file names and errors of the synthetic demo dataset.
"""


from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
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


