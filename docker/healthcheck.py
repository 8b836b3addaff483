"""Container health check: the web role answers 200 on /healthz; the worker and scheduler roles reach Redis.

The role is read from PID 1's command line (the entry point execs gunicorn, ``python3 -m worker`` or ``rq cron``),
so the image's one HEALTHCHECK fits every role. Only the standard library and redis-py: curl may be absent.
"""

import os
import sys
import urllib.request
from pathlib import Path


def main_process_is_web() -> bool:
    """Return whether PID 1 is gunicorn (the web role)."""
    return b"gunicorn" in Path("/proc/1/cmdline").read_bytes()


def check() -> None:
    """Raise when the role's dependency does not answer."""
    if main_process_is_web():
        url = f"http://127.0.0.1:{os.environ.get('PORT', '8000')}/healthz"
        with urllib.request.urlopen(url, timeout=4) as response:  # noqa: S310 - a fixed local URL.
            if response.status != 200:
                raise RuntimeError(f"{url} answered {response.status}")
        return
    from redis import Redis

    Redis.from_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"), socket_timeout=3).ping()


if __name__ == "__main__":
    try:
        check()
    except Exception as error:  # noqa: BLE001 - any failure is "unhealthy", with the reason on stdout.
        print(f"unhealthy: {error}")
        sys.exit(1)
