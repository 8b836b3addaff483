"""SQLAlchemy models. Each subsystem keeps its tables in a module of its own; import them all here so
Flask-Migrate sees the whole schema."""

from app.models.accounts import ROLES, User
from app.models.audit import AuditEvent
from app.models.jobs import Job, JobStatus
from app.models.vocabulary import TermStatus, UnmappedTerm

__all__ = ["ROLES", "AuditEvent", "Job", "JobStatus", "TermStatus", "UnmappedTerm", "User"]
