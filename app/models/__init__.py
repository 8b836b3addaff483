"""SQLAlchemy models. Each subsystem keeps its tables in a module of its own; import them all here so
Flask-Migrate sees the whole schema."""

from app.models.accounts import ROLES, LoginThrottle, User
from app.models.audit import AuditEvent
from app.models.jobs import Job, JobStatus
from app.models.monitoring import MonitoringAlert, MonitoringRun, MonitoringSettings
from app.models.predictions import ApiToken, Prediction, PredictionFeedback
from app.models.training import Alias, ModelVersion, RunStatus, TrainingRun
from app.models.vocabulary import TermStatus, UnmappedTerm
from app.models.warehouse import (
    Case,
    CaseDiagnosis,
    CaseSymptom,
    Note,
    Patient,
    SourceProfileRecord,
    Upload,
    UploadStatus,
)

__all__ = [
    "ROLES",
    "ApiToken",
    "Alias",
    "ModelVersion",
    "MonitoringAlert",
    "MonitoringRun",
    "MonitoringSettings",
    "RunStatus",
    "TrainingRun",
    "AuditEvent",
    "Case",
    "CaseDiagnosis",
    "CaseSymptom",
    "Job",
    "JobStatus",
    "LoginThrottle",
    "ModelVersion",
    "Note",
    "Patient",
    "Prediction",
    "PredictionFeedback",
    "RunStatus",
    "SourceProfileRecord",
    "TermStatus",
    "TrainingRun",
    "UnmappedTerm",
    "Upload",
    "UploadStatus",
    "User",
]
