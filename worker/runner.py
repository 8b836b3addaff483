"""``python -m worker``: build the app once, preload what jobs share, then work the dxflow queue."""

from __future__ import annotations


def main() -> None:
    """Read the configuration, preload what jobs share, then work the queue."""
    from app import create_app
    from app.extensions import queue
    from app.jobs.runner import start_worker, warm_up
    from worker.jobs import use_app

    app = create_app()
    warm_up(app)
    use_app(app)
    with app.app_context():
        redis, queue_name = queue.redis, queue.queue_name
    start_worker(redis=redis, queue_name=queue_name)
