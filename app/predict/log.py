"""The prediction log: every served prediction is stored, written in batches off the request.

An INSERT and its commit cost a prediction about 2.7 ms of CPU and a round trip to the database, the largest part
of an API call after the next questions. :meth:`PredictionLog.add` only queues the row; a thread of the process
writes what is queued within ``PREDICTION_LOG_FLUSH_SECONDS`` (one multi-row INSERT, one commit) and ends when
the queue is empty. Code that reads the predictions in this process (monitoring, feedback) calls
:func:`flush_predictions` first, so a process reads its own writes; the queue is also written at exit.

The trade, said plainly: a hard kill of the web process (SIGKILL, power loss) loses the rows of at most the last
flush interval. A failed write keeps its rows for the next attempt (at most ``MAX_PENDING``; beyond that the
oldest are dropped and counted in ``dropped``). ``PREDICTION_LOG_FLUSH_SECONDS = 0`` writes every row in its
request instead.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading

from flask import Flask, current_app
from sqlalchemy import insert

from app.extensions import db
from app.models import Prediction

MAX_PENDING = 10_000
log = logging.getLogger(__name__)


class PredictionLog:
    """The queue of one app's prediction rows and the thread that writes them."""

    def __init__(self, app: Flask):
        """Take the flush interval from ``app``'s config; the engine is the first writer's."""
        self.flush_seconds = float(app.config["PREDICTION_LOG_FLUSH_SECONDS"])
        self.dropped = 0
        self._engine = None
        self._pending: list[dict] = []
        self._lock = threading.Lock()  # guards _pending and _thread
        self._writing = threading.Lock()  # one write at a time, so rows reach the table in order
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()

    def add(self, row: dict) -> None:
        """Queue one ``predictions`` row (called in a request, with the app's context)."""
        self.flush_seconds = float(current_app.config["PREDICTION_LOG_FLUSH_SECONDS"])
        if self._engine is None:
            self._engine = db.engine
        if self.flush_seconds <= 0:
            with self._lock:
                self._pending.append(row)
            self.flush()
            return
        with self._lock:
            self._pending.append(row)
            if self._pid != os.getpid():  # a forked child does not inherit the parent's thread
                self._pid, self._thread = os.getpid(), None
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="prediction-log", daemon=True)
                self._thread.start()

    def flush(self) -> int:
        """Write every queued row now, in one transaction; return how many were written (0 on failure)."""
        with self._writing:
            with self._lock:
                rows, self._pending = self._pending, []
            if not rows:
                return 0
            try:
                with self._engine.begin() as connection:
                    connection.execute(insert(Prediction.__table__), rows)
            except Exception:  # noqa: BLE001 - the database may be down: keep the rows for the next attempt
                with self._lock:
                    self._pending[:0] = rows
                    overflow = len(self._pending) - MAX_PENDING
                    if overflow > 0:
                        del self._pending[:overflow]
                        self.dropped += overflow
                log.warning("could not write %d predictions to the log; they are kept for the next attempt",
                            len(rows), exc_info=True)
                return 0
            return len(rows)

    @property
    def pending(self) -> int:
        """Return how many rows are queued."""
        with self._lock:
            return len(self._pending)

    def _run(self) -> None:
        """Write the queue every ``flush_seconds`` until it is empty, then end."""
        stop = threading.Event()
        while True:
            stop.wait(self.flush_seconds)
            written = self.flush()
            with self._lock:
                if not self._pending:
                    self._thread = None
                    return
            if not written:  # the database refused: wait longer before the next attempt
                stop.wait(max(1.0, 4 * self.flush_seconds))


_logs: dict[str, PredictionLog] = {}
_logs_lock = threading.Lock()


def prediction_log(app: Flask | None = None) -> PredictionLog:
    """Return this process's prediction log for the database of ``app`` (the current app by default).

    One log per database, not per app object: two apps of one process on the same database share it, so
    flushing in either writes the other's rows too.
    """
    app = app or current_app
    key = app.config["SQLALCHEMY_DATABASE_URI"]
    found = _logs.get(key)
    if found is None:
        with _logs_lock:
            found = _logs.get(key)
            if found is None:
                found = _logs[key] = PredictionLog(app)
                atexit.register(found.flush)
    return found


def flush_predictions() -> int:
    """Write this process's queued predictions now: call it before reading the ``predictions`` table."""
    return prediction_log().flush()
