"""The job kinds the web app can launch: kind → dotted path of the task function and its timeout in seconds.

Kinds are plain strings, so the web process never imports the worker: it enqueues :data:`ENTRY_POINT` by name
with the ``Job`` row id, and the worker resolves the task from the kind on that row. A task is a plain function
``task(progress, **args) -> dict`` that runs inside an app context; ``progress(percent, stage)`` reports how far it
got and raises :class:`app.jobs.progress.JobCanceled` when an admin cancelled the job. To add a kind: write the app
service, a few-line ``worker/tasks/<kind>.py`` that calls it, and one line here.
"""

from __future__ import annotations

from typing import NamedTuple

# What RQ (or, with RQ_INLINE, a thread of the web process) runs for every job, by dotted name.
ENTRY_POINT = "worker.jobs.run"


class JobKind(NamedTuple):
    task: str  # "package.module:function"
    timeout: int  # seconds


JOB_KINDS: dict[str, JobKind] = {
    "audit_export": JobKind("worker.tasks.audit_export:run", 600),
    "eda": JobKind("worker.tasks.eda:run", 1800),
    "ingest": JobKind("worker.tasks.ingest:run", 3 * 3600),
    "monitor": JobKind("worker.tasks.monitor:run", 1800),
    "train": JobKind("worker.tasks.train:run", 3600),
    "train_unit": JobKind("worker.tasks.train_unit:run", 3600),
    "train_finalize": JobKind("worker.tasks.train_finalize:run", 3600),
    "train_source": JobKind("worker.tasks.train_source:run", 3600),
    "train_complete": JobKind("worker.tasks.train_complete:run", 600),
}


def timeout_for(kind: str) -> int:
    """Return the RQ timeout for ``kind``."""
    return JOB_KINDS[kind].timeout
