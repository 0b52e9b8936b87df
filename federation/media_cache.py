"""Other servers' pictures, served from our own origin: an avatar, header or attached image is
fetched through the egress gate the first time a page needs it, checked and re-encoded exactly as
an upload is (metadata stripped, a small rendition made), and kept in the media storage. A member's
browser never contacts another server, and the pages' Content-Security-Policy stays img-src 'self'."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
from datetime import UTC, datetime, timedelta

from federation.egress import EgressError, fetch
from federation.runtime import Federation
from server.errors import AppError
from server.media import uploads
from server.media.storage import MediaStorage
from server.store import media_cache
from server.store.media_cache import CachedPicture

RETRY_AFTER = timedelta(hours=1)  # a picture that could not be fetched is not asked for again before
log = logging.getLogger(__name__)


async def picture(fed: Federation, storage: MediaStorage, url: str) -> CachedPicture | None:
    """The cached copy of the image at `url`, fetched now if it is not cached; None when it cannot
    be had (refused by the gate, not an image, too large, or failed less than RETRY_AFTER ago)."""
    known = await media_cache.get(fed.pool, url)
    if known is not None and known.file_path is not None:
        return known
    if known is not None and known.failed_at and datetime.now(UTC) - known.failed_at < RETRY_AFTER:
        return None
    policy = dataclasses.replace(fed.policy, max_bytes=uploads.IMAGE_LIMIT)
    try:
        response = await fetch(fed.session, policy, "GET", url, headers={"Accept": "image/*"})
        if response.status != 200:
            raise AppError(502, f"HTTP {response.status}")
        prepared = await asyncio.to_thread(uploads.prepare, response.body, None)
        if prepared.kind != "image":
            raise AppError(422, f"not an image but {prepared.kind}")
    except (EgressError, AppError) as exc:
        reason = getattr(exc, "message", None) or str(exc)
        log.info("remote picture %s not cached: %s", url, reason)
        await media_cache.failed(fed.pool, url, reason)
        return None
    folder = hashlib.sha256(b"remote-picture " + url.encode()).hexdigest()[:32]  # a key like an upload's
    original = f"{folder}/original.{prepared.ext}"
    await storage.save(original, prepared.original, prepared.mime)
    small = None
    if prepared.small is not None:
        small = f"{folder}/small.{prepared.small.ext}"
        await storage.save(small, prepared.small.data, prepared.small.mime)
    await media_cache.stored(fed.pool, url, original, small, prepared.mime)
    return CachedPicture(original, small, prepared.mime, None)
