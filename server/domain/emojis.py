"""This instance's own custom emoji: admins upload them (PNG, GIF or WebP, up to 256 KB, checked and
re-encoded as uploads are); `:shortcode:` in members' posts, names, bios and fields then shows the
image, and federates as an Emoji tag."""

from __future__ import annotations

import asyncio
import re

import asyncpg

from server.errors import AppError, Invalid
from server.media import uploads
from server.media.keys import new_folder
from server.media.storage import MediaStorage
from server.store import domains as domains_store
from server.store import emojis as emojis_store

MAX_BYTES = 256 * 1024  # as Mastodon
TYPES = ("image/png", "image/gif", "image/webp")
SHORTCODE = re.compile(r"^[A-Za-z0-9_]{2,64}$")
USED = re.compile(r":([A-Za-z0-9_]{2,64}):")


async def add(pool: asyncpg.Pool, storage: MediaStorage, staff_id: int | None, shortcode: str, data: bytes,
              category: str = "") -> emojis_store.LocalEmoji:
    shortcode, category = shortcode.strip().strip(":"), category.strip()[:100]
    if not SHORTCODE.match(shortcode):
        raise Invalid("A shortcode is 2 to 64 letters, digits or underscores.", field="shortcode")
    if len(data) > MAX_BYTES:
        raise Invalid(f"An emoji can be at most {MAX_BYTES // 1024} KB.", field="file")
    try:
        prepared = await asyncio.to_thread(uploads.prepare, data, None)
    except AppError as exc:
        raise Invalid(f"That file is not a usable image: {exc.message}", field="file") from None
    if prepared.kind != "image" or prepared.mime not in TYPES:
        raise Invalid("An emoji is a PNG, GIF or WebP image.", field="file")
    key = f"{new_folder()}/original.{prepared.ext}"
    await storage.save(key, prepared.original, prepared.mime)
    async with pool.acquire() as conn, conn.transaction():
        made = await emojis_store.insert(conn, shortcode, key, prepared.mime, category)
        if made is None:
            raise Invalid(f"The shortcode :{shortcode}: is taken.", field="shortcode")
        await domains_store.log(conn, staff_id, "emoji: added", f":{shortcode}:")
    return made


async def remove(pool: asyncpg.Pool, storage: MediaStorage, staff_id: int, emoji_id: int) -> None:
    async with pool.acquire() as conn, conn.transaction():
        key = await emojis_store.delete(conn, emoji_id)
        if key is None:
            raise Invalid("There is no such emoji.")
        await domains_store.log(conn, staff_id, "emoji: removed", str(emoji_id))
    await storage.delete(key)


async def used_in(db: asyncpg.Pool | asyncpg.Connection, *texts: str) -> list[dict[str, str]]:
    """The instance's emoji the texts use, as a post's or an account's `emojis` keep them (the
    image's URL is our own /media/ path)."""
    codes = list(dict.fromkeys(m for text in texts for m in USED.findall(text or "")))
    if not codes:
        return []
    found = await emojis_store.by_shortcodes(db, codes)
    return [{"shortcode": e.shortcode, "url": f"/media/{e.file_path}"} for e in found]
