"""Compute the EDA summary of the warehouse in a job and keep it per snapshot in the shared store.

The summary (``ml.eda.summarize``) is a JSON file ``eda/summary-<snapshot id>.json`` in the storage layer the raw
zone uses, so a worker on another host writes where the web app reads, and no table or migration is needed. A
page names the current snapshot with :func:`app.warehouse.snapshot.current_snapshot_id` (aggregates only) and
shows the cached summary for it, if any.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select

from app.extensions import db
from app.jobs.service import launch
from app.models import Job, JobStatus, TermStatus, UnmappedTerm
from app.warehouse.raw_zone import storage
from app.warehouse.snapshot import case_count, current_snapshot_id, load_dataset
from ml.eda import summarize
from ml.knowledge import get_kb

JOB_KIND = "eda"


def summary_key(snapshot: str) -> str:
    """Return the storage key of the summary of ``snapshot``."""
    return f"eda/summary-{snapshot}.json"


@dataclass(frozen=True)
class EdaState:
    """What the EDA page shows: the warehouse size, its snapshot, the cached summary and a running job."""

    cases: int
    snapshot: str | None
    summary: dict | None
    job: Job | None


def cached_summary(snapshot: str) -> dict | None:
    """Return the stored summary of ``snapshot``, or ``None`` when none was computed."""
    backend, key = storage(), summary_key(snapshot)
    if not backend.exists(key):
        return None
    with backend.open(key) as handle:
        return json.loads(handle.read().decode("utf-8"))


def active_job() -> Job | None:
    """Return the most recent EDA job still queued or running."""
    query = select(Job).where(Job.kind == JOB_KIND, Job.status.in_(JobStatus.ACTIVE)).order_by(Job.id.desc())
    return db.session.scalars(query.limit(1)).first()


def current_state() -> EdaState:
    """Return the state of the analysis for the warehouse as it is now."""
    cases = case_count()
    if not cases:
        return EdaState(cases=0, snapshot=None, summary=None, job=active_job())
    snapshot = current_snapshot_id()
    return EdaState(cases=cases, snapshot=snapshot, summary=cached_summary(snapshot), job=active_job())


class EmptyWarehouse(ValueError):
    """There are no cases to analyse."""


def start_compute(*, user) -> Job:
    """Launch the EDA job for the current warehouse (audited by the job launch); refuse an empty warehouse."""
    if not case_count():
        raise EmptyWarehouse("The warehouse is empty: there is nothing to analyse.")
    return launch(JOB_KIND, user=user)


def _knowledge_base():
    """Return the app's knowledge base, or ``None`` when ``KB_DIR`` holds none (orphan flags then by prefix)."""
    try:
        return get_kb(Path(current_app.config["KB_DIR"]))
    except FileNotFoundError:
        return None


def pending_unmapped_terms() -> int:
    """Return how many distinct source terms wait for an admin to map them."""
    return db.session.scalar(select(func.count(UnmappedTerm.id)).where(UnmappedTerm.status == TermStatus.PENDING)) or 0


def compute(progress) -> dict:
    """Summarise the warehouse, store the summary under its snapshot and return the snapshot and counts."""
    progress(5, "Reading the warehouse")
    dataset = load_dataset()
    progress(40, "Computing statistics")
    summary = summarize(dataset, kb=_knowledge_base(), unmapped_terms=pending_unmapped_terms())
    progress(90, "Storing the summary")
    key = storage().put(summary_key(summary["snapshot_id"]), json.dumps(summary).encode("utf-8"))
    return {"snapshot": summary["snapshot_id"], "cases": summary["n_cases"], "file": key}
