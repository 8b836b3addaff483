"""The warehouse service (not a blueprint): uploads, their ingestion job, source profiles, deletion.

See :mod:`app.warehouse.service` for the functions routes and commands call, :mod:`app.warehouse.raw_zone` for
where raw files live, and :mod:`app.warehouse.loader` for the bulk loader.
"""

from app.warehouse.profiles import ProfileError, get_profile, list_profiles, profile_names, save_profile
from app.warehouse.service import (
    IncomingFile,
    UploadRefused,
    UploadsPending,
    create_upload,
    delete_upload,
    ingest_upload,
    propose_profile_for,
    start_ingest,
    upload_report,
    validation_report,
)

__all__ = [
    "IncomingFile",
    "ProfileError",
    "UploadRefused",
    "UploadsPending",
    "create_upload",
    "delete_upload",
    "get_profile",
    "ingest_upload",
    "list_profiles",
    "profile_names",
    "propose_profile_for",
    "save_profile",
    "start_ingest",
    "upload_report",
    "validation_report",
]
