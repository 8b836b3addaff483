"""Run an RQ worker with its scheduler on the dxflow queue."""

from __future__ import annotations

import logging

from rq import Queue, Worker


def start_worker(*, redis, queue_name: str, burst: bool = False, with_scheduler: bool = True) -> bool:
    """Work the dxflow queue until stopped (or until empty, in burst mode)."""
    worker = Worker([Queue(queue_name, connection=redis)], connection=redis)
    return worker.work(burst=burst, with_scheduler=with_scheduler, logging_level=logging.INFO)


def warm_up(app) -> None:
    """Load the knowledge base and vocabulary once, before forking: every work horse inherits them."""
    from app.extensions import db
    from app.vocabulary import current_vocabulary

    with app.app_context():
        try:
            current_vocabulary()
        except Exception:  # noqa: BLE001 - a job that needs it will report the problem itself.
            app.logger.exception("Could not preload the vocabulary; jobs will load it themselves.")
        finally:
            db.engine.dispose()  # Forked horses must open their own database connections.


def main() -> None:
    """Read the configuration, preload what jobs share, then work the queue."""
    from app import create_app
    from app.extensions import queue
    from worker.jobs import use_app

    app = create_app()
    warm_up(app)
    use_app(app)
    with app.app_context():
        redis, queue_name = queue.redis, queue.queue_name
    start_worker(redis=redis, queue_name=queue_name)
