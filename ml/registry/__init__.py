"""The signed predictor bundle: build, sign, verify-then-load."""

from ml.registry.bundle import (
    BundleSignatureError,
    PredictorBundle,
    SignedBundle,
    bundle_summary,
    load_bundle,
    save_bundle,
    sign_bundle,
    verify_bundle,
)

__all__ = [
    "BundleSignatureError",
    "PredictorBundle",
    "SignedBundle",
    "bundle_summary",
    "load_bundle",
    "save_bundle",
    "sign_bundle",
    "verify_bundle",
]
