"""Monitoring: one row per check of a prediction window, the alerts it raised, the admin-edited thresholds."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.accounts import User
from app.time import utcnow


class MonitoringRun(db.Model):
    """One monitoring check: the window it read, per-feature drift, performance with intervals, the decision."""

    __tablename__ = "monitoring_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    trigger: Mapped[str] = mapped_column(String(16))  # "schedule", "manual", "simulate"
    status: Mapped[str] = mapped_column(String(16), default="finished")  # "finished" or "failed"
    window_start: Mapped[datetime | None]
    window_end: Mapped[datetime | None]
    n_predictions: Mapped[int] = mapped_column(default=0)
    n_confirmed: Mapped[int] = mapped_column(default=0)
    mean_latency_ms: Mapped[float | None]
    p95_latency_ms: Mapped[float | None]
    model_version: Mapped[str] = mapped_column(String(64), default="")
    reference_snapshot: Mapped[str] = mapped_column(String(64), default="")
    n_reference: Mapped[int] = mapped_column(default=0)
    drift: Mapped[dict | None] = mapped_column(JSON)  # ml.monitoring.DriftResult.as_dict()
    performance: Mapped[dict | None] = mapped_column(JSON)  # ml.monitoring.PerformanceResult.as_dict()
    unmapped: Mapped[dict | None] = mapped_column(JSON)  # Estimate.as_dict()
    decision: Mapped[dict] = mapped_column(JSON, default=dict)  # retrain, reasons, held_back_by
    retraining_run_id: Mapped[int | None] = mapped_column(ForeignKey("training_runs.id", ondelete="SET NULL"))
    error: Mapped[str | None] = mapped_column(Text)


class MonitoringAlert(db.Model):
    """An alert with its severity; an admin acknowledges it."""

    __tablename__ = "monitoring_alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("monitoring_runs.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    kind: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(16), index=True)
    message: Mapped[str] = mapped_column(Text)
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    training_run_id: Mapped[int | None] = mapped_column(ForeignKey("training_runs.id", ondelete="SET NULL"))
    webhook_status: Mapped[str | None] = mapped_column(String(64))
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    acknowledged_by: Mapped[User | None] = relationship()


class MonitoringSettings(db.Model):
    """The thresholds an admin changed (one row; absent keys keep their documented defaults)."""

    __tablename__ = "monitoring_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    thresholds: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
