"""Announcements from the admins (Mastodon's): written, published, edited, taken back or deleted by
an admin, each step in the moderation log; members dismiss them and react with emoji. Every change
members can see is streamed, as Mastodon's `announcement`, `announcement.delete` and
`announcement.reaction` events."""

from __future__ import annotations

import unicodedata
from datetime import datetime

import asyncpg

from server.errors import Invalid, NotFound
from server.store import announcements as announcements_store
from server.store import domains as domains_store
from server.store import emojis as emojis_store
from server.text import plaintext
from server.urls import Urls

MAX_TEXT = 5000
MAX_REACTIONS = 40  # different emoji on one announcement (each member may use several)
# What a Unicode emoji is made of: pictographs, their modifiers, joiners and variation selectors.
_EMOJI_PARTS = {"So", "Sk", "Mn", "Me"}
_JOINERS = {"\u200d", "\ufe0e", "\ufe0f"}


def _check_time(value: datetime | None, what: str) -> None:
    if value is not None and value.tzinfo is None:
        raise Invalid(f"The {what} time needs a time zone.", field=what)
    if value is not None and not 1970 <= value.year <= 9000:  # year 1 would be stored as -infinity
        raise Invalid(f"The {what} time must be between 1970 and 9000.", field=what)


def _checked(urls: Urls, text: str, starts_at: datetime | None, ends_at: datetime | None) -> tuple[str, str]:
    text = text.strip()
    if not 1 <= len(text) <= MAX_TEXT:
        raise Invalid(f"Write the announcement (up to {MAX_TEXT} characters).", field="text")
    _check_time(starts_at, "start")
    _check_time(ends_at, "end")
    if starts_at and ends_at and ends_at < starts_at:
        raise Invalid("The end comes before the start.", field="ends_at")
    return text, plaintext.to_html(text, mention_url=lambda _: None, tag_url=urls.tag)


async def create(pool: asyncpg.Pool, urls: Urls, staff_id: int, text: str, *, starts_at: datetime | None = None,
                 ends_at: datetime | None = None, all_day: bool = False, publish: bool = True) -> int:
    text, content = _checked(urls, text, starts_at, ends_at)
    async with pool.acquire() as conn, conn.transaction():
        announcement_id = await announcements_store.insert(conn, text, content, starts_at, ends_at, all_day, publish)
        if publish:
            await announcements_store.announce(conn, "announcement", announcement_id)
        await domains_store.log(conn, staff_id, "announcement: " + ("published" if publish else "drafted"),
                                f"announcement {announcement_id}", text[:200])
    return announcement_id


async def change(pool: asyncpg.Pool, urls: Urls, staff_id: int, announcement_id: int, text: str, *,
                 starts_at: datetime | None = None, ends_at: datetime | None = None, all_day: bool = False) -> None:
    text, content = _checked(urls, text, starts_at, ends_at)
    async with pool.acquire() as conn, conn.transaction():
        if not await announcements_store.update(conn, announcement_id, text, content, starts_at, ends_at, all_day):
            raise NotFound("There is no such announcement.")
        await announcements_store.announce(conn, "announcement", announcement_id)  # sent only if it is shown
        await domains_store.log(conn, staff_id, "announcement: edited", f"announcement {announcement_id}", text[:200])


async def publish(pool: asyncpg.Pool, staff_id: int, announcement_id: int, published: bool) -> None:
    """Publish a draft, or take a published one back (members no longer see it; nothing is lost)."""
    async with pool.acquire() as conn, conn.transaction():
        if not await announcements_store.set_published(conn, announcement_id, published):
            raise NotFound("There is no such announcement.")
        await announcements_store.announce(conn, "announcement" if published else "announcement.delete",
                                           announcement_id)
        await domains_store.log(conn, staff_id, "announcement: " + ("published" if published else "unpublished"),
                                f"announcement {announcement_id}")


async def delete(pool: asyncpg.Pool, staff_id: int, announcement_id: int) -> None:
    async with pool.acquire() as conn, conn.transaction():
        if not await announcements_store.delete(conn, announcement_id):
            raise NotFound("There is no such announcement.")
        await announcements_store.announce(conn, "announcement.delete", announcement_id)
        await domains_store.log(conn, staff_id, "announcement: deleted", f"announcement {announcement_id}")


async def _shown(conn: asyncpg.Connection, announcement_id: int) -> None:
    if not await announcements_store.lock_shown(conn, announcement_id):
        raise NotFound("There is no such announcement.")


async def dismiss(pool: asyncpg.Pool, account_id: int, announcement_id: int) -> None:
    if not await announcements_store.dismiss(pool, announcement_id, account_id):
        raise NotFound("There is no such announcement.")


def is_unicode_emoji(name: str) -> bool:
    """One emoji as Unicode writes it: pictographs with their skin tones, joiners (👩‍🌾), variation
    selectors and keycaps (1️⃣), flags; no letters, digits alone or spaces."""
    if not 1 <= len(name) <= 16 or not any(unicodedata.category(c) == "So" for c in name):
        return name[:1] in "0123456789#*" and name.endswith("\u20e3") and len(name) <= 3
    return all(unicodedata.category(c) in _EMOJI_PARTS or c in _JOINERS for c in name)


async def react(pool: asyncpg.Pool, account_id: int, announcement_id: int, name: str) -> None:
    """React with a Unicode emoji or one of this server's custom emoji (by its shortcode)."""
    name = name.strip().strip(":")
    if not is_unicode_emoji(name):
        found = await emojis_store.by_shortcodes(pool, [name]) if len(name) <= 64 else []
        if not found:
            raise Invalid("React with an emoji, or the shortcode of one of this server's custom emoji.",
                          field="name")
        name = found[0].shortcode
    async with pool.acquire() as conn, conn.transaction():
        await _shown(conn, announcement_id)
        names = await announcements_store.reaction_names(conn, announcement_id)
        if name not in names and len(names) >= MAX_REACTIONS:
            raise Invalid(f"An announcement takes at most {MAX_REACTIONS} different reactions.", field="name")
        if await announcements_store.add_reaction(conn, announcement_id, account_id, name):
            await announcements_store.announce(conn, "announcement.reaction", announcement_id, name)


async def unreact(pool: asyncpg.Pool, account_id: int, announcement_id: int, name: str) -> None:
    name = name.strip().strip(":")
    async with pool.acquire() as conn, conn.transaction():
        await _shown(conn, announcement_id)
        if await announcements_store.remove_reaction(conn, announcement_id, account_id, name):
            await announcements_store.announce(conn, "announcement.reaction", announcement_id, name)
