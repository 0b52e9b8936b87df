"""A member hiding a whole domain: its posts and notifications disappear for them, and follows
between them and that domain end (as Mastodon's per-user domain blocks)."""

from __future__ import annotations

import asyncpg

from server.domain.moderation import normalise_domain
from server.store import domains as domains_store
from server.store import home_feed


async def hide(pool: asyncpg.Pool, account_id: int, domain: str, *, hidden: bool = True) -> None:
    domain = normalise_domain(domain)
    async with pool.acquire() as conn, conn.transaction():
        if not hidden:
            await conn.execute("DELETE FROM user_domain_blocks WHERE account_id = $1 AND domain = $2",
                               account_id, domain)
            return
        await conn.execute("INSERT INTO user_domain_blocks (account_id, domain) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                           account_id, domain)
        remote = await domains_store.remote_account_ids(conn, domain)
        await conn.execute(
            "DELETE FROM follows WHERE (account_id = $1 AND target_account_id = ANY($2::bigint[]))"
            " OR (target_account_id = $1 AND account_id = ANY($2::bigint[]))",
            account_id, remote,
        )
        for author in remote:
            await home_feed.remove_author(conn, account_id, author)


async def hidden(pool: asyncpg.Pool, account_id: int) -> list[str]:
    rows = await pool.fetch("SELECT domain FROM user_domain_blocks WHERE account_id = $1 ORDER BY domain", account_id)
    return [r["domain"] for r in rows]
