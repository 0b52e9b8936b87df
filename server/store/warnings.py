"""Every query on the notices members get about staff actions, and their appeals."""

from __future__ import annotations

from dataclasses import dataclass
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


async def open_appeals_count(db: Executor) -> int:
    return await db.fetchval(
        "SELECT count(*) FROM account_warnings WHERE appealed_at IS NOT NULL AND decided_at IS NULL")


async def insert(db: Executor, account_id: int, staff_id: int, action: str, rule_ids: list[int], reason: str) -> None:
    await db.execute(
        "INSERT INTO account_warnings (account_id, staff_id, action, rule_ids, reason) VALUES ($1, $2, $3, $4, $5)",
        account_id, staff_id, action, rule_ids, reason)


async def add_appeal(db: Executor, warning_id: int, account_id: int, text: str) -> bool:
    """The member's one appeal of an action (a plain warning cannot be appealed); False if not possible."""
    return bool(await db.fetchval(
        "UPDATE account_warnings SET appeal_text = $3, appealed_at = now() WHERE id = $1 AND account_id = $2"
        " AND appealed_at IS NULL AND action <> 'warn' RETURNING true",
        warning_id, account_id, text,
    ))


@dataclass(frozen=True)
class Decided:
    account_id: int
    action: str


async def decide_appeal(db: Executor, warning_id: int, staff_id: int, approve: bool) -> Decided | None:
    """Record the staff's answer to a waiting appeal; None when there is no such appeal waiting."""
    row = await db.fetchrow(
        "UPDATE account_warnings SET appeal_state = $2, decided_at = now(), decided_by = $3 WHERE id = $1"
        " AND appealed_at IS NOT NULL AND decided_at IS NULL RETURNING account_id, action",
        warning_id, "approved" if approve else "rejected", staff_id,
    )
    return Decided(row["account_id"], row["action"]) if row else None
