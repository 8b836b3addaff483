"""The review queue of the vocabulary normaliser: raw symptom and disease texts it could not map, with the
admins' decisions (map to an id, or ignore) that the normaliser uses from then on."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.accounts import User
from app.time import utcnow

TERM_KINDS = ("symptom", "disease")


class TermStatus:
    PENDING = "pending"
    MAPPED = "mapped"
    IGNORED = "ignored"

    ALL = (PENDING, MAPPED, IGNORED)
    DECIDED = (MAPPED, IGNORED)


class UnmappedTerm(db.Model):
    """One normalised text of one kind, seen ``count`` times, pending review or decided."""

    __tablename__ = "unmapped_terms"
    __table_args__ = (UniqueConstraint("kind", "text", name="uq_unmapped_terms_kind_text"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(String(200))
    example: Mapped[str] = mapped_column(String(200))
    count: Mapped[int] = mapped_column(default=0)
    sources: Mapped[list] = mapped_column(JSON, default=list)
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default=TermStatus.PENDING, index=True)
    mapped_id: Mapped[str | None] = mapped_column(String(64))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(index=True)

    decided_by: Mapped[User | None] = relationship()


# The brief names both; one table holds the queue and the decisions.
VocabularyTerm = UnmappedTerm
