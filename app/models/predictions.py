"""Prediction logging for monitoring (inputs as codes only, never free text), clinician feedback, API tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.time import utcnow


class Prediction(db.Model):
    """One served prediction: who asked (a keyed pseudonym), the coded inputs, the top outputs, how fast."""

    __tablename__ = "predictions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_pseudonym: Mapped[str] = mapped_column(String(64), index=True)
    channel: Mapped[str] = mapped_column(String(8))  # "page" or "api"
    inputs: Mapped[dict] = mapped_column(JSON)  # {"present": [hpo], "absent": [hpo], "age", "sex", ...}
    outputs: Mapped[list] = mapped_column(JSON)  # [[disease_id, probability], ...] top-k
    model_version: Mapped[str] = mapped_column(String(64))
    kb_version: Mapped[str] = mapped_column(String(80))
    latency_ms: Mapped[float]


class PredictionFeedback(db.Model):
    """The diagnoses a clinician confirmed for one prediction."""

    __tablename__ = "prediction_feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    prediction_id: Mapped[str] = mapped_column(ForeignKey("predictions.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    user_pseudonym: Mapped[str] = mapped_column(String(64))
    diagnoses: Mapped[list] = mapped_column(JSON)  # confirmed disease ids


class ApiToken(db.Model):
    """A per-user bearer token for the JSON API; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    prefix: Mapped[str] = mapped_column(String(12))  # the first characters, to tell tokens apart on the page
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
