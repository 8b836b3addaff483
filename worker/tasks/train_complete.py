"""Finish a training run after its by-source slice; the work is :func:`app.training.service.complete_run`."""

from __future__ import annotations

from app.training.service import complete_run


def run(progress, *, run_id: int) -> dict:
    """Gather run ``run_id``'s by-source rows into its metrics, log it to MLflow and finish it."""
    return complete_run(run_id, progress)
