"""Start a training run: snapshot, plan, fan out; the work is :func:`app.training.service.start_run`."""

from __future__ import annotations

from app.training.service import start_run


def run(progress, *, run_id: int) -> dict:
    """Plan training run ``run_id`` and enqueue its first round (or, inline, run it all)."""
    return start_run(run_id, progress)
