"""The cache of other servers' pictures: where each remote URL's re-encoded copy is stored."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from server.store.accounts import Executor


class CachedPicture(NamedTuple):
    file_path: str | None  # None while the URL could not be fetched
    thumb_path: str | None
    mime_type: str | None
    failed_at: datetime | None


async def get(db: Executor, url: str) -> CachedPicture | None:
    row = await db.fetchrow(
        "SELECT file_path, thumb_path, mime_type, failed_at FROM remote_media_cache WHERE url = $1", url)
    return CachedPicture(*row) if row else None


async def stored(db: Executor, url: str, file_path: str, thumb_path: str | None, mime_type: str) -> None:
    await db.execute(
        "INSERT INTO remote_media_cache (url, file_path, thumb_path, mime_type) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (url) DO UPDATE SET file_path = EXCLUDED.file_path, thumb_path = EXCLUDED.thumb_path,"
        " mime_type = EXCLUDED.mime_type, fetched_at = now(), failed_at = NULL, error = NULL",
        url, file_path, thumb_path, mime_type,
    )


async def failed(db: Executor, url: str, error: str) -> None:
    await db.execute(
        "INSERT INTO remote_media_cache (url, failed_at, error) VALUES ($1, now(), $2)"
        " ON CONFLICT (url) DO UPDATE SET failed_at = now(), error = EXCLUDED.error",
        url, error[:500],
    )
