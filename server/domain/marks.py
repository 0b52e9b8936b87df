"""Bookmarks, pins and muted threads: a member's marks on posts, with Mastodon's rules for pinning."""

from __future__ import annotations

import asyncpg

from server.errors import Invalid, NotFound
from server.models import Account, Status, Visibility
from server.store import marks, threads
from server.store import statuses as statuses_store

MAX_PINS = 5  # Mastodon's limit of pinned posts on a profile


async def _visible(db: asyncpg.Pool | asyncpg.Connection, status_id: int, account: Account) -> Status:
    status = await statuses_store.get_visible(db, status_id, account.id)
    if status is None:
        raise NotFound("That post does not exist or is not visible to you.")
    return status


async def bookmark(pool: asyncpg.Pool, account: Account, status_id: int, *, undo: bool = False) -> None:
    status = await _visible(pool, status_id, account)
    await marks.set_mark(pool, "bookmarks", account.id, status.id, not undo)


async def pin(pool: asyncpg.Pool, account: Account, status_id: int, *, undo: bool = False) -> None:
    """Pin one of your own public or unlisted posts to your profile (at most MAX_PINS), or unpin it."""
    async with pool.acquire() as conn, conn.transaction():
        status = await _visible(conn, status_id, account)
        if status.author.id != account.id or status.reblog_of_id is not None:
            raise Invalid("You can only pin your own posts.")
        if not undo and status.visibility not in (Visibility.PUBLIC, Visibility.UNLISTED):
            raise Invalid("Only public and unlisted posts can be pinned.")
        if not undo:
            await marks.lock_pins(conn, account.id)
            if not await marks.is_pinned(conn, account.id, status.id) \
                    and await marks.pin_count(conn, account.id) >= MAX_PINS:
                raise Invalid(f"You can pin at most {MAX_PINS} posts.")
        await marks.set_mark(conn, "pins", account.id, status.id, not undo)


async def mute_thread(pool: asyncpg.Pool, account: Account, status_id: int, *, undo: bool = False) -> None:
    """No more notifications about the thread the post is in (its first post is what is muted)."""
    status = await _visible(pool, status_id, account)
    root = await threads.thread_root(pool, status.id, 100)
    await threads.mute(pool, account.id, root, not undo)
