"""Score the note reader against sentences coded by hand: precision and recall of (HPO id, present) pairs."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class CodedSentence:
    """A sentence with the findings a clinician codes in it: present ids and absent ids."""

    text: str
    present: frozenset[str]
    absent: frozenset[str]

    @property
    def expected(self) -> frozenset[tuple[str, bool]]:
        """Return the coded findings as ``(hpo_id, present)`` pairs."""
        return frozenset({(hpo_id, True) for hpo_id in self.present} | {(hpo_id, False) for hpo_id in self.absent})


@dataclass
class Score:
    """Counts of found, missed and wrong findings, with the sentences that went wrong."""

    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0
    errors: list[tuple[str, frozenset, frozenset]] = field(default_factory=list)

    @property
    def precision(self) -> float:
        """Return the share of the reader's findings that the clinician coded."""
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        """Return the share of the clinician's findings that the reader found."""
        coded = self.true_positives + self.false_negatives
        return self.true_positives / coded if coded else 1.0


def read_corpus(path: Path) -> list[CodedSentence]:
    """Return the sentences of a TSV corpus with columns text, present, absent (comma-separated ids)."""
    with open(path, encoding="utf-8", newline="") as handle:
        return [
            CodedSentence(row["text"], _ids(row["present"]), _ids(row["absent"]))
            for row in csv.DictReader(handle, delimiter="\t")
        ]


def _ids(cell: str | None) -> frozenset[str]:
    """Return the ids of a comma-separated cell."""
    return frozenset(part.strip() for part in (cell or "").split(",") if part.strip())


def score(mentions, sentences: Iterable[CodedSentence], *, lang: str | None = None) -> Score:
    """Score ``mentions(text, lang=...) -> [(hpo_id, present)]`` on coded sentences."""
    result = Score()
    for sentence in sentences:
        found = frozenset(mentions(sentence.text, lang=lang))
        expected = sentence.expected
        result.true_positives += len(found & expected)
        result.false_positives += len(found - expected)
        result.false_negatives += len(expected - found)
        if found != expected:
            result.errors.append((sentence.text, found - expected, expected - found))
    return result
