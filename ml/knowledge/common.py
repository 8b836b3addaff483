"""Parse dxflow's curated catalogue of common diseases (``data/common_diseases.csv``).
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ml.knowledge.obo import _HPO_ID

# Prevalence weights are read as cases per 100,000 people, the scale of the catalogue's column (allergic
# rhinitis 15000 = 15%). HPO diseases have no prevalence of their own here, so they share one budget evenly:
# rare diseases together affect 3.5-5.9% of people (Nguengang Wakap et al., Eur J Hum Genet 2020;28:165-73),
# and the midpoint, 4,700 per 100,000, split over ~12,700 HPO diseases gives each about 0.37 (1 in 270,000),
# below the EU rarity threshold of 50 per 100,000 as it should be.
RARE_DISEASES_PER_100K = 4_700.0

COMMON_CSV_COLUMNS = (
    "key",
    "icd10",
    "name_en",
    "name_es",
    "aliases",
    "prevalence_weight",
    "profile",
    "reference",
)
DEFAULT_COMMON_CSV = Path(__file__).resolve().parents[2] / "data" / "common_diseases.csv"

_ICD10_CODE = re.compile(r"[A-Z]\d{2}(\.\d{1,2})?")
@dataclass(frozen=True, slots=True)
class CommonDisease:
    """One row of the common-disease catalogue."""

    key: str
    icd10: str
    name_en: str
    name_es: str
    aliases: tuple[str, ...]
    prevalence_weight: float
    profile: Mapping[str, float]
    reference: str

    @property
    def id(self) -> str:
        """Return the disease id used in the knowledge base, e.g. ``ICD10:A90``."""
        return f"ICD10:{self.icd10}"


# ------------------------------------------------------------------------------------- common diseases


def _parse_profile(text: str, *, key: str) -> dict[str, float]:
    """Parse ``HP:0001945=0.90;HP:0002315=0.60`` into a term -> frequency mapping."""
    profile: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in text.split(";"))):
        term, _, value = item.partition("=")
        term = term.strip()
        if not _HPO_ID.fullmatch(term):
            raise ValueError(f"common disease {key!r}: bad HPO id {term!r} in profile")
        try:
            frequency = float(value)
        except ValueError:
            raise ValueError(f"common disease {key!r}: bad frequency {value!r} for {term}") from None
        if not 0.0 <= frequency <= 1.0:
            raise ValueError(f"common disease {key!r}: frequency {frequency} for {term} is outside [0, 1]")
        profile[term] = max(profile.get(term, 0.0), frequency)
    if not profile:
        raise ValueError(f"common disease {key!r}: empty phenotype profile")
    return profile


def _common_disease_from_row(row: dict[str, str]) -> CommonDisease:
    """Validate one catalogue row and turn it into a ``CommonDisease``."""
    key = row["key"].strip()
    icd10 = row["icd10"].strip().upper()
    if not _ICD10_CODE.fullmatch(icd10):
        raise ValueError(f"common disease {key!r}: {icd10!r} is not an ICD-10 code like A90 or K21.9")
    try:
        prevalence_weight = float(row["prevalence_weight"])
    except ValueError:
        bad_weight = row["prevalence_weight"]
        raise ValueError(f"common disease {key!r}: bad prevalence_weight {bad_weight!r}") from None
    if not (math.isfinite(prevalence_weight) and prevalence_weight >= 0):
        raise ValueError(f"common disease {key!r}: prevalence_weight must be a non-negative number")
    return CommonDisease(
        key=key,
        icd10=icd10,
        name_en=row["name_en"].strip(),
        name_es=row["name_es"].strip(),
        aliases=tuple(alias.strip() for alias in row["aliases"].split("|") if alias.strip()),
        prevalence_weight=prevalence_weight,
        profile=_parse_profile(row["profile"], key=key),
        reference=row["reference"].strip(),
    )


def parse_common_csv(path: Path) -> list[CommonDisease]:
    """Parse and validate the common-disease catalogue CSV."""
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = set(COMMON_CSV_COLUMNS) - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"{path}: missing columns {sorted(missing)}")
        rows = [(reader.line_num, row) for row in reader]
    diseases: list[CommonDisease] = []
    for line_number, row in rows:
        if any(row[column] is None for column in COMMON_CSV_COLUMNS):
            raise ValueError(f"{path}:{line_number}: too few cells")
        try:
            diseases.append(_common_disease_from_row(row))
        except ValueError as error:
            raise ValueError(f"{path}:{line_number}: {error}") from error
    duplicated = {disease.id for disease in diseases if sum(d.id == disease.id for d in diseases) > 1}
    if duplicated:
        raise ValueError(f"{path}: duplicate ICD-10 codes {sorted(duplicated)}")
    return diseases


