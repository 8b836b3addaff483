"""``flask monitor run`` (one check now) and ``flask monitor simulate`` (scenario traffic through the service)."""

from __future__ import annotations

import time

import click
from flask.cli import AppGroup

from app.extensions import db
from app.models import TrainingRun

monitor_cli = AppGroup("monitor", help="Monitor drift and live performance; simulate traffic.")


@monitor_cli.command("run")
@click.option("--count", type=int, default=None, help="Check the last COUNT predictions instead of the new ones.")
def run_command(count: int | None) -> None:
    """Run one monitoring check now and print what it found."""
    from app.monitoring.service import run_check

    check = run_check(trigger="manual", count=count)
    if check.status != "finished":
        raise click.ClickException(check.error or "the check failed")
    drifted = (check.drift or {}).get("drifted_features", [])
    click.echo(f"check {check.id}: {check.n_predictions} predictions, {check.n_confirmed} confirmed, "
               f"drifted: {', '.join(drifted) or '-'}, retrain: {check.decision.get('retrain')}"
               + (f" (training run {check.retraining_run_id})" if check.retraining_run_id else ""))


def _poll(seconds: float):
    """Return a waiter that polls a training run until it is done or ``seconds`` have passed."""
    def wait(run: TrainingRun) -> None:
        deadline = time.monotonic() + seconds
        while run.is_active and time.monotonic() < deadline:
            time.sleep(1)
            db.session.refresh(run)
    return wait


@monitor_cli.command("simulate")
@click.option("--scenario", type=click.Choice(["none", "covariate", "new-disease", "label-shift"]), default="none")
@click.option("--windows", type=int, default=20, show_default=True)
@click.option("--window-size", type=int, default=200, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--wait", "wait_seconds", type=float, default=600, show_default=True,
              help="Seconds to wait for a retraining to finish (a worker must run; 0: do not wait).")
def simulate_command(scenario: str, windows: int, window_size: int, seed: int, wait_seconds: float) -> None:
    """Feed simulated traffic and feedback through the prediction service; check and report every window."""
    from app.monitoring.simulation import simulate

    simulate(scenario, windows=windows, window_size=window_size, seed=seed,
             wait=_poll(wait_seconds) if wait_seconds > 0 else None, echo=click.echo)


COMMANDS = (monitor_cli,)
