"""``flask worker``: run an RQ worker with its scheduler on the dxflow queue."""

import click
from flask import current_app

from app.extensions import queue


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker_command(burst: bool) -> None:
    """Run a worker (with RQ's scheduler) on the dxflow queue."""
    from app.jobs.runner import start_worker, warm_up

    if queue.inline:
        raise click.ClickException("RQ_INLINE is set: jobs run inside the web app; no worker is needed.")
    warm_up(current_app._get_current_object())
    start_worker(redis=queue.redis, queue_name=current_app.config["RQ_QUEUE"], burst=burst)


COMMANDS = (worker_command,)
