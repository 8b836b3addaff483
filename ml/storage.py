"""The raw zone: files kept exactly as received, behind a small storage interface.

Two backends share one interface — ``put(key, data) -> key``, ``open(key)``, ``exists(key)``, ``delete(key)``,
``list(prefix)`` and ``local_copy(key)`` (a path on disk for readers that need one):

* :class:`LocalStorage` keeps files under a root folder. Writes are atomic (a temporary file in the same folder,
  then ``os.replace``), and a key can never name anything outside the root.
* :class:`S3Storage` keeps them in an S3 bucket under a prefix, through boto3 (any S3-compatible server, such as
  MinIO, through ``endpoint_url``).

Keys are relative, ``/``-separated paths of safe segments (letters, digits, ``._-``). Raw uploads are keyed by
the SHA-256 of their content (:func:`content_key`), so the same file is stored — and loaded — once.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Protocol
from urllib.parse import unquote, urlparse

CHUNK_BYTES = 1024 * 1024
_SEGMENT = re.compile(r"^[A-Za-z0-9._-]+$")


class StorageError(Exception):
    """A key is invalid or a stored object is missing; the message says which."""


def check_key(key: str) -> str:
    """Return ``key`` when it is a relative path of safe segments, else raise StorageError."""
    if not isinstance(key, str) or not key or key.startswith("/") or "\\" in key:
        raise StorageError(f"Invalid storage key {key!r}.")
    for segment in key.split("/"):
        if segment in ("", ".", "..") or not _SEGMENT.match(segment):
            raise StorageError(f"Invalid storage key {key!r}.")
    return key


def _chunks(data: bytes | BinaryIO) -> Iterator[bytes]:
    """Yield the bytes of a bytes object or a binary file object in bounded pieces."""
    if isinstance(data, bytes | bytearray | memoryview):
        yield bytes(data)
        return
    while piece := data.read(CHUNK_BYTES):
        yield piece


class Storage(Protocol):
    """What the raw zone needs from a backend."""

    def put(self, key: str, data: bytes | BinaryIO) -> str: ...
    def open(self, key: str) -> BinaryIO: ...
    def exists(self, key: str) -> bool: ...
    def delete(self, key: str) -> None: ...
    def list(self, prefix: str = "") -> list[str]: ...
    def local_copy(self, key: str) -> contextlib.AbstractContextManager[Path]: ...


class LocalStorage:
    """Files under a root folder; atomic writes; keys cannot escape the root."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()

    def __repr__(self) -> str:
        return f"LocalStorage({str(self.root)!r})"

    def _path(self, key: str) -> Path:
        """Return the file of a key, refusing any path that resolves outside the root."""
        path = (self.root / check_key(key)).resolve()
        if not path.is_relative_to(self.root):
            raise StorageError(f"Invalid storage key {key!r}.")
        return path

    def put(self, key: str, data: bytes | BinaryIO) -> str:
        """Store ``data`` under ``key`` atomically (a reader sees the old file or the whole new one)."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(handle, "wb") as out:
                for piece in _chunks(data):
                    out.write(piece)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise
        return key

    def open(self, key: str) -> BinaryIO:
        """Open a stored file for binary reading."""
        try:
            return self._path(key).open("rb")
        except FileNotFoundError as error:
            raise StorageError(f"No stored object {key!r}.") from error

    def exists(self, key: str) -> bool:
        """Return True when ``key`` holds a file."""
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        """Remove ``key``; a missing key is not an error."""
        with contextlib.suppress(FileNotFoundError):
            self._path(key).unlink()

    def list(self, prefix: str = "") -> list[str]:
        """Return the sorted keys that start with ``prefix``."""
        if not self.root.is_dir():
            return []
        keys = (path.relative_to(self.root).as_posix() for path in self.root.rglob("*") if path.is_file())
        return sorted(key for key in keys if key.startswith(prefix) and not Path(key).name.startswith(".tmp-"))

    @contextlib.contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        """Yield the stored file's own path (nothing is copied)."""
        path = self._path(key)
        if not path.is_file():
            raise StorageError(f"No stored object {key!r}.")
        yield path


class S3Storage:
    """Objects in an S3 bucket under a prefix, through boto3 (``endpoint_url`` for MinIO and the like)."""

    def __init__(self, bucket: str, prefix: str = "", *, endpoint_url: str | None = None, client=None) -> None:
        import boto3  # deferred: only deployments on S3 pay for importing boto3

        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.client = client or boto3.client("s3", endpoint_url=endpoint_url or None)

    def __repr__(self) -> str:
        return f"S3Storage({self.bucket!r}, {self.prefix!r})"

    def _object_key(self, key: str) -> str:
        check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def put(self, key: str, data: bytes | BinaryIO) -> str:
        """Upload ``data`` under ``key`` (S3 writes are atomic: an object appears whole or not at all)."""
        import io

        body = io.BytesIO(bytes(data)) if isinstance(data, bytes | bytearray | memoryview) else data
        self.client.upload_fileobj(body, self.bucket, self._object_key(key))
        return key

    def open(self, key: str) -> BinaryIO:
        """Return a streaming binary reader of the stored object."""
        from botocore.exceptions import ClientError

        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._object_key(key))["Body"]
        except ClientError as error:
            raise StorageError(f"No stored object {key!r}.") from error

    def exists(self, key: str) -> bool:
        """Return True when ``key`` holds an object."""
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._object_key(key))
        except ClientError:
            return False
        return True

    def delete(self, key: str) -> None:
        """Remove ``key``; a missing key is not an error."""
        self.client.delete_object(Bucket=self.bucket, Key=self._object_key(key))

    def list(self, prefix: str = "") -> list[str]:
        """Return the sorted keys that start with ``prefix``."""
        base = f"{self.prefix}/" if self.prefix else ""
        keys = []
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=base + prefix):
            keys.extend(item["Key"].removeprefix(base) for item in page.get("Contents", []))
        return sorted(keys)

    @contextlib.contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        """Download the object to a temporary file, yield its path, and remove it afterwards."""
        with tempfile.TemporaryDirectory(prefix="dxflow-raw-") as folder:
            path = Path(folder) / Path(key).name
            with self.open(key) as body, path.open("wb") as out:
                shutil.copyfileobj(body, out, CHUNK_BYTES)
            yield path


def storage_from_url(url: str, *, endpoint_url: str | None = None) -> LocalStorage | S3Storage:
    """Return the backend for ``file:///folder`` or ``s3://bucket/prefix``."""
    parsed = urlparse(url)
    if parsed.scheme == "file":
        if parsed.netloc not in ("", "localhost"):
            raise StorageError(f"STORAGE_URL {url!r} names a remote host; use file:///absolute/folder.")
        return LocalStorage(unquote(parsed.path))
    if parsed.scheme == "s3":
        if not parsed.netloc:
            raise StorageError(f"STORAGE_URL {url!r} has no bucket; use s3://bucket/prefix.")
        return S3Storage(parsed.netloc, parsed.path, endpoint_url=endpoint_url)
    raise StorageError(f"STORAGE_URL {url!r} must start with file:// or s3://.")


def content_key(sha256: str, *, prefix: str = "uploads") -> str:
    """Return the raw-zone key of a file with this content hash."""
    if not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise StorageError(f"Not a SHA-256 hex digest: {sha256!r}.")
    return f"{prefix}/{sha256[:2]}/{sha256}"


@contextlib.contextmanager
def spooled_with_hash(data: bytes | BinaryIO, *, max_bytes: int | None = None) -> Iterator[tuple[BinaryIO, str, int]]:
    """Copy ``data`` to a temporary file while hashing it; yield (file rewound, sha256 hex, size).

    Stops reading at ``max_bytes + 1`` so an oversized upload is never copied whole; the size tells.
    """
    digest, size = hashlib.sha256(), 0
    with tempfile.TemporaryFile(prefix="dxflow-upload-") as spool:
        for piece in _chunks(data):
            if max_bytes is not None and size + len(piece) > max_bytes:
                size += len(piece)
                break
            digest.update(piece)
            spool.write(piece)
            size += len(piece)
        spool.seek(0)
        yield spool, digest.hexdigest(), size
