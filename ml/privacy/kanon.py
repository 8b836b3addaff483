"""Measure and enforce k-anonymity over quasi-identifiers by generalising only the rows that need it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from ml.privacy.generalize import AGE_GROUP_WIDENING

DEFAULT_QUASI_IDENTIFIERS = ("age_group", "sex", "zip3", "year")

_MISSING_KEY = "<missing>"


def class_sizes(df: pd.DataFrame, quasi_identifiers: Sequence[str]) -> pd.Series:
    """Return, for every row, the size of the equivalence class it falls in (missing values form a class)."""
    _check_columns(df, quasi_identifiers)
    if df.empty:
        return pd.Series(dtype="int64", index=df.index)
    if not quasi_identifiers:
        return pd.Series(len(df), index=df.index, dtype="int64")
    qis = list(quasi_identifiers)
    keys = df[qis].astype("string").fillna(_MISSING_KEY)
    return keys.groupby(qis, sort=False)[qis[0]].transform("size").astype("int64")


def equivalence_classes(df: pd.DataFrame, quasi_identifiers: Sequence[str]) -> pd.DataFrame:
    """Return one row per equivalence class: its quasi-identifier values and its ``size``, smallest first."""
    _check_columns(df, quasi_identifiers)
    qis = list(quasi_identifiers)
    if df.empty or not qis:
        classes = pd.DataFrame({column: [] for column in qis})
        classes["size"] = pd.Series(dtype="int64") if df.empty else len(df)
        return classes if df.empty or qis else pd.DataFrame({"size": [len(df)]})
    keys = df[qis].astype("string").fillna(_MISSING_KEY)
    classes = keys.groupby(qis, sort=False).size().rename("size").reset_index()
    return classes.sort_values(["size", *qis], kind="stable").reset_index(drop=True)


def k_anonymity(df: pd.DataFrame, quasi_identifiers: Sequence[str]) -> int:
    """Return the k the frame achieves: the size of its smallest equivalence class (0 when empty)."""
    sizes = class_sizes(df, quasi_identifiers)
    return int(sizes.min()) if len(sizes) else 0


def _check_columns(df: pd.DataFrame, columns: Sequence[str]) -> None:
    """Fail clearly when a quasi-identifier is not a column of the frame."""
    missing = [column for column in columns if column not in df.columns]
    if missing:
        raise ValueError(f"quasi-identifiers not in the frame: {missing}")


_Step = tuple[str, str, Callable[[Any], Any]]


def _widen_age_group(level: int) -> Callable[[Any], Any]:
    """Return a function mapping an age group to the band of widening ``level``."""

    def widen(value: Any) -> Any:
        for mapping in AGE_GROUP_WIDENING[: level + 1]:
            value = mapping.get(value, value)
        return value

    return widen


def _year_to_decade(value: Any) -> Any:
    """Map "2023" to "2020s"; leave missing or already generalised values alone."""
    text = str(value)
    return f"{text[:3]}0s" if re.fullmatch(r"\d{4}", text) else value


#: Generalisation plan applied, step by step, only to rows whose class is still smaller than k.
#: Steps whose column is not a quasi-identifier are skipped. A missing ZIP3 becomes "*" as well (it
#: says no more than "*"), so records without a ZIP can pool with generalised ones. Sex is never
#: generalised: it is a diagnostic feature (X-linked disorders) and has few values, so it rarely breaks k.
GENERALIZATION_STEPS: tuple[_Step, ...] = (
    ("zip3", "zip3 -> *", lambda value: "*"),
    ("age_group", "age_group -> 0-14/15-44/45-64/65+", _widen_age_group(0)),
    ("year", "year -> decade", _year_to_decade),
    ("age_group", "age_group -> 0-14/15-64/65+", _widen_age_group(1)),
)


@dataclass
class AnonymizationReport:
    """What anonymize_records removed, scrubbed, generalised and suppressed."""

    rows_in: int = 0
    rows_out: int = 0
    identifiers_removed: dict[str, int] = field(default_factory=dict)
    dates_shifted: int = 0
    notes_scrubbed: int = 0
    other_text_scrubbed: int = 0
    placeholders: dict[str, int] = field(default_factory=dict)
    quasi_identifiers: list[str] = field(default_factory=list)
    k_requested: int = 0
    k_achieved: int = 0
    k_strategy: str = "generalize"
    generalization_steps_applied: list[str] = field(default_factory=list)
    rows_generalized: int = 0
    rows_suppressed: int = 0
    equivalence_classes: int = 0

    def to_dict(self) -> dict[str, Any]:
        """Return the report as plain JSON-serialisable data."""
        return asdict(self)


def enforce_k_anonymity(
    df: pd.DataFrame, *, k: int, quasi_identifiers: Sequence[str], strategy: str = "generalize"
) -> tuple[pd.DataFrame, int, int, list[str]]:
    """Generalise or suppress rows in classes below k; return (frame, generalised, suppressed, steps)."""
    qis = list(quasi_identifiers)
    frame = df.copy()
    for column in qis:
        frame[column] = frame[column].astype(object)
    original = frame[qis].astype("string")
    steps = [step for step in GENERALIZATION_STEPS if step[0] in qis]
    steps_applied = []
    if strategy == "generalize":
        for column, description, generalize in steps:
            small = class_sizes(frame, qis) < k
            if not small.any():
                break
            if _generalize_rows(frame, rows=small, column=column, generalize=generalize):
                steps_applied.append(description)
        _merge_leftover_classes(frame, k=k, quasi_identifiers=qis, steps=steps)
    keep = class_sizes(frame, qis) >= k
    frame = frame.loc[keep]
    changed = frame[qis].astype("string").ne(original.loc[keep]).fillna(True)
    rows_generalized = int(changed.any(axis=1).sum()) if len(frame) else 0
    return frame, rows_generalized, int((~keep).sum()), steps_applied


def _generalize_rows(frame: pd.DataFrame, *, rows: pd.Series, column: str, generalize: Callable[[Any], Any]) -> bool:
    """Apply one generalisation to the selected rows in place; return whether any value changed."""
    before = frame.loc[rows, column]
    after = before.map(generalize)
    if before.astype("string").equals(after.astype("string")):
        return False
    frame.loc[rows, column] = after
    return True


def _fully_generalized(frame: pd.DataFrame, *, steps: Sequence[_Step]) -> pd.DataFrame:
    """Return the quasi-identifiers every row would have after all generalisation steps."""
    full = frame.copy()
    for column, _, generalize in steps:
        full[column] = full[column].map(generalize)
    return full


def _merge_leftover_classes(
    frame: pd.DataFrame, *, k: int, quasi_identifiers: list[str], steps: Sequence[_Step]
) -> None:
    """Rescue rows still in small classes by merging them with whole classes that generalise to the same key.

    Local recoding alone leaves stragglers: most rows reach k early and stop generalising, so the rows
    that needed every step can end up alone at the coarsest level. Pulling in whole donor classes (already
    coarse ones first, then the smallest) keeps every class at least k while suppressing far fewer rows,
    which matters most for the rare presentations dxflow exists for.
    """
    small = class_sizes(frame, quasi_identifiers) < k
    if not small.any() or not steps:
        return
    full = _fully_generalized(frame[quasi_identifiers], steps=steps)
    full_key = _row_keys(full, quasi_identifiers)
    current_key = _row_keys(frame, quasi_identifiers)
    for key in full_key[small].unique():
        members = small & (full_key == key)
        donors = current_key[~small & (full_key == key)].value_counts()
        order = sorted(donors.index, key=lambda donor: (donor != key, donors[donor]))
        for donor in order:
            if members.sum() >= k:
                break
            members |= current_key == donor
        if members.sum() >= k:
            frame.loc[members, quasi_identifiers] = full.loc[members, quasi_identifiers]


def _row_keys(frame: pd.DataFrame, columns: Sequence[str]) -> pd.Series:
    """Return one string per row that identifies its equivalence class."""
    keys = frame[list(columns)].astype("string").fillna(_MISSING_KEY)
    return keys.iloc[:, 0].str.cat(keys.iloc[:, 1:], sep="\x1f")


