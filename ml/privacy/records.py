"""De-identify a frame of canonical records: pseudonym, quasi-identifiers, dates, scrubbed text, report.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

from ml.privacy.generalize import (
    SAFE_HARBOR_AGE_CAP,
    age_from,
    age_group,
    clean_age,
    generalize_date,
    safe_harbor_age,
    zip3,
)
from ml.privacy.kanon import (
    DEFAULT_QUASI_IDENTIFIERS,
    AnonymizationReport,
    _check_columns,
    enforce_k_anonymity,
    equivalence_classes,
    k_anonymity,
)
from ml.privacy.pseudonyms import _check_key, normalize_patient_id, patient_date_shift, pseudonymize
from ml.privacy.scrub import CachedScrubber, OwnIdentifiers, ScrubResult, scrub_text
from ml.schema import CLINICAL_COLUMNS, DATE_COLUMNS, DERIVED_COLUMNS, DIRECT_IDENTIFIER_COLUMNS, NAME_COLUMNS
from ml.values import column_or_none, is_blank, is_missing


def anonymize_records(
    df: pd.DataFrame,
    *,
    key: bytes,
    date_mode: str = "year",
    k: int = 5,
    quasi_identifiers: Sequence[str] = DEFAULT_QUASI_IDENTIFIERS,
    k_strategy: str = "generalize",
) -> tuple[pd.DataFrame, AnonymizationReport]:
    """De-identify canonical records: pseudonymise, drop identifiers, coarsen, scrub text, enforce k."""
    _check_key(key)
    if date_mode not in ("year", "shift"):
        raise ValueError(f"date_mode must be 'year' or 'shift', got {date_mode!r}")
    if k_strategy not in ("generalize", "suppress"):
        raise ValueError(f"k_strategy must be 'generalize' or 'suppress', got {k_strategy!r}")
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"anonymize_records expects a pandas DataFrame, got {type(df).__name__}")
    quasi_identifiers = list(quasi_identifiers)
    source = df.reset_index(drop=True)
    report = AnonymizationReport(
        rows_in=len(source), quasi_identifiers=quasi_identifiers, k_requested=k, k_strategy=k_strategy
    )

    derived = _derive_quasi_identifiers(source, key=key)
    text = _scrub_text_columns(source, report=report)
    dates = pd.DataFrame(index=source.index)
    if date_mode == "shift":
        dates = _shifted_dates(source, pseudonyms=derived["pseudonym"], ages=derived["age"], key=key, report=report)
    report.identifiers_removed = _count_removed(source, date_mode=date_mode)

    clinical = source[[column for column in CLINICAL_COLUMNS if column in source.columns]]
    frame = pd.concat([derived, clinical, dates, text], axis=1)
    if "sex" not in frame.columns:
        frame["sex"] = pd.NA
    if "age" not in quasi_identifiers:
        # An exact age would make the age_group quasi-identifier pointless for k-anonymity.
        frame = frame.drop(columns="age")
    _check_columns(frame, quasi_identifiers)

    frame, report.rows_generalized, report.rows_suppressed, report.generalization_steps_applied = enforce_k_anonymity(
        frame, k=k, quasi_identifiers=quasi_identifiers, strategy=k_strategy
    )
    frame = frame.reset_index(drop=True)
    report.rows_out = len(frame)
    report.k_achieved = k_anonymity(frame, quasi_identifiers)
    report.equivalence_classes = len(equivalence_classes(frame, quasi_identifiers))
    return frame, report


def _derive_quasi_identifiers(source: pd.DataFrame, *, key: bytes) -> pd.DataFrame:
    """Build pseudonym, Safe-Harbor age, age_group, visit year and zip3 columns."""
    birth, visit = column_or_none(source, "birth_date"), column_or_none(source, "visit_date")
    reported_age = column_or_none(source, "age").map(clean_age)
    # Patients, birth dates and visit dates repeat across rows: each distinct value is parsed (or hashed) once.
    age_at = _once_per_value(lambda pair: age_from(*pair))
    computed_age = pd.Series([age_at((b, v)) for b, v in zip(birth, visit, strict=True)], index=source.index)
    age = reported_age.where(reported_age.notna(), computed_age)
    years = visit.map(_once_per_value(lambda value: generalize_date(value, mode="year")))
    return pd.DataFrame(
        {
            "pseudonym": column_or_none(source, "patient_id").map(
                _once_per_value(lambda value: _pseudonym_or_none(value, key=key))),
            "age": pd.array([_top_coded_age(value) for value in age], dtype="Int64"),
            "age_group": age.map(age_group),
            "year": years.map(lambda year: None if year is None else str(year)).astype(object),
            "zip3": column_or_none(source, "zip").map(_once_per_value(zip3)).astype(object),
        },
        index=source.index,
    )


def _once_per_value(compute: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Return ``compute`` remembering its result per distinct value (a pure function of one hashable value).

    Values are keyed with their type, so 1, 1.0 and True stay apart; unhashable values are computed each time.
    """
    results: dict[Any, Any] = {}

    def once(value: Any) -> Any:
        try:
            cache_key = (type(value), value) if not isinstance(value, tuple) else tuple((type(item), item)
                                                                                          for item in value)
            return results[cache_key]
        except KeyError:
            result = results[cache_key] = compute(value)
            return result
        except TypeError:
            return compute(value)

    return once


def _top_coded_age(age: Any) -> int | None:
    """Return whole years with every age over 89 recorded as 90 (meaning "90 or older")."""
    harbor = safe_harbor_age(age)
    return SAFE_HARBOR_AGE_CAP if harbor == "90+" else harbor


def _pseudonym_or_none(patient_id: Any, *, key: bytes) -> str | None:
    """Pseudonymise an id, or return None for rows without one (they cannot be linked)."""
    return None if normalize_patient_id(patient_id) is None else pseudonymize(patient_id, key=key)


def _row_names(source: pd.DataFrame) -> list[list[Any]]:
    """Collect each row's own name columns, used to scrub those names from its text without a cue."""
    present = [column for column in NAME_COLUMNS if column in source.columns]
    if not present:
        return [[] for _ in range(len(source))]
    return source[present].astype(object).values.tolist()


#: The record's own identifier columns searched for in its text (names have their own, token-wise search).
OWN_IDENTIFIER_COLUMNS = tuple(column for column in DIRECT_IDENTIFIER_COLUMNS if column not in NAME_COLUMNS)


#: Term lists hold symptom and diagnosis names: their own-name search suffices, and they are most of the cells.
TERM_LIST_COLUMNS = frozenset({"symptoms", "absent_symptoms", "diagnoses"})


def _row_identifiers(source: pd.DataFrame) -> list[tuple[tuple[str, Any], ...]]:
    """Collect each row's own identifiers (address, phone, e-mail, ids...) as ``(column, value)`` pairs."""
    present = [column for column in OWN_IDENTIFIER_COLUMNS if column in source.columns]
    if not present:
        return [()] * len(source)
    rows = source[present].astype(object).values.tolist()
    return [tuple((column, value) for column, value in zip(present, row, strict=True)
                  if (value.strip() if isinstance(value, str) else not is_missing(value)))
            for row in rows]


def _scrub_text_columns(source: pd.DataFrame, *, report: AnonymizationReport) -> pd.DataFrame:
    """Scrub notes, text lists and any other column, counting; a row's own names go from all its text, its own
    address, phone, e-mail and ids from its notes and other free text (term lists only get the patterns)."""
    names, identifiers = _row_names(source), _row_identifiers(source)
    placeholders: Counter[str] = Counter()
    scrubber = CachedScrubber()
    # Derived column names are reserved: a source column called "year" or "pseudonym" is not carried over.
    known = {*DIRECT_IDENTIFIER_COLUMNS, *DATE_COLUMNS, *CLINICAL_COLUMNS, *DERIVED_COLUMNS}
    scrubbed = {}
    for column in source.columns:
        if column in known:
            continue
        values, changed = [], 0
        own = identifiers if column not in TERM_LIST_COLUMNS else [()] * len(source)
        for cell, row_names, row_identifiers in zip(source[column], names, own, strict=True):
            value, counts = _scrub_cell(cell, known_names=row_names, known_identifiers=row_identifiers,
                                        scrub=scrubber.scrub)
            if counts:
                placeholders.update(counts)
                changed += 1
            values.append(value)
        scrubbed[column] = pd.Series(values, index=source.index, dtype=object)
        if column == "notes":
            report.notes_scrubbed = changed
        else:
            report.other_text_scrubbed += changed
    report.placeholders = dict(placeholders)
    return pd.DataFrame(scrubbed, index=source.index)


def _scrub_cell(cell: Any, *, known_names: Sequence[Any],
                known_identifiers: Sequence[tuple[str, Any]] | OwnIdentifiers = (),
                scrub: Callable[..., ScrubResult] = scrub_text) -> tuple[Any, dict[str, int]]:
    """Scrub a string, every item of a list, or the text form of any other non-missing value."""
    if isinstance(cell, str):
        result = scrub(cell, known_names=known_names, known_identifiers=known_identifiers)
        return result.text, result.counts
    if isinstance(cell, list | tuple):
        counts: Counter[str] = Counter()
        items = []
        for item in cell:
            value, item_counts = _scrub_cell(item, known_names=known_names, known_identifiers=known_identifiers,
                                             scrub=scrub)
            if item_counts:
                counts.update(item_counts)
            items.append(value)
        return items, counts
    if is_missing(cell) or isinstance(cell, bool):
        return cell, {}
    result = scrub(cell, known_names=known_names, known_identifiers=known_identifiers)
    if not result.counts:
        # Numbers, dates and other objects keep their type unless their text form holds an identifier.
        return cell, {}
    return result.text, result.counts


def _shifted_dates(
    source: pd.DataFrame, *, pseudonyms: pd.Series, ages: pd.Series, key: bytes, report: AnonymizationReport
) -> pd.DataFrame:
    """Shift birth and visit dates by each patient's own offset; rows without a pseudonym lose their dates."""
    shifts = pseudonyms.map(lambda pseudo: None if pseudo is None else patient_date_shift(pseudo, key=key))
    shifted = {}
    for column in DATE_COLUMNS:
        if column not in source.columns:
            continue
        values = [
            None if shift is None else generalize_date(value, mode="shift", shift_days=shift)
            for value, shift in zip(source[column], shifts, strict=True)
        ]
        shifted[column] = pd.Series(values, index=source.index, dtype=object)
    if "birth_date" in shifted:
        # Safe Harbor: for ages over 89 even the birth year reveals the age, so the birth date goes.
        shifted["birth_date"] = shifted["birth_date"].where(~(ages.fillna(0) >= SAFE_HARBOR_AGE_CAP), None)
    report.dates_shifted = int(sum(series.notna().sum() for series in shifted.values()))
    return pd.DataFrame(shifted, index=source.index)


def _count_removed(source: pd.DataFrame, *, date_mode: str) -> dict[str, int]:
    """Count non-empty identifier values dropped from the frame, by column."""
    dropped = [*DIRECT_IDENTIFIER_COLUMNS, *(DATE_COLUMNS if date_mode == "year" else ())]
    counts = {}
    for column in dropped:
        if column in source.columns:
            values = source[column]
            count = sum(1 for value in values[values.notna()]
                        if (value.strip() != "" if isinstance(value, str) else not is_blank(value)))
            if count:
                counts[column] = count
    return counts


