"""Parse HPO disease annotations (``phenotype.hpoa``) and their frequency notations.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

# Representative probability for each HPO frequency class: the midpoint of its documented range,
# rounded, so a "Frequent (30-79%)" feature weighs about as much as "55/100" would.
HPO_FREQUENCY_TERMS: Mapping[str, float] = {
    "HP:0040280": 1.0,  # Obligate (100%)
    "HP:0040281": 0.90,  # Very frequent (80-99%)
    "HP:0040282": 0.55,  # Frequent (30-79%)
    "HP:0040283": 0.17,  # Occasional (5-29%)
    "HP:0040284": 0.025,  # Very rare (1-4%)
    "HP:0040285": 0.0,  # Excluded (0%)
}

# About a quarter of positive HPO annotations (mostly OMIM) state no frequency: the source only says the
# feature occurs in the disease. 0.5 is the maximum-entropy value for "present or not" and sits between
# "Frequent" and "Occasional", so an unquantified feature neither dominates nor vanishes in scoring.
# Zero frequencies ("0/7", "0%", HP:0040285) mean the feature was looked for and not seen, so they are
# stored as excluded terms, like the file's explicit NOT rows, never as a positive annotation of weight 0.
MISSING_FREQUENCY = 0.5

_FRACTION = re.compile(r"(\d+)\s*/\s*(\d+)")
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*%")
@dataclass(frozen=True, slots=True)
class HpoaDisease:
    """One disease of ``phenotype.hpoa`` with its phenotype frequencies, excluded terms, onset and course."""

    id: str
    name: str
    frequencies: Mapping[str, float]
    excluded: frozenset[str]
    onset: frozenset[str]
    clinical_course: frozenset[str]
    sex: str


# ----------------------------------------------------------------------------------------------- HPOA


@functools.lru_cache(maxsize=4096)
def parse_frequency(text: str) -> float:
    """Return the probability a frequency cell means: an HPO class, ``n/m``, ``NN%`` or empty."""
    text = text.strip()
    if not text:
        return MISSING_FREQUENCY
    if text in HPO_FREQUENCY_TERMS:
        return HPO_FREQUENCY_TERMS[text]
    if match := _FRACTION.fullmatch(text):
        observed, cohort = int(match.group(1)), int(match.group(2))
        if cohort == 0 or observed > cohort:
            raise ValueError(f"impossible frequency fraction {text!r}")
        return observed / cohort
    if match := _PERCENT.fullmatch(text):
        percent = float(match.group(1))
        if percent > 100:
            raise ValueError(f"frequency above 100%: {text!r}")
        return percent / 100
    raise ValueError(f"unrecognised frequency {text!r}: expected an HPO frequency term, n/m, NN% or empty")


@dataclass
class _DiseaseAccumulator:
    """Mutable per-disease state while reading ``phenotype.hpoa`` rows."""

    name: str
    frequencies: dict[str, float] = field(default_factory=dict)
    negated: set[str] = field(default_factory=set)
    onset: set[str] = field(default_factory=set)
    clinical_course: set[str] = field(default_factory=set)
    sexes: list[str] = field(default_factory=list)

    def add_row(
        self, *, qualifier: str, term: str, onset: str, frequency: str, sex: str, aspect: str
    ) -> None:
        """Fold one annotation row into this disease."""
        if onset:
            self.onset.add(onset)
        if aspect == "C":
            self.clinical_course.add(term)
        if aspect != "P":
            return
        if qualifier == "NOT":
            self.negated.add(term)
            return
        # Several rows (different sources) may annotate the same term: keep the strongest evidence.
        self.frequencies[term] = max(self.frequencies.get(term, 0.0), parse_frequency(frequency))
        self.sexes.append(sex.upper())

    def freeze(self, disease_id: str) -> HpoaDisease:
        """Return the finished, immutable disease."""
        excluded = self.negated | {term for term, value in self.frequencies.items() if value == 0.0}
        # An explicit NOT outranks a positive row from another source: curators negate deliberately.
        positive = {term: value for term, value in self.frequencies.items() if term not in excluded}
        # The sex column qualifies single annotations; a disease is sex-specific only if all of them agree.
        sex = self.sexes[0] if self.sexes and len(set(self.sexes)) == 1 else ""
        return HpoaDisease(
            id=disease_id,
            name=self.name,
            frequencies=positive,
            excluded=frozenset(excluded),
            onset=frozenset(self.onset),
            clinical_course=frozenset(self.clinical_course),
            sex=sex,
        )


HPOA_COLUMNS = (
    "database_id", "disease_name", "qualifier", "hpo_id", "reference", "evidence",
    "onset", "frequency", "sex", "modifier", "aspect", "biocuration",
)  # fmt: skip


def read_hpoa_release(path: Path) -> str:
    """Return the ``#version:`` date from a ``phenotype.hpoa`` header."""
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if not line.startswith("#"):
                break
            if line.startswith("#version:"):
                return line.split(":", 1)[1].strip()
    raise ValueError(f"{path}: no '#version:' line in the header")


def parse_hpoa(path: Path) -> list[HpoaDisease]:
    """Parse ``phenotype.hpoa`` into one record per disease, sorted by disease id."""
    diseases: dict[str, _DiseaseAccumulator] = {}
    with open(path, encoding="utf-8") as handle:
        for line_number, line in enumerate(handle, start=1):
            if line.startswith("#") or line.startswith("database_id\t") or not line.strip():
                continue
            cells = line.rstrip("\n").split("\t")
            if len(cells) != len(HPOA_COLUMNS):
                raise ValueError(
                    f"{path}:{line_number}: expected {len(HPOA_COLUMNS)} columns, got {len(cells)}"
                )
            disease_id, disease_name, qualifier, term, _, _, onset, frequency, sex, _, aspect, _ = cells
            accumulator = diseases.get(disease_id)
            if accumulator is None:
                accumulator = diseases[disease_id] = _DiseaseAccumulator(name=disease_name)
            try:
                accumulator.add_row(
                    qualifier=qualifier, term=term, onset=onset, frequency=frequency, sex=sex, aspect=aspect
                )
            except ValueError as error:
                raise ValueError(f"{path}:{line_number}: {error}") from error
    return [diseases[disease_id].freeze(disease_id) for disease_id in sorted(diseases)]


