"""One search unit of a training run; the work is :func:`app.training.service.run_unit_job`."""

from __future__ import annotations

from app.training.service import run_unit_job


def run(progress, *, run_id: int, unit: dict, round: int = 0) -> dict:
    """Fit and score one (candidate, params, fold) of run ``run_id``; return the small result dict."""
    return run_unit_job(run_id, unit, progress, round=round)
