"""Keyed pseudonyms for patient ids, and the per-patient date shift they derive.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import unicodedata
from typing import Any

from ml.values import is_missing

PSEUDONYM_PREFIX = "p_"
#: Rows of a source without patient ids are anonymous patients: their own prefix (and HMAC domain) keeps them
#: apart from every real patient's pseudonym.
ROW_PSEUDONYM_PREFIX = "a_"
#: 24 hex characters = 96 bits. By the birthday bound, the chance that any two of n patients collide is
#: about n**2 / 2**97: ~6e-16 for ten million patients, so linkage errors from truncation are negligible.
PSEUDONYM_HEX_CHARS = 24

# Whitespace, ASCII hyphen, the Unicode hyphens and dashes U+2010..U+2015, and underscore.
_ID_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015_]+")


def normalize_patient_id(patient_id: Any) -> str | None:
    """Return the id in the form used for linkage, or None when there is no usable id."""
    if patient_id is None or isinstance(patient_id, bool):
        return None
    if isinstance(patient_id, float):
        if not math.isfinite(patient_id):
            return None
        # Spreadsheets read integer ids as floats whenever a column has gaps: 12345.0 is id 12345.
        if patient_id.is_integer():
            patient_id = int(patient_id)
    if is_missing(patient_id):
        return None
    text = unicodedata.normalize("NFKC", str(patient_id)).casefold()
    # Control and format characters are export debris, not part of an id.
    text = "".join(char for char in text if unicodedata.category(char)[0] != "C")
    text = _ID_SEPARATORS.sub("", text)
    return text or None


def pseudonymize(patient_id: Any, *, key: bytes) -> str:
    """Return a keyed, irreversible pseudonym (``p_`` + 24 hex chars) for a patient id."""
    _check_key(key)
    normalized = normalize_patient_id(patient_id)
    if normalized is None:
        raise ValueError(f"cannot pseudonymize a missing or empty patient id: {patient_id!r}")
    digest = hmac.new(key, b"pseudonym\x00" + normalized.encode("utf-8"), hashlib.sha256).hexdigest()
    return PSEUDONYM_PREFIX + digest[:PSEUDONYM_HEX_CHARS]


def row_pseudonym(source_id: str, row_number: int, *, key: bytes) -> str:
    """Return the pseudonym (``a_`` + 24 hex chars) of an anonymous patient: one row of one upload."""
    _check_key(key)
    if not source_id:
        raise ValueError("a row pseudonym needs the id of its upload (the file's sha256)")
    message = b"row-pseudonym\x00" + str(source_id).encode("utf-8") + b"\x00" + str(int(row_number)).encode("ascii")
    return ROW_PSEUDONYM_PREFIX + hmac.new(key, message, hashlib.sha256).hexdigest()[:PSEUDONYM_HEX_CHARS]


def patient_date_shift(pseudonym: str, *, key: bytes, max_days: int = 365) -> int:
    """Return this patient's date shift in days, non-zero and within ±max_days, derived from the key."""
    _check_key(key)
    if not isinstance(pseudonym, str) or not pseudonym:
        raise ValueError(f"a date shift needs a non-empty pseudonym, got {pseudonym!r}")
    if max_days < 1:
        raise ValueError(f"max_days must be at least 1, got {max_days}")
    digest = hmac.new(key, b"date-shift\x00" + pseudonym.encode("utf-8"), hashlib.sha256).digest()
    draw = int.from_bytes(digest[:8], "big")
    magnitude = 1 + draw % max_days
    # A zero shift would publish the real dates, so the sign comes from a separate bit.
    return magnitude if digest[8] & 1 else -magnitude


def pseudonym_key(secret: str | bytes) -> bytes:
    """Turn the configured PSEUDONYM_KEY secret into key bytes, the same way for every caller."""
    # One conversion for everybody: if one job hex-decoded the secret and another UTF-8 encoded it,
    # the same patient would get two pseudonyms and linkage would silently break.
    key = secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)
    _check_key(key)
    return key


def _check_key(key: bytes) -> None:
    """Reject keys that would make pseudonyms guessable."""
    if not isinstance(key, bytes | bytearray) or len(key) == 0:
        raise ValueError("the pseudonymisation key must be non-empty bytes")


