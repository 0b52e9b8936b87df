"""Members blocking accounts: follows end both ways, posts disappear both ways, the block is federated."""

from __future__ import annotations

import asyncpg

from federation import outbound
from server.domain import following
from server.errors import Invalid
from server.models import Account
from server.store import home_feed, interactions
from server.store import notifications as notifications_store
from server.urls import Urls


async def block(pool: asyncpg.Pool, urls: Urls, account: Account, target: Account, *, undo: bool = False) -> None:
    if account.id == target.id:
        raise Invalid("You cannot block yourself.")
    async with pool.acquire() as conn, conn.transaction():
        if undo:
            changed = await interactions.remove_block(conn, account.id, target.id)
        else:
            changed = await interactions.add_block(conn, account.id, target.id)
            await end_follows_between(conn, account.id, target.id)
            await home_feed.remove_author(conn, account.id, target.id)  # boosts of theirs too
            await notifications_store.remove_all_from(conn, account.id, target.id)
        if changed and not target.is_local:
            await outbound.block_sent(conn, urls, account, target, undo=undo)


async def end_follows_between(conn: asyncpg.Connection, blocker_id: int, target_id: int) -> None:
    """A block ends the follows both ways, and with them each from the other's lists (as Mastodon)."""
    await following.end_follow(conn, blocker_id, target_id)
    await following.end_follow(conn, target_id, blocker_id)


async def is_blocking(pool: asyncpg.Pool, account_id: int, target_id: int) -> bool:
    return await interactions.is_blocking(pool, account_id, target_id)
