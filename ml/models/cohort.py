"""Rank a cohort file: one differential per case, unknown ids reported per case, never fatal."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ml.features import Query

REQUIRED_COLUMNS = ("case_id", "present_hpo")
OUTPUT_COLUMNS = ("case_id", "rank", "disease_id", "score", "warning")
_SEPARATORS = re.compile(r"[,;|\s]+")


@dataclass(frozen=True, slots=True)
class CohortCase:
    """One row of a cohort file: its id and the HPO ids given present and excluded."""

    case_id: str
    present: tuple[str, ...]
    excluded: tuple[str, ...]


def _split_ids(cell: str | None) -> tuple[str, ...]:
    """Split a comma-separated cell of HPO ids, dropping blanks."""
    return tuple(part for part in _SEPARATORS.split(cell or "") if part)


def read_cohort_tsv(path: Path) -> list[CohortCase]:
    """Read a tab-separated cohort with ``case_id``, ``present_hpo`` and optional ``excluded_hpo`` columns."""
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t")
        missing = [column for column in REQUIRED_COLUMNS if column not in (reader.fieldnames or ())]
        if missing:
            raise ValueError(
                f"{path}: missing column(s) {', '.join(missing)}; expected case_id, present_hpo, excluded_hpo"
            )
        return [
            CohortCase(
                case_id=(row["case_id"] or "").strip(),
                present=_split_ids(row.get("present_hpo")),
                excluded=_split_ids(row.get("excluded_hpo")),
            )
            for row in reader
        ]


def _resolve(kb, term_ids: Sequence[str]) -> tuple[list[str], list[str]]:
    """Return the resolvable ids (as current ids) and the unknown ones."""
    resolved, unknown = [], []
    for term_id in term_ids:
        current = kb.resolve_term_id(term_id)
        (resolved if current is not None else unknown).append(current or term_id)
    return resolved, unknown


def _warning_row(case_id: str, warning: str) -> dict[str, str]:
    """Return an output row carrying only a warning for a case."""
    return {"case_id": case_id, "rank": "", "disease_id": "", "score": "", "warning": warning}


CohortRanker = Callable[[Sequence[str], Sequence[str], int], list[tuple[str, float]]]


def cohort_ranker(ranker) -> tuple[object, CohortRanker]:
    """Return the knowledge base and a ``(present, excluded, top) -> [(disease_id, score)]`` function for a ranker.

    A ranker is a fitted ``KnowledgeModel`` (``rank(present, absent, top=)`` with a ``kb``), or any object with
    ``rank(query, top=)`` returning entries with ``disease_id`` and ``probability`` and a ``knowledge_model``
    (``FusedRanker``, so ``--model champion`` ranks through the champion bundle fused with the knowledge model).
    """
    if hasattr(ranker, "knowledge_model"):

        def fused(present: Sequence[str], excluded: Sequence[str], top: int) -> list[tuple[str, float]]:
            ranking = ranker.rank(Query(present=tuple(present), absent=tuple(excluded)), top=top)
            return [(entry.disease_id, entry.probability) for entry in ranking]

        return ranker.knowledge_model.kb, fused
    return ranker.kb, lambda present, excluded, top: ranker.rank(present, excluded, top=top)


def rank_case(ranker, case: CohortCase, *, top: int = 10) -> list[dict[str, str]]:
    """Return the output rows for one case: its top diseases, preceded by any warning."""
    kb, rank = cohort_ranker(ranker)
    return _rank_case(kb, rank, case, top=top)


def _rank_case(kb, rank: CohortRanker, case: CohortCase, *, top: int) -> list[dict[str, str]]:
    """Return the output rows for one case ranked by ``rank``."""
    present, unknown_present = _resolve(kb, case.present)
    excluded, unknown_excluded = _resolve(kb, case.excluded)
    rows = []
    unknown = unknown_present + unknown_excluded
    if unknown:
        rows.append(_warning_row(case.case_id, f"unknown HPO ids ignored: {', '.join(unknown)}"))
    if not present and not excluded:
        return [*rows, _warning_row(case.case_id, "no usable HPO term: case not ranked")]
    rows += [
        {"case_id": case.case_id, "rank": str(rank), "disease_id": disease_id, "score": f"{score:.6g}", "warning": ""}
        for rank, (disease_id, score) in enumerate(rank(present, excluded, top), start=1)
    ]
    return rows


def rank_cohort(ranker, cases: Iterable[CohortCase], *, top: int = 10) -> list[dict[str, str]]:
    """Return the output rows of every case, in input order (any ranker ``cohort_ranker`` accepts)."""
    kb, rank = cohort_ranker(ranker)
    return [row for case in cases for row in _rank_case(kb, rank, case, top=top)]


def write_ranked_tsv(rows: Iterable[dict[str, str]], path: Path) -> int:
    """Write ranked rows as a TSV with ``OUTPUT_COLUMNS`` and return how many rows were written."""
    count = 0
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=OUTPUT_COLUMNS, delimiter="\t", lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
            count += 1
    return count
