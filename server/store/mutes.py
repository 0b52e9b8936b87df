"""Mutes: a member hides an account's posts (and, if they choose, its notifications), for a while or for good."""

from __future__ import annotations

from server.store.accounts import Executor


async def mute(db: Executor, account_id: int, target_id: int, notifications: bool, seconds: int | None) -> None:
    await db.execute(
        "INSERT INTO mutes (account_id, target_account_id, hide_notifications, expires_at)"
        " VALUES ($1, $2, $3, CASE WHEN $4::int IS NULL THEN NULL ELSE now() + make_interval(secs => $4) END)"
        " ON CONFLICT (account_id, target_account_id) DO UPDATE SET hide_notifications = EXCLUDED.hide_notifications,"
        " expires_at = EXCLUDED.expires_at",
        account_id, target_id, notifications, seconds,
    )


async def unmute(db: Executor, account_id: int, target_id: int) -> None:
    await db.execute("DELETE FROM mutes WHERE account_id = $1 AND target_account_id = $2", account_id, target_id)


async def muting(db: Executor, account_ids: set[int], target_ids: set[int]) -> set[int]:
    """Those of `account_ids` who mute any of `target_ids` (expired mutes do not count)."""
    if not account_ids or not target_ids:
        return set()
    rows = await db.fetch(
        "SELECT DISTINCT account_id FROM mutes WHERE account_id = ANY($1::bigint[])"
        " AND target_account_id = ANY($2::bigint[]) AND (expires_at IS NULL OR expires_at > now())",
        list(account_ids), list(target_ids),
    )
    return {r["account_id"] for r in rows}


async def is_muting(db: Executor, account_id: int, target_id: int) -> bool:
    return await db.fetchval(
        "SELECT EXISTS (SELECT 1 FROM mutes WHERE account_id = $1 AND target_account_id = $2"
        " AND (expires_at IS NULL OR expires_at > now()))", account_id, target_id)


async def export_rows(db: Executor, account_id: int) -> list[tuple[str, str | None, bool]]:
    """Whom the member mutes (for now): username, domain, whether notifications are hidden too."""
    rows = await db.fetch(
        "SELECT a.username, a.domain, m.hide_notifications FROM mutes m JOIN accounts a ON a.id = m.target_account_id"
        " WHERE m.account_id = $1 AND (m.expires_at IS NULL OR m.expires_at > now()) ORDER BY m.id", account_id)
    return [(r["username"], r["domain"], r["hide_notifications"]) for r in rows]
