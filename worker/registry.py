"""The job kinds a worker can run: kind → (dotted path of the task function, timeout in seconds).

A task is a plain function ``task(progress, **args) -> dict`` that runs inside an app context; ``progress(percent,
stage)`` reports how far it got and raises :class:`worker.jobs.JobCanceled` when an admin cancelled the job.
"""

JOB_KINDS: dict[str, tuple[str, int]] = {
    "audit_export": ("worker.tasks.audit_export:run", 600),
    "eda": ("worker.tasks.eda:run", 1800),
    "ingest": ("worker.tasks.ingest:run", 3 * 3600),
}


def timeout_for(kind: str) -> int:
    """Return the RQ timeout for ``kind``."""
    return JOB_KINDS[kind][1]
