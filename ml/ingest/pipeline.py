"""From a raw source file to warehouse rows: read → harmonise → validate → anonymise → map vocabulary.

The pipeline runs in two passes over the file, each in bounded chunks, so memory does not grow with the file:

1. :func:`scan` reads, harmonises and validates every chunk, and keeps only the row errors and the
   quasi-identifiers (age group, sex, ZIP3, year) of the valid rows. :func:`plan_k_anonymity` then enforces
   k-anonymity over the **whole upload** at once (a chunk-by-chunk k would suppress far more).
2. :func:`wrangle` reads the file again and yields :class:`WrangledChunk`\\ s: anonymised case rows carrying the
   planned quasi-identifiers (suppressed rows dropped), symptoms and diagnoses mapped to HPO and disease ids by
   a vocabulary, negation-aware symptom mentions found in the scrubbed notes, and the unmapped terms counted.

The vocabulary is any object with ``match_symptom(raw, lang=None)`` and ``match_disease(raw)`` returning a
match with ``id`` and ``matched`` (``ml.knowledge.Vocabulary``). Nothing here touches a database or Flask.

Patient identifiers never leave this module: case rows hold the keyed pseudonym only, notes and raw terms are
scrubbed before they are mapped, and row-error reasons are redacted of the values they quote
(:func:`redact_reason`).
"""

from __future__ import annotations

import hashlib
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ml.ingest.formats import DEFAULT_CHUNKSIZE, DEFAULT_MAX_BYTES, ReadReport
from ml.ingest.profiles import SourceProfile, read_with_profile
from ml.ingest.validate import RowError, validate_records
from ml.privacy import (
    DEFAULT_QUASI_IDENTIFIERS,
    anonymize_records,
    enforce_k_anonymity,
    k_anonymity,
    row_pseudonym,
)
from ml.schema import CANONICAL_COLUMNS, CASE_ROW_COLUMNS, MEASURED_COLUMNS
from ml.values import is_missing

SEXES = frozenset({"female", "male", "other"})
# Canonical columns handed to the anonymiser: everything but the row number and the harmonised measurements,
# which carry no identifier and are joined back by position (k=1 keeps every row, in order).
ANONYMIZED_COLUMNS = tuple(column for column in CANONICAL_COLUMNS if column != "row_number")
QI_SOURCE_COLUMNS = ("patient_id", "birth_date", "visit_date", "age", "sex", "zip")
MAX_HPO_ID_CHARS = 16
MAX_DISEASE_ID_CHARS = 64


# ---------------------------------------------------------------------------------------------------------
# Settings and reports
# ---------------------------------------------------------------------------------------------------------


@dataclass
class WrangleSettings:
    """How to de-identify an upload; ``key`` is ``ml.privacy.pseudonym_key(PSEUDONYM_KEY)``.

    ``source_id`` (the upload's sha256) keys the pseudonyms of anonymous rows when the profile's rows are its
    patients; left empty, the file's own sha256 is used, which is the same thing.
    """

    key: bytes
    k: int = 5
    k_strategy: str = "generalize"
    quasi_identifiers: tuple[str, ...] = DEFAULT_QUASI_IDENTIFIERS
    chunksize: int = DEFAULT_CHUNKSIZE
    max_bytes: int = DEFAULT_MAX_BYTES
    lang: str | None = None
    source_id: str = ""


@dataclass
class StageTimer:
    """Seconds spent per pipeline stage (read, anonymize, vocabulary, load), summed over chunks."""

    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))

    def add(self, stage: str, started: float) -> float:
        """Add the time since ``started`` to ``stage``; return now."""
        now = time.perf_counter()
        self.seconds[stage] += now - started
        return now

    def to_dict(self) -> dict[str, float]:
        """Return the timings rounded to milliseconds."""
        return {stage: round(value, 3) for stage, value in self.seconds.items()}


_QUOTED = re.compile(r"""\s*(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")""")
_DATE = re.compile(r"\s*\d{4}-\d{2}-\d{2}")
_MEASURE = re.compile(r"\b(temperature|age)\s+-?\d+(?:\.\d+)?(?:e[+-]?\d+)?(?:\s*°C)?\s+(is)\b", re.IGNORECASE)


def redact_reason(reason: str) -> str:
    """Drop the cell values a row-error reason quotes (dates, numbers, texts), keeping why the row failed."""
    reason = _QUOTED.sub("", reason)
    reason = _DATE.sub("", reason)
    return _MEASURE.sub(r"\1 \2", reason)


def redacted(errors: Sequence[RowError]) -> list[RowError]:
    """Return the errors with their reasons redacted, safe to store and show."""
    return [RowError(error.row_number, error.field, redact_reason(error.reason)) for error in errors]


def error_summary(errors: Sequence[RowError], *, examples: int = 20) -> dict:
    """Summarise (redacted) row errors: counts by field and reason, rows affected, the first few errors."""
    by_reason = Counter(f"{error.field}: {error.reason}" for error in errors)
    return {
        "errors": len(errors),
        "rows": len({error.row_number for error in errors}),
        "by_reason": dict(by_reason.most_common()),
        "first": [
            {"row_number": error.row_number, "field": error.field, "reason": error.reason}
            for error in errors[:examples]
        ],
    }


# ---------------------------------------------------------------------------------------------------------
# Pass 1: validate, and plan k-anonymity over the whole upload
# ---------------------------------------------------------------------------------------------------------


def file_sha256(path: str | Path) -> str:
    """Return the hex sha256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _row_source(path: str | Path, profile: SourceProfile, settings: WrangleSettings) -> str | None:
    """Return the id that keys anonymous rows' pseudonyms, or None when the profile's rows need a patient id."""
    if not profile.rows_are_patients:
        return None
    return settings.source_id or file_sha256(path)


def fill_row_pseudonyms(pseudonyms: pd.Series, row_numbers: Sequence[int], *, source_id: str | None,
                        key: bytes) -> tuple[pd.Series, list[int]]:
    """Give each row without a pseudonym its own anonymous one; return the pseudonyms and the rows that got one."""
    missing = pseudonyms.isna().to_numpy()
    if source_id is None or not missing.any():
        return pseudonyms, []
    generated = [int(row) for row, blank in zip(row_numbers, missing, strict=True) if blank]
    filled = pseudonyms.astype(object).copy()
    filled[missing] = [row_pseudonym(source_id, row, key=key) for row in generated]
    return filled, generated


def row_ranges(rows: Sequence[int]) -> list[str]:
    """Describe row numbers as sorted ranges: [1, 2, 3, 7] → ["1-3", "7"]."""
    ranges: list[list[int]] = []
    for row in sorted(set(rows)):
        if ranges and row == ranges[-1][1] + 1:
            ranges[-1][1] = row
        else:
            ranges.append([row, row])
    return [str(first) if first == last else f"{first}-{last}" for first, last in ranges]


@dataclass
class ScanResult:
    """What the first pass found: errors (redacted), rows read, the valid rows' quasi-identifiers, and the rows
    that became anonymous patients (a pseudonym generated from the upload and the row)."""

    rows_read: int
    errors: list[RowError]
    quasi: pd.DataFrame
    read_report: ReadReport
    generated_rows: list[int] = field(default_factory=list)

    def patients_report(self) -> dict:
        """Return how the rows' patients were identified, for the upload report (row numbers, no values)."""
        return {"generated_pseudonyms": len(self.generated_rows), "generated_rows": row_ranges(self.generated_rows)}

    @property
    def rejected_rows(self) -> set[int]:
        """Return the row numbers that have at least one error."""
        return {error.row_number for error in self.errors if error.row_number is not None}


def _interned(values: pd.Series) -> pd.Series:
    """Return text values as shared interned strings (a million rows repeat a few dozen values)."""
    return values.map(lambda value: sys.intern(value) if isinstance(value, str) else value).astype(object)


def quasi_identifiers(valid: pd.DataFrame, settings: WrangleSettings) -> pd.DataFrame:
    """Return pseudonym and quasi-identifier columns of valid canonical rows, indexed by row number."""
    columns = [column for column in QI_SOURCE_COLUMNS if column in valid.columns]
    anonymized, _ = anonymize_records(
        valid[columns], key=settings.key, k=1, quasi_identifiers=settings.quasi_identifiers
    )
    out = anonymized[["pseudonym", *settings.quasi_identifiers]].copy()
    out["pseudonym"] = out["pseudonym"].astype(object)
    for column in settings.quasi_identifiers:
        out[column] = _interned(out[column])
    out.index = pd.Index(valid["row_number"].astype(int).to_numpy(), name="row_number")
    return out


def scan(path: str | Path, profile: SourceProfile, *, filename: str, settings: WrangleSettings,
         timer: StageTimer | None = None) -> ScanResult:
    """Read and validate the whole file (pass 1); raises ``IngestionError`` for an unreadable file."""
    timer, report = timer or StageTimer(), ReadReport()
    errors: list[RowError] = []
    parts: list[pd.DataFrame] = []
    generated: list[int] = []
    source_id = _row_source(path, profile, settings)
    started = time.perf_counter()
    chunks = read_with_profile(path, profile, filename=filename, chunksize=settings.chunksize,
                               max_bytes=settings.max_bytes, report=report)
    for chunk in chunks:
        valid, chunk_errors = validate_records(chunk, require_patient_id=source_id is None)
        errors.extend(chunk_errors)
        started = timer.add("read", started)
        quasi = quasi_identifiers(valid, settings)
        quasi["pseudonym"], chunk_generated = fill_row_pseudonyms(quasi["pseudonym"], quasi.index,
                                                                  source_id=source_id, key=settings.key)
        generated.extend(chunk_generated)
        unlinkable = quasi["pseudonym"].isna()
        errors.extend(RowError(int(row), "patient_id", "missing required field") for row in quasi.index[unlinkable])
        parts.append(quasi.loc[~unlinkable].drop(columns="pseudonym"))
        started = timer.add("anonymize", started)
    quasi = pd.concat(parts) if parts else pd.DataFrame(columns=list(settings.quasi_identifiers))
    errors.sort(key=lambda error: (error.row_number is None, error.row_number or 0))
    return ScanResult(rows_read=report.rows, errors=redacted(errors), quasi=quasi, read_report=report,
                      generated_rows=generated)


@dataclass
class KAnonymityPlan:
    """The quasi-identifiers every kept row will carry (indexed by row number) and what it cost."""

    quasi: pd.DataFrame
    rows_generalized: int
    rows_suppressed: int
    steps: list[str]
    k_achieved: int  # over the rows that have quasi-identifiers
    equivalence_classes: int
    rows_without_quasi_identifiers: int = 0

    def to_dict(self) -> dict:
        """Return the plan's figures for the anonymisation report."""
        return {
            "rows_generalized": self.rows_generalized,
            "rows_suppressed": self.rows_suppressed,
            "generalization_steps_applied": self.steps,
            "k_achieved": self.k_achieved,
            "equivalence_classes": self.equivalence_classes,
            "rows_without_quasi_identifiers": self.rows_without_quasi_identifiers,
        }


# Values that say nothing about a person: a row holding only these cannot be singled out by its quasi-identifiers.
UNINFORMATIVE_QI_VALUES = frozenset({"unknown", "*"})


def _uninformative(quasi: pd.DataFrame, qis: Sequence[str]) -> pd.Series:
    """Return True for rows whose every quasi-identifier is missing or a wildcard."""
    if not qis:
        return pd.Series(True, index=quasi.index)
    blank = [quasi[column].isna() | quasi[column].isin(UNINFORMATIVE_QI_VALUES) for column in qis]
    return pd.concat(blank, axis=1).all(axis=1)


def plan_k_anonymity(quasi: pd.DataFrame, settings: WrangleSettings) -> KAnonymityPlan:
    """Generalise or suppress the rows of the whole upload whose equivalence class is smaller than k.

    Rows without any quasi-identifier value (a clinic note gives none: no age, sex, ZIP or date) are kept as
    they are: they are indistinguishable from one another and from anyone, so a one-note upload is not
    suppressed for being alone in its class.
    """
    qis = list(settings.quasi_identifiers)
    exempt = _uninformative(quasi, qis)
    frame, generalized, suppressed, steps = enforce_k_anonymity(
        quasi.loc[~exempt], k=settings.k, quasi_identifiers=qis, strategy=settings.k_strategy
    )
    classes = int(frame[qis].astype("string").fillna("\x00").drop_duplicates().shape[0]) if len(frame) else 0
    k_achieved = k_anonymity(frame, qis) if len(frame) else 0
    frame = pd.concat([frame, quasi.loc[exempt]]) if exempt.any() else frame
    return KAnonymityPlan(frame, generalized, suppressed, steps, k_achieved, classes, int(exempt.sum()))


# ---------------------------------------------------------------------------------------------------------
# Pass 2: anonymise and map the vocabulary
# ---------------------------------------------------------------------------------------------------------


@dataclass
class WrangledChunk:
    """Rows ready for the warehouse; symptoms, diagnoses and notes point at cases by position."""

    cases: pd.DataFrame
    symptoms: list[tuple[int, str, bool, float | None]]
    diagnoses: list[tuple[int, str, str]]
    notes: list[tuple[int, str]]


class TermMapper:
    """Map raw symptom and disease texts through a vocabulary, once per distinct text, counting misses."""

    def __init__(self, vocabulary, reader=None, *, lang: str | None = None) -> None:
        self.vocabulary = vocabulary
        self.lang = lang
        self.unmapped: dict[str, Counter[str]] = {"symptom": Counter(), "disease": Counter()}
        self.mapped: Counter[str] = Counter()
        self._symptoms: dict[str, str | None] = {}
        self._diseases: dict[str, str | None] = {}
        self.reader = reader  # an ml.notes.NoteReader (anything with mentions(note, lang=)); None reads no notes

    def symptom(self, raw: str) -> str | None:
        """Return the HPO id of a raw symptom text, or None (counted as unmapped unless known as no symptom)."""
        if raw not in self._symptoms:
            self._symptoms[raw] = _matched_id(self.vocabulary.match_symptom(raw, lang=self.lang), MAX_HPO_ID_CHARS)
        return self._count("symptom", raw, self._symptoms[raw])

    def disease(self, raw: str) -> str | None:
        """Return the dxflow disease id of a raw diagnosis text or code, or None (counted as unmapped)."""
        if raw not in self._diseases:
            self._diseases[raw] = _matched_id(self.vocabulary.match_disease(raw), MAX_DISEASE_ID_CHARS)
        return self._count("disease", raw, self._diseases[raw])

    def _count(self, kind: str, raw: str, outcome: str | None | bool) -> str | None:
        """Count a mapped, unmapped or deliberately unmatched (risk factor, ignored) text; return its id."""
        if outcome is False:
            self.mapped[f"{kind}_known"] += 1
            return None
        self.mapped[kind if outcome else f"{kind}_unmapped"] += 1
        if outcome is None:
            self.unmapped[kind][raw] += 1
        return outcome or None

    def mentions(self, note: str) -> list[tuple[str, bool]]:
        """Return (HPO id, present) for the certain findings the note reader finds in a note (EN/ES)."""
        return self.reader.mentions(note, lang=self.lang) if self.reader is not None else []

    def report(self) -> dict:
        """Return mapped and unmapped counts, with the most frequent unmapped texts (already scrubbed)."""
        return {
            "symptoms_mapped": self.mapped["symptom"],
            "symptoms_unmapped": self.mapped["symptom_unmapped"],
            "diseases_mapped": self.mapped["disease"],
            "diseases_unmapped": self.mapped["disease_unmapped"],
            "known_not_mapped": self.mapped["symptom_known"] + self.mapped["disease_known"],
            "unmapped": {kind: dict(counter.most_common(50)) for kind, counter in self.unmapped.items()},
        }


def _matched_id(match, max_chars: int) -> str | None | bool:
    """Return a match's id; False when the text is known but maps to nothing (risk factor, ignored); else None."""
    if match is None:
        return None
    if match.id:
        return match.id if len(match.id) <= max_chars else None
    return False if getattr(match, "method", "none") != "none" else None


def disease_code_system(disease_id: str) -> str:
    """Return the code system of a disease id: ``ICD10``, ``ORPHA``, ``OMIM`` (or ``DXFLOW`` for a bare key)."""
    prefix, separator, _ = disease_id.partition(":")
    return prefix.upper()[:16] if separator else "DXFLOW"


def _items(value: object) -> list[str]:
    """Return the non-empty texts of a list cell."""
    if isinstance(value, list | tuple):
        return [str(item).strip() for item in value if not is_missing(item) and str(item).strip()]
    return []


def _case_terms(row: dict, position: int, mapper: TermMapper, out: WrangledChunk) -> None:
    """Map one case's symptoms (present, absent, from its note) and diagnoses into ``out``."""
    found: dict[str, tuple[bool, float | None]] = {}
    severity = row.get("severity") if isinstance(row.get("severity"), dict) else {}
    for raw in _items(row.get("symptoms")):
        if hpo_id := mapper.symptom(raw):
            level = severity.get(raw)
            found[hpo_id] = (True, None if level is None else float(level))
    for raw in _items(row.get("absent_symptoms")):
        if (hpo_id := mapper.symptom(raw)) and hpo_id not in found:
            found[hpo_id] = (False, None)
    note = row.get("notes")
    if isinstance(note, str) and note.strip():
        out.notes.append((position, note))
        mentioned: dict[str, bool] = {}
        for hpo_id, present in mapper.mentions(note):
            mentioned[hpo_id] = mentioned.get(hpo_id, False) or present
        for hpo_id, present in mentioned.items():
            found.setdefault(hpo_id, (present, None))
    out.symptoms.extend((position, hpo_id, present, level) for hpo_id, (present, level) in found.items())
    diseases = dict.fromkeys(disease_id for raw in _items(row.get("diagnoses")) if (disease_id := mapper.disease(raw)))
    out.diagnoses.extend((position, disease_id, disease_code_system(disease_id)) for disease_id in diseases)


def _case_frame(valid: pd.DataFrame, anonymized: pd.DataFrame, plan: KAnonymityPlan,
                settings: WrangleSettings) -> pd.DataFrame:
    """Build the case rows: pseudonym and planned quasi-identifiers, measurements in SI."""
    row_numbers = valid["row_number"].astype(int).to_numpy()
    cases = pd.DataFrame({"row_number": row_numbers, "pseudonym": anonymized["pseudonym"].to_numpy()})
    cases["sex"] = [value if value in SEXES else None for value in anonymized["sex"]]
    planned = plan.quasi.loc[row_numbers]
    for column in ("sex", "zip3", "year", "age_group"):
        if column in settings.quasi_identifiers and column != "sex":
            cases[column] = planned[column].to_numpy()
        elif column != "sex":
            cases[column] = anonymized[column].to_numpy()
    cases["age_group"] = cases["age_group"].where(cases["age_group"] != "unknown", None)
    for column in MEASURED_COLUMNS:
        values = valid[column].to_numpy() if column in valid.columns else np.full(len(valid), None)
        cases[column] = values
    cases = cases.astype(object).where(cases.notna(), None)
    return cases[list(CASE_ROW_COLUMNS)]


@dataclass
class AnonymizationTotals:
    """The per-chunk anonymisation counts summed over the upload."""

    identifiers_removed: Counter[str] = field(default_factory=Counter)
    placeholders: Counter[str] = field(default_factory=Counter)
    notes_scrubbed: int = 0
    other_text_scrubbed: int = 0

    def add(self, report) -> None:
        """Add one chunk's ``AnonymizationReport``."""
        self.identifiers_removed.update(report.identifiers_removed)
        self.placeholders.update(report.placeholders)
        self.notes_scrubbed += report.notes_scrubbed
        self.other_text_scrubbed += report.other_text_scrubbed

    def to_dict(self) -> dict:
        """Return the totals as plain data."""
        return {
            "identifiers_removed": dict(self.identifiers_removed),
            "placeholders": dict(self.placeholders),
            "notes_scrubbed": self.notes_scrubbed,
            "other_text_scrubbed": self.other_text_scrubbed,
        }


def wrangle(path: str | Path, profile: SourceProfile, *, filename: str, settings: WrangleSettings,
            plan: KAnonymityPlan, mapper: TermMapper, totals: AnonymizationTotals | None = None,
            timer: StageTimer | None = None) -> Iterator[WrangledChunk]:
    """Yield warehouse-ready chunks of the rows the plan keeps (pass 2); invalid and suppressed rows are skipped."""
    timer, totals = timer or StageTimer(), totals if totals is not None else AnonymizationTotals()
    kept = plan.quasi.index
    source_id = _row_source(path, profile, settings)
    started = time.perf_counter()
    for chunk in read_with_profile(path, profile, filename=filename, chunksize=settings.chunksize,
                                   max_bytes=settings.max_bytes):
        valid, _ = validate_records(chunk, require_patient_id=source_id is None)
        valid = valid[valid["row_number"].astype(int).isin(kept)].reset_index(drop=True)
        started = timer.add("read", started)
        if valid.empty:
            continue
        anonymized, report = anonymize_records(
            valid[list(ANONYMIZED_COLUMNS)], key=settings.key, k=1, quasi_identifiers=settings.quasi_identifiers
        )
        totals.add(report)
        anonymized["pseudonym"], _ = fill_row_pseudonyms(anonymized["pseudonym"].astype(object),
                                                         valid["row_number"].astype(int).tolist(),
                                                         source_id=source_id, key=settings.key)
        out = WrangledChunk(cases=_case_frame(valid, anonymized, plan, settings), symptoms=[], diagnoses=[], notes=[])
        started = timer.add("anonymize", started)
        columns = ["symptoms", "absent_symptoms", "severity", "diagnoses", "notes"]
        for position, values in enumerate(zip(*(anonymized[column] for column in columns), strict=True)):
            _case_terms(dict(zip(columns, values, strict=True)), position, mapper, out)
        timer.add("vocabulary", started)
        yield out
        started = time.perf_counter()  # the consumer's time (loading) is its own stage
