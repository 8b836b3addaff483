"""``flask jobs launch KIND [--arg KEY=VALUE]... [--wait SECONDS]``: launch a background job from a shell.

Operators use it where there is no browser (a container, a cron line): the job gets a row, an audit event and the
worker's attention exactly as when an admin launches it from a page.
"""

from __future__ import annotations

import json
import time

import click
from flask.cli import AppGroup

from app.extensions import db
from app.jobs import service
from app.models import Job, JobStatus

jobs_cli = AppGroup("jobs", help="Launch background jobs.")


def parse_arguments(pairs: tuple[str, ...]) -> dict[str, str]:
    """Turn ``KEY=VALUE`` strings into job arguments."""
    arguments = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{pair!r} is not KEY=VALUE.", param_hint="--arg")
        arguments[key.strip()] = value
    return arguments


def wait_for(job: Job, seconds: float) -> Job:
    """Poll the job's row until it is done or ``seconds`` have passed."""
    deadline = time.monotonic() + seconds
    while job.is_active and time.monotonic() < deadline:
        time.sleep(0.2)
        db.session.refresh(job)
    return job


@jobs_cli.command("launch")
@click.argument("kind")
@click.option("--arg", "pairs", multiple=True, metavar="KEY=VALUE", help="A job argument; repeat for more.")
@click.option("--wait", type=click.FloatRange(min=0), default=0, help="Seconds to wait for the job to finish.")
def launch_command(kind: str, pairs: tuple[str, ...], wait: float) -> None:
    """Launch a job of KIND; with --wait, print its outcome and fail unless it finished."""
    arguments = parse_arguments(pairs)
    try:
        job = service.launch(kind, user=None, **arguments)
    except (ValueError, service.JobsUnavailable) as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Launched job {job.id} ({job.kind}).")
    if not wait:
        return
    job = wait_for(job, wait)
    if job.is_active:
        raise click.ClickException(f"Job {job.id} is still {job.status} after {wait:g} s.")
    click.echo(f"Job {job.id} {job.status}: {json.dumps(job.result if job.result is not None else job.error)}")
    if job.status != JobStatus.FINISHED:
        raise SystemExit(1)


COMMANDS = (jobs_cli,)
