"""Queries for the smaller client-API features: markers, tags search, block/mute lists, push."""

from __future__ import annotations

from typing import Any

from server.models import Account
from server.store.accounts import ACCOUNT_COLUMNS, Executor, account_from_row
from server.store.paging import Page


async def markers(db: Executor, account_id: int) -> dict[str, dict[str, Any]]:
    rows = await db.fetch("SELECT timeline, last_read_id, version, updated_at FROM markers WHERE account_id = $1",
                          account_id)
    return {r["timeline"]: dict(r) for r in rows}


async def set_marker(db: Executor, account_id: int, timeline: str, last_read_id: int) -> dict[str, Any]:
    row = await db.fetchrow(
        "INSERT INTO markers (account_id, timeline, last_read_id) VALUES ($1, $2, $3)"
        " ON CONFLICT (account_id, timeline) DO UPDATE SET last_read_id = EXCLUDED.last_read_id,"
        " version = markers.version + 1, updated_at = now() RETURNING last_read_id, version, updated_at",
        account_id, timeline, last_read_id,
    )
    return dict(row)


async def search_tags(db: Executor, prefix: str, limit: int) -> list[str]:
    rows = await db.fetch(
        "SELECT name FROM tags WHERE lower(name) LIKE lower($1) || '%' ORDER BY length(name), name LIMIT $2",
        prefix.replace("%", "").replace("_", r"\_"), limit,
    )
    return [r["name"] for r in rows]


async def blocked_or_muted(db: Executor, table: str, account_id: int, page: Page) -> list[tuple[int, Account]]:
    if table not in ("blocks", "mutes"):
        raise ValueError(table)
    rows = await db.fetch(
        f"SELECT r.id AS rel_id, {ACCOUNT_COLUMNS} FROM {table} r JOIN accounts a ON a.id = r.target_account_id"
        f" WHERE r.account_id = $1 AND {page.where('r.id', 2)} ORDER BY {page.order('r.id')} LIMIT $5",
        account_id, *page.args, page.limit,
    )
    return page.newest_first([(r["rel_id"], account_from_row(r)) for r in rows])


async def save_push(db: Executor, token_id: int, endpoint: str, p256dh: str, auth: str, alerts: dict[str, bool],
                    policy: str) -> dict[str, Any]:
    row = await db.fetchrow(
        "INSERT INTO push_subscriptions (token_id, endpoint, p256dh, auth, alerts, policy)"
        " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (token_id) DO UPDATE SET endpoint = EXCLUDED.endpoint,"
        " p256dh = EXCLUDED.p256dh, auth = EXCLUDED.auth, alerts = EXCLUDED.alerts, policy = EXCLUDED.policy"
        " RETURNING token_id, endpoint, alerts, policy",
        token_id, endpoint, p256dh, auth, alerts, policy,
    )
    return dict(row)


async def get_push(db: Executor, token_id: int) -> dict[str, Any] | None:
    row = await db.fetchrow("SELECT token_id, endpoint, alerts, policy FROM push_subscriptions WHERE token_id = $1",
                            token_id)
    return dict(row) if row else None


async def delete_push(db: Executor, token_id: int) -> None:
    await db.execute("DELETE FROM push_subscriptions WHERE token_id = $1", token_id)
