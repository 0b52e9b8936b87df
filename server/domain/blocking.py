"""Members blocking accounts: follows end both ways, posts disappear both ways, the block is federated."""

from __future__ import annotations

import asyncpg

from federation import outbound
from server.errors import Invalid
from server.models import Account
from server.store import follows as follows_store
from server.store import home_feed, interactions
from server.store import lists as lists_store
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
            for a, b in ((account.id, target.id), (target.id, account.id)):
                if await follows_store.delete(conn, a, b):
                    await home_feed.remove_author(conn, a, b)
                    await lists_store.remove_from_owner_lists(conn, a, b)
            await home_feed.remove_author(conn, account.id, target.id)
            await notifications_store.remove_all_from(conn, account.id, target.id)
        if changed and not target.is_local:
            await outbound.block_sent(conn, urls, account, target, undo=undo)


async def is_blocking(pool: asyncpg.Pool, account_id: int, target_id: int) -> bool:
    return await interactions.is_blocking(pool, account_id, target_id)
