"""Where media files live: a small interface, its local-directory implementation, and the choice.

Files are addressed by a key such as `3f2a…(32 hex)/original.jpg`. The random folder keeps one
upload's renditions together and makes file names unguessable. The other implementation is an
S3-compatible bucket (`server/media/s3.py`). Nothing above this module needs to know which one is
in use: keys become public URLs in one place, `Urls.media`, which asks the storage's `url`.
"""

from __future__ import annotations

import asyncio
import functools
import os
import secrets
from pathlib import Path
from typing import Protocol

from server.config import Config
from server.media.keys import check_key


class MediaStorage(Protocol):
    async def save(self, key: str, data: bytes, content_type: str) -> None:
        """Store a file; `content_type` is what it must be served as."""

    async def read(self, key: str) -> bytes:
        """A stored file's bytes (for a member's archive)."""

    async def delete(self, key: str) -> None:
        """Remove a file; removing a missing one is not an error."""

    async def size(self, key: str) -> int:
        """A stored file's size in bytes; 0 when it is missing."""

    def url(self, key: str) -> str | None:
        """Where the public reads the file directly, or None: we serve it ourselves from /media/{key}."""

    def path(self, key: str) -> Path:
        """The local file to serve; only asked when `url` is None."""


class LocalStorage:
    """Files under one directory (normally `<data_dir>/media`), written atomically."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, key: str) -> Path:
        return self.root / check_key(key)

    def url(self, key: str) -> None:
        return None  # served by our own /media/ route, which sets the headers

    async def save(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(self._write, self.path(key), data)

    async def read(self, key: str) -> bytes:
        return await asyncio.to_thread(self.path(key).read_bytes)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._remove, self.path(key))

    async def size(self, key: str) -> int:
        try:
            return (await asyncio.to_thread(self.path(key).stat)).st_size
        except FileNotFoundError:
            return 0

    @staticmethod
    def _write(target: Path, data: bytes) -> None:
        # A reader never sees half a file: write beside it, then rename into place.
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.{secrets.token_hex(4)}")
        try:
            partial.write_bytes(data)
            os.replace(partial, target)
        except OSError:
            partial.unlink(missing_ok=True)  # a full disk must not keep half a file
            raise

    @staticmethod
    def _remove(target: Path) -> None:
        target.unlink(missing_ok=True)
        try:
            target.parent.rmdir()  # only succeeds once the upload's last file is gone
        except OSError:
            pass


@functools.cache
def storage_for(cfg: Config) -> MediaStorage:
    """The storage the configuration asks for; one per configuration, so that an S3 client's
    service description is loaded once, not on every request."""
    if cfg.media_storage == "s3":
        from server.media.s3 import S3Storage  # botocore is imported only when a bucket is used

        return S3Storage(endpoint=cfg.s3_endpoint, region=cfg.s3_region, bucket=cfg.s3_bucket,
                         access_key=cfg.s3_access_key, secret_key=cfg.s3_secret_key, public_url=cfg.s3_public_url)
    return LocalStorage(cfg.data_dir / "media")
