"""The raw-zone storage backends: a local folder (atomic, keys confined to the root) and S3 against a real
S3-compatible server process (moto_server) started here."""

from __future__ import annotations

import io
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ml.storage import LocalStorage, S3Storage, StorageError, content_key, spooled_with_hash, storage_from_url


def test_local_storage_puts_opens_lists_and_deletes(tmp_path):
    storage = LocalStorage(tmp_path / "raw")
    assert storage.put("uploads/ab/one.csv", b"a,b\n1,2\n") == "uploads/ab/one.csv"
    storage.put("reports/r.csv", io.BytesIO(b"row_number,field,reason\n"))
    with storage.open("uploads/ab/one.csv") as handle:
        assert handle.read() == b"a,b\n1,2\n"
    assert storage.exists("reports/r.csv") and not storage.exists("reports/missing.csv")
    assert storage.list() == ["reports/r.csv", "uploads/ab/one.csv"] and storage.list("uploads/") == [
        "uploads/ab/one.csv"]
    with storage.local_copy("uploads/ab/one.csv") as path:
        assert path.read_bytes() == b"a,b\n1,2\n"
    storage.delete("uploads/ab/one.csv")
    storage.delete("uploads/ab/one.csv")  # deleting twice is fine
    assert storage.list("uploads/") == []
    with pytest.raises(StorageError, match="No stored object"):
        storage.open("uploads/ab/one.csv")


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path):
    storage = LocalStorage(tmp_path)
    storage.put("k.csv", b"old")

    class Broken(io.RawIOBase):
        def read(self, size=-1):
            raise OSError("connection reset")

    with pytest.raises(OSError):
        storage.put("k.csv", Broken())
    assert (tmp_path / "k.csv").read_bytes() == b"old" and os.listdir(tmp_path) == ["k.csv"]


@pytest.mark.parametrize("key", ["../escape", "/etc/passwd", "a/../../b", "a//b", "a\\b", "", ".", "a/./b",
                                 "name with space", "x\x00y"])
def test_keys_can_never_escape_the_root(tmp_path, key):
    storage = LocalStorage(tmp_path / "raw")
    with pytest.raises(StorageError, match="Invalid storage key"):
        storage.put(key, b"x")
    assert not (tmp_path / "escape").exists()


def test_a_symlink_inside_the_root_cannot_lead_outside_it(tmp_path):
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "link").symlink_to(tmp_path)
    with pytest.raises(StorageError):
        LocalStorage(tmp_path / "raw").put("link/outside.csv", b"x")
    assert not (tmp_path / "outside.csv").exists()


def test_storage_from_url_and_content_keys(tmp_path):
    assert isinstance(storage_from_url(tmp_path.as_uri()), LocalStorage)
    assert storage_from_url(tmp_path.as_uri()).root == tmp_path.resolve()
    for url in ("ftp://x/y", "s3:///prefix", "file://otherhost/x"):
        with pytest.raises(StorageError):
            storage_from_url(url)
    digest = "ab" + "0" * 62
    assert content_key(digest) == f"uploads/ab/{digest}"
    with pytest.raises(StorageError):
        content_key("../" + digest)


def test_spooling_hashes_and_stops_past_the_limit():
    with spooled_with_hash(io.BytesIO(b"abc")) as (spool, sha256, size):
        assert spool.read() == b"abc" and size == 3
        assert sha256 == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    with spooled_with_hash(io.BytesIO(b"x" * 5000), max_bytes=100) as (_, _, size):
        assert size > 100


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def s3_endpoint():
    """Start moto_server (a real S3-compatible HTTP server) on a free port for the session."""
    executable = shutil.which("moto_server", path=str(Path(sys.executable).parent)) or shutil.which("moto_server")
    if executable is None:
        pytest.fail("moto_server is missing: pip install 'moto[server]' (it is in the dev extras)")
    port = _free_port()
    process = subprocess.Popen([executable, "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    else:
        process.kill()
        pytest.fail("moto_server did not start")
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def s3_bucket(s3_endpoint, monkeypatch):
    """Create a fresh bucket on the S3 server; credentials are the server's dummy ones."""
    import boto3

    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                        ("AWS_DEFAULT_REGION", "us-east-1")):
        monkeypatch.setenv(name, value)
    bucket = f"dxflow-{os.urandom(4).hex()}"
    boto3.client("s3", endpoint_url=s3_endpoint).create_bucket(Bucket=bucket)
    return bucket


def test_s3_storage_against_a_real_s3_server(s3_endpoint, s3_bucket):
    storage = storage_from_url(f"s3://{s3_bucket}/raw/zone", endpoint_url=s3_endpoint)
    assert isinstance(storage, S3Storage) and storage.prefix == "raw/zone"
    storage.put("uploads/ab/one.csv", b"a,b\n1,2\n")
    storage.put("reports/r.csv", io.BytesIO(b"report"))
    assert storage.exists("uploads/ab/one.csv") and not storage.exists("uploads/ab/none.csv")
    assert storage.list() == ["reports/r.csv", "uploads/ab/one.csv"]
    with storage.open("reports/r.csv") as body:
        assert body.read() == b"report"
    with storage.local_copy("uploads/ab/one.csv") as path:
        assert path.read_bytes() == b"a,b\n1,2\n" and path.name == "one.csv"
    assert not path.exists()
    storage.delete("uploads/ab/one.csv")
    assert storage.list("uploads/") == []
    with pytest.raises(StorageError, match="Invalid storage key"):
        storage.put("../outside", b"x")
    with pytest.raises(StorageError, match="No stored object"):
        storage.open("uploads/ab/one.csv")
