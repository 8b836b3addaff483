"""The predictor bundle: everything needed to predict, in one object, serialised with joblib and signed.

Envelope (bytes): ``MAGIC`` line, one JSON header line ``{"format", "sha256", "hmac_sha256", "size"}``, then the
joblib payload. :func:`load_bundle` checks the HMAC-SHA256 of the payload with the key (and the SHA-256, and an
expected SHA-256 when the caller gives one) **before** unpickling anything, and raises
:class:`BundleSignatureError` on any mismatch: a pickle runs code when loaded, so only signed bytes are loaded.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import joblib
import numpy as np

MAGIC = b"DXFLOW-BUNDLE\n"
FORMAT = 1


class BundleSignatureError(ValueError):
    """A bundle's bytes do not verify against the signing key (tampered, truncated, or signed with another key)."""


@dataclass(eq=False)
class PredictorBundle:
    """A trained predictor: model (encoder inside), labels, thresholds, calibration and provenance metadata.

    ``metadata`` holds at least ``kb_version``, ``kb_content_hash``, ``snapshot_id``, ``candidate``, ``params``
    and ``below_support`` (the diseases left to the knowledge-informed model).
    """

    model: object
    labels: tuple[str, ...]
    thresholds: np.ndarray
    calibration: dict | None = None
    orphan: np.ndarray | None = None
    train_support: np.ndarray | None = None
    metadata: dict = field(default_factory=dict)

    @property
    def encoder(self):
        """Return the fitted case encoder the model uses (the prediction page encodes queries with it)."""
        return self.model.encoder_

    def predict_proba(self, query_or_X) -> np.ndarray:
        """Return calibrated (n, n_labels) probabilities for a Query, a mapping, a list of them, or a Dataset."""
        # Imported here: ml.models imports this module, and the registry must load without the search code first.
        from ml.models.calibration import apply_calibration

        return apply_calibration(self.model.predict_proba(query_or_X), self.calibration)

    def predict(self, query_or_X) -> np.ndarray:
        """Return the 0/1 (n, n_labels) predictions at the per-label thresholds."""
        return (self.predict_proba(query_or_X) >= self.thresholds).astype(np.uint8)

    def rank(self, query, *, top: int = 10) -> list[tuple[str, float]]:
        """Return the ``top`` (disease id, probability) pairs for one query, best first (ties by label order)."""
        p = self.predict_proba(query)[0]
        order = np.argsort(-p, kind="stable")[:top]
        return [(self.labels[j], float(p[j])) for j in order]


@dataclass(frozen=True)
class SignedBundle:
    """The signed bytes of a bundle with their SHA-256 and HMAC-SHA256 (hex), for the app's storage layer."""

    data: bytes
    sha256: str
    signature: str


def _key_bytes(key: str | bytes) -> bytes:
    """Return the signing key as bytes, refusing an empty key."""
    raw = key.encode() if isinstance(key, str) else bytes(key)
    if not raw:
        raise BundleSignatureError("An empty signing key cannot sign or verify a model bundle.")
    return raw


def sign_bundle(bundle: PredictorBundle, key: str | bytes) -> SignedBundle:
    """Serialise ``bundle`` with joblib and return the signed envelope."""
    buffer = io.BytesIO()
    joblib.dump(bundle, buffer)
    payload = buffer.getvalue()
    digest = hashlib.sha256(payload).hexdigest()
    signature = hmac.new(_key_bytes(key), payload, hashlib.sha256).hexdigest()
    header = _header(digest=digest, signature=signature, size=len(payload))
    return SignedBundle(data=MAGIC + header + b"\n" + payload, sha256=digest, signature=signature)


def _header(*, digest: str, signature: str, size: int) -> bytes:
    """Return the one canonical header line for these values (any other header bytes are refused)."""
    return json.dumps({"format": FORMAT, "sha256": digest, "hmac_sha256": signature, "size": size}).encode()


def save_bundle(bundle: PredictorBundle, path: Path, key: str | bytes) -> SignedBundle:
    """Write the signed bundle to ``path`` and return what was written."""
    signed = sign_bundle(bundle, key)
    Path(path).write_bytes(signed.data)
    return signed


def verify_bundle(data: bytes, key: str | bytes, *, expected_sha256: str | None = None) -> bytes:
    """Return the payload of a signed envelope after checking it; raise BundleSignatureError otherwise."""
    if not data.startswith(MAGIC):
        raise BundleSignatureError("Not a dxflow model bundle (the header is missing).")
    header_line, _, payload = data[len(MAGIC):].partition(b"\n")
    try:
        header = json.loads(header_line)
        claimed, size = str(header["hmac_sha256"]), int(header["size"])
    except (ValueError, KeyError, TypeError) as error:
        raise BundleSignatureError("The model bundle's header is unreadable.") from error
    if len(payload) != size:
        raise BundleSignatureError(f"The model bundle is truncated or padded ({len(payload)} bytes, header {size}).")
    actual = hmac.new(_key_bytes(key), payload, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(actual, claimed):
        raise BundleSignatureError("The model bundle's signature does not verify: it was altered or signed "
                                   "with another key. It was not loaded.")
    digest = hashlib.sha256(payload).hexdigest()
    if header_line != _header(digest=digest, signature=actual, size=size):
        raise BundleSignatureError("The model bundle's header was altered (format, SHA-256 or size).")
    if expected_sha256 is not None and digest != expected_sha256:
        raise BundleSignatureError("The model bundle's SHA-256 does not match the registered one.")
    return payload


def load_bundle(
    path_or_bytes: Path | str | bytes, key: str | bytes, *, expected_sha256: str | None = None
) -> PredictorBundle:
    """Verify a signed bundle (bytes or a file path) and only then unpickle and return it."""
    data = bytes(path_or_bytes) if isinstance(path_or_bytes, bytes | bytearray) else Path(path_or_bytes).read_bytes()
    payload = verify_bundle(data, key, expected_sha256=expected_sha256)
    bundle = joblib.load(io.BytesIO(payload))
    if not isinstance(bundle, PredictorBundle):
        raise BundleSignatureError(f"The signed payload holds a {type(bundle).__name__}, not a PredictorBundle.")
    return bundle


def bundle_summary(bundle: PredictorBundle) -> dict:
    """Return a JSON-ready summary of a bundle for listings (labels count, candidate, versions)."""
    keys: Sequence[str] = ("kb_version", "kb_content_hash", "snapshot_id", "candidate", "params", "code_version")
    meta: Mapping = bundle.metadata
    return {"n_labels": len(bundle.labels), **{key: meta.get(key) for key in keys}}
