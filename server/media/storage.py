"""Where media files live: a small interface and its local-directory implementation.

Files are addressed by a key such as `3f2a…(32 hex)/original.jpg`. The random folder keeps one
upload's renditions together and makes file names unguessable. S3-compatible object storage is
meant to come later as a second class with the same methods (`save`, `path` becoming a redirect
URL, `delete`); nothing above this module should need to know which one is in use.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
from pathlib import Path
from typing import Protocol

from server.config import Config

KEY_RE = re.compile(r"^[0-9a-f]{32}/[a-z]+\.[a-z0-9]+$")


def new_folder() -> str:
    """A fresh random folder name for one upload's files."""
    return secrets.token_hex(16)


class MediaStorage(Protocol):
    async def save(self, key: str, data: bytes) -> None: ...

    def path(self, key: str) -> Path: ...

    async def delete(self, key: str) -> None: ...


class LocalStorage:
    """Files under one directory (normally `<data_dir>/media`), written atomically."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, key: str) -> Path:
        """The file for `key`; keys are checked so that none can point outside the root."""
        if not KEY_RE.match(key):
            raise ValueError(f"not a media key: {key!r}")
        return self.root / key

    async def save(self, key: str, data: bytes) -> None:
        await asyncio.to_thread(self._write, self.path(key), data)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._remove, self.path(key))

    @staticmethod
    def _write(target: Path, data: bytes) -> None:
        # A reader never sees half a file: write beside it, then rename into place.
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.{secrets.token_hex(4)}")
        partial.write_bytes(data)
        os.replace(partial, target)

    @staticmethod
    def _remove(target: Path) -> None:
        target.unlink(missing_ok=True)
        try:
            target.parent.rmdir()  # only succeeds once the upload's last file is gone
        except OSError:
            pass


def storage_for(cfg: Config) -> MediaStorage:
    """The storage the configuration asks for (local files only, for now)."""
    return LocalStorage(cfg.data_dir / "media")
