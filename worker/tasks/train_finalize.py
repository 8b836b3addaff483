"""Gather one round of a training run; the work is :func:`app.training.service.finalize_round`."""

from __future__ import annotations

from app.training.service import finalize_round


def run(progress, *, run_id: int, round: int = 0) -> dict:
    """Enqueue the next halving round of run ``run_id`` or fit, sign and register its model."""
    return finalize_round(run_id, progress, round=round)
