"""Turning an uploaded file into a stored media attachment, and removing one.

The type is decided by content, never by the file name or the Content-Type the client sent.
Everything is checked and processed in memory first; files are written only then, and removed
again if the row cannot be inserted, so a refused upload leaves nothing behind.
"""

from __future__ import annotations

import asyncio
import errno
import logging
from dataclasses import dataclass
from typing import Any

import asyncpg

from server.errors import AppError, Invalid
from server.media import av, images
from server.media.keys import new_folder
from server.media.storage import MediaStorage
from server.store import media as media_store

log = logging.getLogger(__name__)

MIB = 1024 * 1024
IMAGE_LIMIT = 16 * MIB
AV_LIMIT = 40 * MIB  # video and audio
MAX_DESCRIPTION = 1500  # Mastodon's limit for alt text
UNSUPPORTED = ("File type of uploaded media could not be verified: use a JPEG, PNG, GIF or WebP image,"
               " an MP4 or WebM video, or MP3, Ogg, WAV, FLAC or M4A audio.")


@dataclass(frozen=True)
class Prepared:
    kind: str
    original: bytes
    mime: str
    ext: str
    small: images.Rendition | None
    blurhash: str | None
    meta: dict[str, Any]


def too_large(limit: int, what: str) -> AppError:
    return AppError(413, f"The file is too large: {what} may be at most {limit // MIB} MiB.")


def _image(data: bytes) -> images.Processed:
    if len(data) > IMAGE_LIMIT:
        raise too_large(IMAGE_LIMIT, "images")
    try:
        return images.process(data)
    except images.NotAnImage:
        raise AppError(422, UNSUPPORTED) from None
    except images.BadImage as exc:
        raise AppError(422, str(exc)) from None


def prepare(data: bytes, thumbnail: bytes | None) -> Prepared:
    """Check and process an upload (and a video's or audio's custom thumbnail). Blocking."""
    found = av.sniff(data)
    if found is None:
        if thumbnail is not None:
            raise AppError(422, "Only video and audio can have a custom thumbnail.")
        image = _image(data)
        meta = {"original": image.original.meta(), "small": image.small.meta()}
        return Prepared("image", image.original.data, image.original.mime, image.original.ext, image.small,
                        image.blurhash, meta)
    if found.mime in ("video/mp4", "video/quicktime", "audio/mp4"):
        data = av.strip_mp4_metadata(data)
    if thumbnail is None:
        return Prepared(found.kind, data, found.mime, found.ext, None, None, {})
    try:
        small, blurhash = images.thumbnail(thumbnail)
    except images.NotAnImage:
        raise AppError(422, "The thumbnail must be a JPEG, PNG, GIF or WebP image.") from None
    except images.BadImage as exc:
        raise AppError(422, f"Thumbnail: {exc}") from None
    return Prepared(found.kind, data, found.mime, found.ext, small, blurhash, {"small": small.meta()})


async def create(pool: asyncpg.Pool, storage: MediaStorage, account_id: int, data: bytes,
                 thumbnail: bytes | None, description: str, focus: tuple[float, float]) -> dict[str, Any]:
    """Store a new unattached upload of `account_id`; its row, as `entities.media_to_api` reads it."""
    prepared = await asyncio.to_thread(prepare, data, thumbnail)
    folder = new_folder()
    files = {f"{folder}/original.{prepared.ext}": (prepared.original, prepared.mime)}
    thumb_key = None
    if prepared.small is not None:
        thumb_key = f"{folder}/small.{prepared.small.ext}"
        files[thumb_key] = (prepared.small.data, prepared.small.mime)
    try:
        for key, (content, content_type) in files.items():
            await storage.save(key, content, content_type)
        return await media_store.insert(
            pool, account_id=account_id, kind=prepared.kind, mime_type=prepared.mime,
            file_path=f"{folder}/original.{prepared.ext}", thumb_path=thumb_key, blurhash=prepared.blurhash,
            meta=prepared.meta, description=description, focus=focus,
        )
    except Exception as exc:
        for key in files:
            await storage.delete(key)
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            log.error("media storage is full: %s", exc)
            raise AppError(507, "The server has no room left to store this file, so nothing was kept."
                                " Please tell its admin.") from None
        raise


async def discard(pool: asyncpg.Pool, storage: MediaStorage, account_id: int, media_id: int) -> bool:
    """Delete an unattached upload of `account_id` and its files; False if there is none."""
    row = await media_store.delete_unattached(pool, media_id, account_id)
    if row is None:
        return False
    for key in (row["file_path"], row["thumb_path"]):
        if key:
            await storage.delete(key)
    return True


async def store_picture(pool: asyncpg.Pool, storage: MediaStorage, account_id: int, kind: str, data: bytes) -> str:
    """A new avatar or header, stored as an upload re-encoded like any other; its path. Anything but
    an image (a video, an SVG, a broken file) is refused and nothing stays stored."""
    try:
        row = await create(pool, storage, account_id, data, None, "", (0.0, 0.0))
    except AppError as exc:
        raise Invalid(f"The {kind}: {exc.message}", field=kind) from None
    if row["kind"] != "image":
        await discard(pool, storage, account_id, row["id"])
        raise Invalid(f"The {kind} must be an image (JPEG, PNG, GIF or WebP).", field=kind)
    return f"/media/{row['file_path']}"


def check_description(text: str) -> str:
    """Alt text within Mastodon's limit (the API and the web refuse the same)."""
    if len(text) > MAX_DESCRIPTION:
        raise Invalid(f"Alt text can have at most {MAX_DESCRIPTION} characters; this one has {len(text)}.",
                      field="media")
    return text
