"""The RQ job queue, bound to the app like an extension.

Redis may be down while the web app keeps serving: :meth:`JobQueue.available` answers quickly (short socket
timeouts, result cached for a few seconds) so pages can say that background jobs are unavailable instead of
failing. With ``RQ_INLINE`` set (``make run`` on a machine without ``redis-server``), jobs run in a thread of the
web process instead, reporting progress through the same ``Job`` rows.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from flask import current_app
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue

AVAILABILITY_TTL_SECONDS = 5.0


@dataclass
class _QueueState:
    redis: Redis
    name: str
    inline: bool
    checked_at: float = 0.0
    available: bool = False


class JobQueue:
    """Give the current app's Redis connection and RQ queue; state lives in ``app.extensions``."""

    def init_app(self, app) -> None:
        """Connect lazily to ``REDIS_URL``."""
        redis = Redis.from_url(app.config["REDIS_URL"], socket_connect_timeout=0.5, socket_timeout=5,
                               health_check_interval=30)
        app.extensions["job_queue"] = _QueueState(
            redis=redis, name=app.config["RQ_QUEUE"], inline=bool(app.config["RQ_INLINE"])
        )

    @property
    def _state(self) -> _QueueState:
        return current_app.extensions["job_queue"]

    @property
    def redis(self) -> Redis:
        return self._state.redis

    @property
    def queue_name(self) -> str:
        return self._state.name

    @property
    def inline(self) -> bool:
        return self._state.inline

    @property
    def rq(self) -> Queue:
        """Return the RQ queue."""
        return Queue(self._state.name, connection=self._state.redis)

    def available(self) -> bool:
        """Return whether Redis answers, cached for a few seconds; always True when running inline."""
        state = self._state
        if state.inline:
            return True
        now = time.monotonic()
        if now - state.checked_at > AVAILABILITY_TTL_SECONDS:
            try:
                state.available = bool(state.redis.ping())
            except (RedisError, OSError):
                state.available = False
            state.checked_at = now
        return state.available

    def forget_availability(self) -> None:
        """Drop the cached availability so the next call pings Redis again."""
        self._state.checked_at = 0.0
