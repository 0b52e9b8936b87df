"""The cache of other servers' pictures: where each remote URL's re-encoded copy is stored."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, NamedTuple

from server.store.accounts import Executor
from server.store.domains import DOMAIN_MATCH


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



async def keys_of(db: Executor, urls: list[str]) -> list[str]:
    """The stored files of these URLs' cached copies."""
    rows = await db.fetch("SELECT file_path, thumb_path FROM remote_media_cache WHERE url = ANY($1::text[])", urls)
    return _keys(rows)


async def forget(db: Executor, urls: list[str]) -> list[str]:
    """Drop these URLs' cached copies; their files, for the caller to delete."""
    rows = await db.fetch("DELETE FROM remote_media_cache WHERE url = ANY($1::text[]) RETURNING file_path, thumb_path",
                          urls)
    return _keys(rows)


_SUSPENDED = (
    "a.domain IS NOT NULL AND (a.suspended_at < now() - $1::interval OR EXISTS (SELECT 1 FROM domain_policies dp"
    f" WHERE dp.severity = 'suspend' AND dp.created_at < now() - $1::interval AND {DOMAIN_MATCH}))"
)

# What the cleanup removes (server/media/cleanup.py): conditions on `remote_media_cache c`; $1 is how
# long a copy is kept.
SWEEPS = {
    "expired remote copies": "c.file_path IS NOT NULL AND c.fetched_at < now() - $1::interval",
    # The avatars, headers and attachments of remote accounts suspended (or of domains suspended) $1 ago.
    "suspended accounts": (
        f"c.file_path IS NOT NULL AND c.url IN (SELECT unnest(ARRAY[a.avatar_url, a.header_url]) FROM accounts a"
        f" WHERE {_SUSPENDED} UNION ALL SELECT m.remote_url FROM media_attachments m"
        " JOIN accounts a ON a.id = m.account_id"
        f" WHERE m.remote_url IS NOT NULL AND {_SUSPENDED})"
    ),
}


async def sweep_targets(db: Executor, sweep: str, older_than: timedelta) -> list[str]:
    """The files the sweep would remove, without removing them."""
    return _keys(await db.fetch(f"SELECT file_path, thumb_path FROM remote_media_cache c WHERE {SWEEPS[sweep]}",
                                older_than))


async def sweep(db: Executor, sweep: str, older_than: timedelta, limit: int) -> list[str]:
    """Drop up to `limit` copies the sweep names; their files, for the caller to delete."""
    rows = await db.fetch(
        f"DELETE FROM remote_media_cache WHERE url IN (SELECT c.url FROM remote_media_cache c WHERE {SWEEPS[sweep]}"
        " LIMIT $2) RETURNING file_path, thumb_path", older_than, limit)
    return _keys(rows)


def _keys(rows: list[Any]) -> list[str]:
    return [key for r in rows for key in (r["file_path"], r["thumb_path"]) if key]
