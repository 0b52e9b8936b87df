"""What admins may do about a peer that does not take our deliveries: try again now (its breaker
closed, its pending deliveries due at once), or give up on what is pending for it. Both are logged
in the moderation log like every staff action."""

from __future__ import annotations

import asyncpg

from federation import queue
from server.errors import NotFound
from server.store import deliveries as deliveries_store
from server.store import domains as domains_store
from server.store import hosts as hosts_store


async def retry_now(pool: asyncpg.Pool, staff_id: int, host: str) -> int:
    """How many deliveries are due again."""
    async with pool.acquire() as conn, conn.transaction():
        if not await hosts_store.exists(conn, host):
            raise NotFound("We have never delivered to that host.")
        due = await deliveries_store.retry_host_now(conn, host)
        await domains_store.log(conn, staff_id, "federation: retry now", host, f"{due} pending deliveries")
        await queue.notify(conn, "deliveries")
    return due


async def give_up(pool: asyncpg.Pool, staff_id: int, host: str) -> int:
    """How many pending deliveries were dropped."""
    async with pool.acquire() as conn, conn.transaction():
        if not await hosts_store.exists(conn, host):
            raise NotFound("We have never delivered to that host.")
        dropped = await deliveries_store.give_up_host(conn, host, "given up by an admin")
        await domains_store.log(conn, staff_id, "federation: give up", host, f"{dropped} pending deliveries")
    return dropped
