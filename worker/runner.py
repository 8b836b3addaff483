"""Run an RQ worker with its scheduler on the dxflow queue."""

from __future__ import annotations

import logging

from rq import Queue, Worker


def start_worker(*, redis, queue_name: str, burst: bool = False, with_scheduler: bool = True) -> bool:
    """Work the dxflow queue until stopped (or until empty, in burst mode)."""
    worker = Worker([Queue(queue_name, connection=redis)], connection=redis)
    return worker.work(burst=burst, with_scheduler=with_scheduler, logging_level=logging.INFO)


def main() -> None:
    """Read the configuration, then work the queue; job entry points build their own app context."""
    from app import create_app
    from app.extensions import queue

    app = create_app()
    with app.app_context():
        redis, queue_name = queue.redis, queue.queue_name
    start_worker(redis=redis, queue_name=queue_name)
