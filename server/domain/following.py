"""Following and unfollowing accounts (local ones for now)."""

from __future__ import annotations

import asyncpg

from server.errors import Invalid
from server.models import Account
from server.store import follows as follows_store
from server.store import home_feed


async def follow(pool: asyncpg.Pool, follower: Account, target: Account) -> str:
    """Follow the target; returns the resulting state ('accepted' or 'pending' for locked accounts)."""
    if follower.id == target.id:
        raise Invalid("You cannot follow yourself.")
    state = "pending" if target.locked else "accepted"
    async with pool.acquire() as conn, conn.transaction():
        if await follows_store.insert(conn, follower.id, target.id, state=state) and state == "accepted":
            await home_feed.backfill(conn, follower.id, target.id)
        return await follows_store.state(conn, follower.id, target.id)


async def unfollow(pool: asyncpg.Pool, follower: Account, target: Account) -> None:
    async with pool.acquire() as conn, conn.transaction():
        if await follows_store.delete(conn, follower.id, target.id):
            await home_feed.remove_author(conn, follower.id, target.id)
