"""Media lifecycle: what nobody needs any more leaves the disk, by the workers every hour or by
`kith media cleanup`.

- uploads no post, avatar, header or scheduled post uses, a day after they were made or let go;
- the attachments of posts deleted a day ago (by staff or their remote author), and our cached
  copies of their files;
- cached copies of suspended remote accounts' avatars, headers and attachments, a day after;
- cached copies of other servers' pictures older than `remote_media_days`; a page that needs one
  again fetches it again.

Rows go first, then files: a crash between the two leaves a stray file, never a row naming a missing
one. A file already missing is logged and skipped; the rest carries on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import asyncpg

from server.media.storage import MediaStorage
from server.store import media as media_store
from server.store import media_cache as cache_store

log = logging.getLogger(__name__)
GRACE = timedelta(hours=24)
BATCH = 200


@dataclass
class Summary:
    files: dict[str, int] = field(default_factory=dict)  # per sweep
    bytes: int = 0

    @property
    def total_files(self) -> int:
        return sum(self.files.values())


def _ages(remote_media_days: int) -> dict[str, timedelta]:
    return {**{name: GRACE for name in (*media_store.SWEEPS, *cache_store.SWEEPS)},
            "expired remote copies": timedelta(days=remote_media_days)}


async def survey(pool: asyncpg.Pool, storage: MediaStorage, remote_media_days: int) -> Summary:
    """What a cleanup would remove now, and its size, removing nothing (`--dry-run`)."""
    ages, summary = _ages(remote_media_days), Summary()
    for name in media_store.SWEEPS:
        found = await media_store.sweep_targets(pool, name, ages[name])
        keys = found.keys + await cache_store.keys_of(pool, found.remote_urls)
        summary.files[name] = len(keys)
        summary.bytes += sum([await storage.size(key) for key in keys])
    for name in cache_store.SWEEPS:
        keys = await cache_store.sweep_targets(pool, name, ages[name])
        summary.files[name] = len(keys)
        summary.bytes += sum([await storage.size(key) for key in keys])
    return summary


async def clean(pool: asyncpg.Pool, storage: MediaStorage, remote_media_days: int,
                progress: Callable[[int], None] | None = None) -> Summary:
    """Remove it all, a batch at a time; `progress` hears how many files each batch removed."""
    ages, summary = _ages(remote_media_days), Summary()

    async def remove(name: str, keys: list[str]) -> None:
        for key in keys:
            try:
                size = await storage.size(key)
                if not size:
                    log.warning("media file %s was already missing", key)
                summary.bytes += size
                await storage.delete(key)
            except OSError as exc:
                log.warning("media file %s not removed: %s", key, exc)
        summary.files[name] = summary.files.get(name, 0) + len(keys)
        if progress is not None:
            progress(len(keys))

    for name in media_store.SWEEPS:
        while (found := await media_store.sweep(pool, name, ages[name], BATCH)).rows:
            await remove(name, found.keys + await cache_store.forget(pool, found.remote_urls))
    for name in cache_store.SWEEPS:
        while keys := await cache_store.sweep(pool, name, ages[name], BATCH):
            await remove(name, keys)
    if summary.total_files:
        log.info("media cleanup: %d files, %d bytes removed", summary.total_files, summary.bytes)
    return summary
