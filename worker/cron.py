"""Periodic jobs, read by the scheduler role (``rq cron worker.cron``; one scheduler per deployment).

The monitoring check runs every ``MONITOR_INTERVAL_MINUTES`` (default 60): the scheduler enqueues
:func:`launch_monitoring`, which records a ``monitor`` Job row (audited, shown on the jobs page) like the admin
button does. Delayed jobs and retries need no entry: RQ's scheduler inside the workers enqueues them.
"""

from __future__ import annotations

from rq import cron

from config import Config


def launch_monitoring() -> int:
    """Launch a scheduled ``monitor`` job; return its Job id."""
    from app.jobs.service import launch
    from worker.jobs import app_context

    with app_context():
        return launch("monitor", trigger="schedule").id


def register(config: Config) -> None:
    """Register the periodic jobs of ``config``."""
    cron.register(launch_monitoring, queue_name=config.RQ_QUEUE, interval=config.MONITOR_INTERVAL_MINUTES * 60,
                  name="monitoring")


register(Config.from_env())
