"""Check the latest prediction window for drift and performance, alert, and retrain when a trigger fires."""

from __future__ import annotations

from app.monitoring.service import run_check


def run(progress, trigger: str = "schedule") -> dict:
    """Run one monitoring check; return its id, alert count and whether it launched a retraining."""
    progress(5, "Checking the latest window")
    check = run_check(trigger=trigger)
    return {"monitoring_run": check.id, "status": check.status, "predictions": check.n_predictions,
            "retraining_run": check.retraining_run_id}
