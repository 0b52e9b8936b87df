"""Every query on the notices members get about staff actions, and their appeals."""

from __future__ import annotations

from typing import Any

from server.store.accounts import Executor


async def of_account(db: Executor, account_id: int) -> list[dict[str, Any]]:
    rows = await db.fetch(
        "SELECT w.id, w.action, w.reason, w.created_at, w.appealed_at, w.appeal_state,"
        " ARRAY(SELECT r.text FROM server_rules r WHERE r.id = ANY(w.rule_ids) ORDER BY r.position) AS rules"
        " FROM account_warnings w WHERE w.account_id = $1 ORDER BY w.id DESC",
        account_id,
    )
    return [dict(r) for r in rows]


async def pending_appeals(db: Executor) -> list[dict[str, Any]]:
    rows = await db.fetch(
        "SELECT w.id, w.action, w.reason, w.appeal_text, w.appealed_at, a.username FROM account_warnings w"
        " JOIN accounts a ON a.id = w.account_id WHERE w.appealed_at IS NOT NULL AND w.decided_at IS NULL"
        " ORDER BY w.appealed_at",
    )
    return [dict(r) for r in rows]
