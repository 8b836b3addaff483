"""The raw zone as the web app sees it: the configured storage backend, and raw files keyed by content hash.

Uploads are stored as received under ``uploads/<h2>/<sha256>.<ext>``. The name the file arrived with is kept beside
it (``uploads/<h2>/<sha256>.<ext>.name``), inside the raw zone, because a name can identify a patient (clinic notes
are named after the patient id); the database only ever holds a display name. Validation reports live under
``reports/upload-<id>.csv``.
"""

from __future__ import annotations

import json
import re
from pathlib import PurePath

from flask import current_app

from ml.storage import Storage, content_key, storage_from_url


def storage() -> Storage:
    """Return this app's raw-zone backend (``STORAGE_URL``, ``S3_ENDPOINT_URL``), built once per app."""
    extensions = current_app.extensions
    if "raw_zone" not in extensions:
        extensions["raw_zone"] = storage_from_url(
            current_app.config["STORAGE_URL"], endpoint_url=current_app.config.get("S3_ENDPOINT_URL") or None
        )
    return extensions["raw_zone"]


def upload_key(sha256: str, filename: str = "") -> str:
    """Return the raw-zone key of an uploaded file's content, with its extension (readers such as openpyxl
    go by it)."""
    suffix = PurePath(filename).suffix.lower()
    suffix = suffix if re.fullmatch(r"\.[a-z0-9]{1,10}", suffix) else ""
    return content_key(sha256, prefix="uploads") + suffix


def name_key(storage_key: str) -> str:
    """Return the key of the sidecar that keeps a raw file's original name."""
    return f"{storage_key}.name"


def report_key(upload_id: int) -> str:
    """Return the key of an upload's validation report CSV."""
    return f"reports/upload-{int(upload_id)}.csv"


def put_raw(spool, sha256: str, original_name: str) -> str:
    """Store an upload's bytes and original name, both once per content (the first name stays); return the key."""
    backend = storage()
    key = upload_key(sha256, original_name)
    if not backend.exists(key):
        backend.put(key, spool)
    if not backend.exists(name_key(key)):  # an earlier upload of these bytes keeps the name it arrived with
        backend.put(name_key(key), json.dumps({"filename": original_name}).encode("utf-8"))
    return key


def original_name(storage_key: str, default: str) -> str:
    """Return the name a raw file arrived with (``default`` when the sidecar is missing)."""
    backend = storage()
    if not backend.exists(name_key(storage_key)):
        return default
    with backend.open(name_key(storage_key)) as handle:
        return json.loads(handle.read().decode("utf-8")).get("filename") or default
