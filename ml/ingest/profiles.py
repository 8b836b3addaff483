"""Source profiles: how the columns of one data source map onto canonical records, and how to guess them.

A profile maps scalar source columns onto canonical fields through ``column_map``; symptoms, absent
symptoms, diagnoses and notes have their own fields because they need a layout:

* ``symptom_layout="long"``: ``symptom_columns`` hold symptom names (``Symptom_1..Symptom_N``, or one
  column holding a list, split by ``symptom_delimiter``, or a JSON list);
* ``symptom_layout="wide"``: one column per symptom, whose name is the raw symptom; a cell of 1, yes, sí,
  true or x means present, 0, no or false means absent, a number 1–10 is present with that severity (when
  ``wide_severity``), and anything else (blank, 11, "maybe") means not recorded.

A source without patient ids (``rows_are_patients``) makes each row its own anonymous patient.

Raw symptom and diagnosis strings are kept as written; ``ml.knowledge`` maps them to HPO and disease ids.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from itertools import compress
from pathlib import Path

import numpy as np
import pandas as pd

from ml.harmonization import harmonize_units, map_cached, normalize_sex
from ml.ingest.formats import DEFAULT_CHUNKSIZE, DEFAULT_MAX_BYTES, IngestionError, ReadReport
from ml.ingest.readers import read_file
from ml.schema import CANONICAL_COLUMNS, DATE_COLUMNS, DIRECT_IDENTIFIER_COLUMNS, SCALAR_FIELDS
from ml.values import is_missing, parse_date

# The fields a proposal lists as the source's identifier columns; ml.privacy decides what is dropped.
DIRECT_IDENTIFIER_FIELDS = frozenset(DIRECT_IDENTIFIER_COLUMNS) - {"zip"}
SYMPTOM_LAYOUTS = ("none", "long", "wide")
# Columns a reader adds itself (``ml.ingest.readers``); never symptoms.
READER_COLUMNS = frozenset({"row_number", "source_ref", "note_id"})

PRESENT_WORDS = frozenset(
    {
        "1",
        "yes",
        "y",
        "si",
        "sí",
        "s",
        "true",
        "t",
        "x",
        "present",
        "presente",
        "positive",
        "positivo",
        "positiva",
    }
)
ABSENT_WORDS = frozenset({"0", "no", "n", "false", "f", "absent", "ausente", "negative", "negativo", "negativa"})
MAX_SEVERITY = 10.0


@dataclass
class SourceProfile:
    """How to read one data source into canonical records; stored as JSON by the web app."""

    name: str
    format: str | None = None
    delimiter: str | None = None
    encoding: str | None = None
    sheet: str | None = None
    column_map: dict[str, str] = field(default_factory=dict)
    symptom_layout: str = "none"
    symptom_columns: list[str] = field(default_factory=list)
    symptom_delimiter: str | None = None
    symptoms_from_remaining_columns: bool = False
    wide_severity: bool = False
    absent_columns: list[str] = field(default_factory=list)
    absent_delimiter: str | None = None
    diagnosis_columns: list[str] = field(default_factory=list)
    diagnosis_delimiter: str | None = None
    diagnosis_prefixes: dict[str, str] = field(default_factory=dict)
    notes_column: str | None = None
    temperature_unit: str | None = None
    temperature_unit_column: str | None = None
    weight_unit: str | None = None
    height_unit: str | None = None
    date_format: str | None = None
    dayfirst: bool = True
    sex_values: dict[str, str] = field(default_factory=dict)
    id_columns: list[str] = field(default_factory=list)
    #: The source names no patient (a research data set): a row without a patient id is then its own anonymous
    #: patient, under a pseudonym keyed on the upload and the row (``ml.privacy.row_pseudonym``), not refused.
    rows_are_patients: bool = False
    confidence: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Reject a profile that could not be applied."""
        if self.symptom_layout not in SYMPTOM_LAYOUTS:
            raise ValueError(f"symptom_layout must be one of {SYMPTOM_LAYOUTS}, not {self.symptom_layout!r}")
        unknown = sorted(set(self.column_map.values()) - set(SCALAR_FIELDS))
        if unknown:
            raise ValueError(f"column_map targets {unknown} are not scalar canonical fields")

    def to_dict(self) -> dict:
        """Return the profile as a JSON-serialisable dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping) -> SourceProfile:
        """Build a profile from ``to_dict`` output, rejecting unknown keys."""
        unknown = sorted(set(data) - {item.name for item in fields(cls)})
        if unknown:
            raise ValueError(f"unknown source profile fields: {unknown}")
        return cls(**data)

    def referenced_columns(self) -> list[str]:
        """Return every source column the profile reads, in a stable order."""
        named = [
            *self.column_map,
            *self.symptom_columns,
            *self.absent_columns,
            *self.diagnosis_columns,
            self.notes_column,
            self.temperature_unit_column,
        ]
        return list(dict.fromkeys(column for column in named if column))




def _cell_items(value: object, delimiter: str | None) -> list[str]:
    """Return the non-empty items of a list cell: a JSON list, a delimited text or one text."""
    if isinstance(value, list | tuple):
        items = [str(item) for item in value if not is_missing(item)]
    elif is_missing(value):
        return []
    else:
        items = str(value).split(delimiter) if delimiter else [str(value)]
    return [item.strip() for item in items if item.strip()]


def _list_column(
    chunk: pd.DataFrame,
    columns: Sequence[str],
    delimiter: str | None,
    prefixes: Mapping[str, str] | None = None,
) -> list[list[str]]:
    """Gather the items of several list columns into one de-duplicated list per row."""
    rows: list[list[str]] = [[] for _ in range(len(chunk))]
    for column in columns:
        prefix = (prefixes or {}).get(column, "")
        for items, value in zip(rows, chunk[column], strict=True):
            for item in _cell_items(value, delimiter):
                items.append(item if not prefix or item.upper().startswith(prefix.upper()) else prefix + item)
    return [list(dict.fromkeys(items)) for items in rows]


def _wide_text(value: object) -> str | None:
    """Fold a wide symptom cell to lower-case text, without the quote a neutralised "+" or "-" gained."""
    return None if is_missing(value) else str(value).strip().casefold().lstrip("'")


def wide_cell_states(values: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (present, absent, severity) arrays for one wide symptom column; severity is NaN if none."""
    text = pd.Series(map_cached(_wide_text, values), index=values.index, dtype=object)
    numbers = pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce").to_numpy(dtype=float)
    in_scale = (numbers > 0) & (numbers <= MAX_SEVERITY)
    present = text.isin(PRESENT_WORDS).to_numpy() | in_scale
    absent = text.isin(ABSENT_WORDS).to_numpy() | (numbers == 0)
    severity = np.where(in_scale, numbers, np.nan)
    return present, absent & ~present, severity


def _wide_symptoms(
    chunk: pd.DataFrame, columns: Sequence[str], with_severity: bool
) -> tuple[list[list[str]], list[list[str]], list[dict | None]]:
    """Read wide symptom columns into present lists, absent lists and severity dicts per row."""
    states = [wide_cell_states(chunk[column]) for column in columns]
    present = np.column_stack([state[0] for state in states]).tolist()
    absent = np.column_stack([state[1] for state in states]).tolist()
    severity = np.column_stack([state[2] for state in states])
    present_lists = [list(compress(columns, row)) for row in present]
    absent_lists = [list(compress(columns, row)) for row in absent]
    if not with_severity:
        return present_lists, absent_lists, [None] * len(chunk)
    severities = [
        {column: float(level) for column, level in zip(columns, row, strict=True) if not np.isnan(level)} or None
        for row in severity
    ]
    return present_lists, absent_lists, severities


def wide_symptom_columns(profile: SourceProfile, columns: Sequence[str]) -> list[str]:
    """Return the wide symptom columns: the listed ones, or every column the profile does not use."""
    if not profile.symptoms_from_remaining_columns:
        return list(profile.symptom_columns)
    used = set(profile.referenced_columns()) | READER_COLUMNS
    return [column for column in columns if column not in used]


def _iso_date(value: object, date_format: str | None, dayfirst: bool) -> object:
    """Rewrite a parseable date as ISO text; leave unparseable text for validation to report."""
    parsed = parse_date(value, date_format, dayfirst=dayfirst)
    return parsed.isoformat() if parsed else (None if is_missing(value) else value)


def _iso_dates(values: pd.Series, date_format: str | None, dayfirst: bool) -> pd.Series:
    """Rewrite a column of dates as ISO text, parsing each distinct value once."""
    rewritten = map_cached(lambda value: _iso_date(value, date_format, dayfirst), values)
    return pd.Series(rewritten, index=values.index, dtype=object)


def _check_columns(chunk: pd.DataFrame, profile: SourceProfile) -> None:
    """Raise IngestionError naming the profile's columns that the file lacks."""
    missing = [column for column in profile.referenced_columns() if column not in chunk.columns]
    if missing:
        raise IngestionError(
            f"The file has no column {', '.join(map(repr, missing))}, which the source "
            f"profile {profile.name!r} expects. Check the profile or the file."
        )


def _fill(current: pd.Series, values: pd.Series) -> pd.Series:
    """Keep current values and fill the missing ones from ``values``."""
    return current.where(current.notna(), values.where(values.notna(), None))


def apply_profile(chunk: pd.DataFrame, profile: SourceProfile) -> pd.DataFrame:
    """Turn one chunk of a source file into canonical records (``CANONICAL_COLUMNS``)."""
    _check_columns(chunk, profile)
    chunk = chunk.reset_index(drop=True)
    empty = pd.Series([None] * len(chunk), dtype=object)
    out = {column: empty.copy() for column in CANONICAL_COLUMNS}
    if "row_number" in chunk.columns:
        out["row_number"] = chunk["row_number"]
    else:
        out["row_number"] = pd.Series(np.arange(1, len(chunk) + 1))
    unit_map = {profile.temperature_unit_column: "temperature_unit"} if profile.temperature_unit_column else {}
    for source, target in {**profile.column_map, **unit_map}.items():
        out[target] = _fill(out[target], chunk[source].astype(object))
    for target, fixed in (
        ("temperature_unit", profile.temperature_unit),
        ("weight_unit", profile.weight_unit),
        ("height_unit", profile.height_unit),
    ):
        if fixed:
            out[target] = out[target].where(out[target].notna(), fixed)
    for target in DATE_COLUMNS:
        out[target] = _iso_dates(out[target], profile.date_format, profile.dayfirst)
    sexes = map_cached(lambda value: normalize_sex(value, profile.sex_values) or value, out["sex"])
    out["sex"] = pd.Series(sexes, dtype=object).where(~out["sex"].isna(), None)
    _apply_symptoms(chunk, profile, out)
    out["diagnoses"] = pd.Series(
        _list_column(chunk, profile.diagnosis_columns, profile.diagnosis_delimiter, profile.diagnosis_prefixes),
        dtype=object,
    )
    if profile.notes_column:
        out["notes"] = chunk[profile.notes_column].astype(object)
    return pd.DataFrame(out, columns=CANONICAL_COLUMNS)


def _apply_symptoms(chunk: pd.DataFrame, profile: SourceProfile, out: dict[str, pd.Series]) -> None:
    """Fill symptoms, absent_symptoms and severity in ``out`` by the profile's layout."""
    absent = _list_column(chunk, profile.absent_columns, profile.absent_delimiter)
    present: list[list[str]] = [[] for _ in range(len(chunk))]
    severity: list[dict | None] = [None] * len(chunk)
    if profile.symptom_layout == "long":
        present = _list_column(chunk, profile.symptom_columns, profile.symptom_delimiter)
    elif profile.symptom_layout == "wide":
        columns = wide_symptom_columns(profile, list(chunk.columns))
        if columns:
            present, wide_absent, severity = _wide_symptoms(chunk, columns, profile.wide_severity)
            absent = [list(dict.fromkeys(listed + found)) for listed, found in zip(absent, wide_absent, strict=True)]
    out["symptoms"] = pd.Series(present, dtype=object)
    out["absent_symptoms"] = pd.Series(absent, dtype=object)
    out["severity"] = pd.Series(severity, dtype=object)


def read_with_profile(
    path: str | Path,
    profile: SourceProfile,
    *,
    filename: str | None = None,
    chunksize: int = DEFAULT_CHUNKSIZE,
    max_bytes: int = DEFAULT_MAX_BYTES,
    report: ReadReport | None = None,
) -> Iterator[pd.DataFrame]:
    """Yield harmonised canonical chunks of a file read with a profile; validate each one next."""
    # The profile's encoding is a fallback: a file that is valid UTF-8 is read as UTF-8 whatever it says.
    chunks = read_file(
        path,
        filename=filename,
        chunksize=chunksize,
        max_bytes=max_bytes,
        fallback_encoding=profile.encoding,
        delimiter=profile.delimiter,
        sheet=profile.sheet,
        report=report,
    )
    for chunk in chunks:
        yield harmonize_units(apply_profile(chunk, profile))


