"""Every query on the domains members hide for themselves (Mastodon's per-user domain blocks)."""

from __future__ import annotations

from server.store.accounts import Executor


async def add(db: Executor, account_id: int, domain: str) -> None:
    await db.execute(
        "INSERT INTO user_domain_blocks (account_id, domain) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        account_id, domain,
    )


async def remove(db: Executor, account_id: int, domain: str) -> None:
    await db.execute("DELETE FROM user_domain_blocks WHERE account_id = $1 AND domain = $2", account_id, domain)


async def of(db: Executor, account_id: int) -> list[str]:
    rows = await db.fetch("SELECT domain FROM user_domain_blocks WHERE account_id = $1 ORDER BY domain", account_id)
    return [r["domain"] for r in rows]
