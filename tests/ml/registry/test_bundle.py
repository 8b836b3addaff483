"""The predictor bundle round-trips through signed bytes; anything altered is refused before unpickling."""

import io
import json
import pickle

import joblib
import numpy as np
import pytest

from ml.features import Query
from ml.registry import BundleSignatureError, PredictorBundle, load_bundle, save_bundle, sign_bundle, verify_bundle
from ml.registry.bundle import MAGIC
from tests.ml.training_fixtures import trained_outcome

KEY = "test-signing-key"
QUERY = Query(present=("HP:0001945", "HP:0012735"), age=30, sex="female", temperature_c=38.6)


@pytest.fixture(scope="module")
def bundle() -> PredictorBundle:
    return trained_outcome().bundle


def test_a_saved_bundle_loads_and_predicts_the_same(bundle, tmp_path):
    signed = save_bundle(bundle, tmp_path / "model.bundle", KEY)
    assert (tmp_path / "model.bundle").read_bytes() == signed.data
    assert len(signed.sha256) == 64 and len(signed.signature) == 64
    loaded = load_bundle(tmp_path / "model.bundle", KEY, expected_sha256=signed.sha256)
    assert loaded.labels == bundle.labels and len(loaded.labels) == 6
    assert np.array_equal(loaded.predict_proba(QUERY), bundle.predict_proba(QUERY))
    assert loaded.rank(QUERY, top=1)[0][0] == "ICD10:J11"
    assert loaded.metadata["kb_version"] == "test" and loaded.metadata["vocabulary"]


@pytest.mark.parametrize("position", [len(MAGIC) + 5, -1, -5000])
def test_a_flipped_byte_is_refused(bundle, position):
    data = bytearray(sign_bundle(bundle, KEY).data)
    data[position] ^= 0x01
    with pytest.raises(BundleSignatureError):
        load_bundle(bytes(data), KEY)


def test_another_key_is_refused(bundle):
    with pytest.raises(BundleSignatureError, match="does not verify"):
        load_bundle(sign_bundle(bundle, KEY).data, "another-key")


def test_a_truncated_bundle_or_other_bytes_are_refused(bundle):
    data = sign_bundle(bundle, KEY).data
    with pytest.raises(BundleSignatureError, match="truncated"):
        load_bundle(data[:-10], KEY)
    with pytest.raises(BundleSignatureError, match="Not a dxflow model bundle"):
        load_bundle(b"\x80\x04K\x01.", KEY)


def test_an_unexpected_sha256_is_refused(bundle):
    with pytest.raises(BundleSignatureError, match="SHA-256"):
        load_bundle(sign_bundle(bundle, KEY).data, KEY, expected_sha256="0" * 64)


def test_an_empty_key_neither_signs_nor_verifies(bundle):
    with pytest.raises(BundleSignatureError, match="empty signing key"):
        sign_bundle(bundle, "")
    with pytest.raises(BundleSignatureError, match="empty signing key"):
        load_bundle(sign_bundle(bundle, KEY).data, b"")


class _Explodes:
    """An object whose unpickling writes a file: proof of whether a payload was unpickled."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return _touch, (str(self.path),)


def _touch(path: str) -> None:
    """Create the file at ``path``."""
    with open(path, "w") as handle:
        handle.write("unpickled")


def test_a_forged_payload_is_refused_before_it_is_unpickled(tmp_path):
    marker = tmp_path / "unpickled.txt"
    buffer = io.BytesIO()
    joblib.dump(_Explodes(marker), buffer)
    payload = buffer.getvalue()
    header = json.dumps({"format": 1, "sha256": "0" * 64, "hmac_sha256": "f" * 64, "size": len(payload)})
    with pytest.raises(BundleSignatureError, match="does not verify"):
        load_bundle(MAGIC + header.encode() + b"\n" + payload, KEY)
    assert not marker.exists()
    pickle.loads(payload)  # the same bytes, unpickled without the check, do run code
    assert marker.exists()


def test_verify_returns_the_payload_only_when_it_is_signed(bundle):
    signed = sign_bundle(bundle, KEY)
    assert verify_bundle(signed.data, KEY) == signed.data.split(b"\n", 2)[2]


QUERIES = [
    QUERY,
    Query(present=("HP:0002014", "HP:0002013"), absent=("HP:0001945",)),
    Query(present=("HP:0001166",), age=8, sex="male"),
    Query(absent=("HP:0002099", "HP:0100518"), temperature_c=36.4),
    Query(present=("HP:0100518", "HP:0000012", "HP:0001945"), absent=("HP:0002014",), age=72, sex="Female",
          temperature_c=39.4),
    Query(sex="other", temperature_c=34.2),
    Query(),
]


def test_the_direct_query_path_gives_the_frame_paths_probabilities(bundle):
    direct = np.vstack([bundle.predict_proba(query) for query in QUERIES])
    frame = np.vstack([bundle.predict_proba(query.to_dataset()) for query in QUERIES])
    # The queries differ, and so do their probabilities: the comparison is not between constants.
    assert len({tuple(np.round(row, 6)) for row in direct}) == len(QUERIES)
    np.testing.assert_allclose(direct, frame, rtol=1e-12, atol=1e-15)
    # Several queries at once (one matrix) give each query's own probabilities.
    np.testing.assert_allclose(bundle.predict_proba(QUERIES), direct, rtol=1e-12, atol=1e-15)
