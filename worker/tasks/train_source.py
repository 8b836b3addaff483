"""One row of a training run's by-source slice; the work is :func:`app.training.service.source_job`."""

from __future__ import annotations

from app.training.service import source_job


def run(progress, *, run_id: int, source: str, best: dict) -> dict:
    """Train run ``run_id``'s best draw without ``source``'s cases and score it on them; return the slice row."""
    return source_job(run_id, source, best, progress)
