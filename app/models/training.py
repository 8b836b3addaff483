"""Training runs and the model registry: what was trained on what, and which signed artifact serves."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.accounts import User
from app.time import utcnow


class RunStatus:
    QUEUED = "queued"
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"
    CANCELED = "canceled"

    ACTIVE = (QUEUED, RUNNING)


class Alias:
    CHAMPION = "champion"
    CHALLENGER = "challenger"
    NONE = "none"


class TrainingRun(db.Model):
    __tablename__ = "training_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default=RunStatus.QUEUED, index=True)
    reason: Mapped[str] = mapped_column(String(200), default="")
    config: Mapped[dict] = mapped_column(JSON, default=dict)
    progress: Mapped[int] = mapped_column(default=0)
    stage: Mapped[str] = mapped_column(String(200), default="")
    round: Mapped[int] = mapped_column(default=0)
    units_total: Mapped[int] = mapped_column(default=0)
    units_done: Mapped[int] = mapped_column(default=0)
    # The structured result: test/validation metrics, leaderboard, unit results, by-source slice, promotion.
    metrics: Mapped[dict | None] = mapped_column(JSON)
    snapshot_id: Mapped[str | None] = mapped_column(String(64))
    code_version: Mapped[str] = mapped_column(String(64), default="")
    duration_s: Mapped[float | None]
    artifacts: Mapped[dict] = mapped_column(JSON, default=dict)  # name -> storage key
    job_ids: Mapped[list] = mapped_column(JSON, default=list)  # every Job row the run launched
    mlflow_run_id: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)
    launched_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    finished_at: Mapped[datetime | None]

    launched_by: Mapped[User | None] = relationship()

    @property
    def is_active(self) -> bool:
        return self.status in RunStatus.ACTIVE

    def to_dict(self) -> dict:
        """Return the fields the run page and ``flask train --wait`` poll for."""
        return {"id": self.id, "status": self.status, "progress": self.progress, "stage": self.stage,
                "error": self.error, "units_done": self.units_done, "units_total": self.units_total}


class ModelVersion(db.Model):
    __tablename__ = "model_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(unique=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("training_runs.id", ondelete="SET NULL"))
    metrics: Mapped[dict] = mapped_column(JSON, default=dict)  # test metrics without the per-label table
    summary: Mapped[dict] = mapped_column(JSON, default=dict)  # ml.registry.bundle_summary
    storage_key: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(64))
    alias: Mapped[str] = mapped_column(String(16), default=Alias.NONE, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    promoted_at: Mapped[datetime | None]
    promoted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    run: Mapped[TrainingRun | None] = relationship()
    promoted_by: Mapped[User | None] = relationship()
