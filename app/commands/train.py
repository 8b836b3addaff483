"""``flask train [--wait] [--candidates NAME]... [--draws N] [--after-ingestion]``: train a model from a shell."""

from __future__ import annotations

import sys
import time

import click
from sqlalchemy import func, select

from app.extensions import db
from app.jobs.service import JobsUnavailable
from app.models import RunStatus, TrainingRun, Upload, UploadStatus
from app.training.service import FAST_CONFIG, launch_training
from ml.models.supervised import CANDIDATES

INGESTING = (UploadStatus.PENDING, UploadStatus.QUEUED, UploadStatus.RUNNING)


def _wait_for_ingestion(poll: float = 2.0) -> int:
    """Wait until no upload is pending, queued or running; return how many uploads loaded."""
    while db.session.scalar(select(func.count(Upload.id)).where(Upload.status.in_(INGESTING))):
        db.session.rollback()  # A fresh snapshot on the next poll.
        time.sleep(poll)
    return db.session.scalar(select(func.count(Upload.id)).where(Upload.status == UploadStatus.LOADED)) or 0


def _follow(run: TrainingRun) -> TrainingRun:
    """Show the run's progress until it ends: a progress bar on a terminal, one line per stage otherwise."""
    on_terminal = sys.stdout.isatty()
    with click.progressbar(length=100, label="Training", item_show_func=lambda stage: stage,
                           hidden=not on_terminal) as bar:
        shown, stage = 0, None
        while True:
            db.session.refresh(run)
            bar.update(run.progress - shown, run.stage)
            if not on_terminal and run.stage != stage:
                click.echo(f"{run.progress:3d}% {run.stage}")
            shown, stage = run.progress, run.stage
            if not run.is_active:
                return run
            db.session.rollback()
            time.sleep(0.5)


@click.command("train")
@click.option("--wait", is_flag=True, help="Follow the run with a progress bar and fail unless it finishes.")
@click.option("--candidates", multiple=True, type=click.Choice(CANDIDATES),
              help=f"Repeat for several (default: {', '.join(FAST_CONFIG['candidates'])}).")
@click.option("--draws", type=click.IntRange(1, 100), default=FAST_CONFIG["n_draws"], show_default=True,
              help="Parameter draws per candidate.")
@click.option("--after-ingestion", is_flag=True,
              help="Wait for running ingestion first; do nothing if a training run already exists (make run).")
@click.option("--by-source/--no-by-source", default=True, show_default=True,
              help="Also train without each source and score on it (one more fit per source, after the model "
                   "is registered).")
@click.option("--reason", default="launched from the command line", show_default=True)
def train_command(wait: bool, candidates: tuple[str, ...], draws: int, after_ingestion: bool, by_source: bool,
                  reason: str) -> None:
    """Launch a training run (small and fast by default) and optionally follow it."""
    if after_ingestion:
        if db.session.scalar(select(func.count(TrainingRun.id))):
            click.echo("A training run exists already; not training again.")
            return
        if not _wait_for_ingestion():
            click.echo("No upload has loaded; nothing to train on.")
            return
    config = {**FAST_CONFIG, "n_draws": draws, **({"candidates": list(candidates)} if candidates else {})}
    try:
        run = launch_training(reason=reason, by=None, config=config, by_source=by_source)
    except JobsUnavailable as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Launched training run {run.id}.")
    if not wait:
        return
    run = _follow(run)
    if run.status != RunStatus.FINISHED:
        raise click.ClickException(f"Training run {run.id} {run.status}: {run.error or run.stage}")
    metrics = run.metrics["test"]
    click.echo(f"Training run {run.id} finished in {run.duration_s:.1f} s: model v{run.metrics['model_version']} "
               f"({run.metrics['decision']['reason']}); test macro-F1 {metrics['macro_f1']:.3f}, "
               f"top-3 {metrics['top_3']:.3f}.")


COMMANDS = (train_command,)
