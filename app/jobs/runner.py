"""Start an RQ worker on the dxflow queue: what ``flask worker`` and ``python -m worker`` share.

The worker executes :data:`app.jobs.kinds.ENTRY_POINT` by its dotted name; nothing here imports the worker package.
"""

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
    from app.vocabulary.service import current_vocabulary

    with app.app_context():
        try:
            current_vocabulary()
        except Exception:  # noqa: BLE001 - a job that needs it will report the problem itself.
            app.logger.exception("Could not preload the vocabulary; jobs will load it themselves.")
        finally:
            db.engine.dispose()  # Forked horses must open their own database connections.
