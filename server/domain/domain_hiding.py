"""A member hiding a whole domain: its posts and notifications disappear for them, and follows
between them and that domain end (as Mastodon's per-user domain blocks)."""

from __future__ import annotations

import asyncpg

from server.domain.moderation import normalise_domain
from server.store import domains as domains_store
from server.store import follows as follows_store
from server.store import hidden_domains, home_feed


async def hide(pool: asyncpg.Pool, account_id: int, domain: str, *, hidden: bool = True) -> None:
    domain = normalise_domain(domain)
    async with pool.acquire() as conn, conn.transaction():
        if not hidden:
            await hidden_domains.remove(conn, account_id, domain)
            return
        await hidden_domains.add(conn, account_id, domain)
        remote = await domains_store.remote_account_ids(conn, domain)
        await follows_store.delete_between(conn, account_id, remote)
        for author in remote:
            await home_feed.remove_author(conn, account_id, author)


async def hidden(pool: asyncpg.Pool, account_id: int) -> list[str]:
    return await hidden_domains.of(pool, account_id)
