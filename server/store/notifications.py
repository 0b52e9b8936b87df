"""Every query on notifications."""

from __future__ import annotations

from typing import Any

from server.store.accounts import Executor, account_columns, account_from_row


async def add(db: Executor, account_id: int, from_account_id: int, kind: str, status_id: int | None = None) -> None:
    """Notify a local account (once per sender, kind and status); never about oneself."""
    if account_id == from_account_id:
        return
    await db.execute(
        "INSERT INTO notifications (account_id, from_account_id, type, status_id)"
        " SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM accounts WHERE id = $1 AND domain IS NULL)"
        " AND NOT EXISTS (SELECT 1 FROM blocks WHERE account_id = $1 AND target_account_id = $2)"
        " ON CONFLICT DO NOTHING",
        account_id, from_account_id, kind, status_id,
    )


async def remove(db: Executor, account_id: int, from_account_id: int, kind: str) -> None:
    await db.execute(
        "DELETE FROM notifications WHERE account_id = $1 AND from_account_id = $2 AND type = $3",
        account_id, from_account_id, kind,
    )


async def page(db: Executor, account_id: int, *, max_id: int | None, limit: int) -> list[dict[str, Any]]:
    """Newest first: id, type, created_at, read, status_id and the sender as an Account."""
    rows = await db.fetch(
        f"SELECT n.id, n.type, n.created_at, n.read_at IS NOT NULL AS read, n.status_id, {account_columns('a', 'from_')}"
        " FROM notifications n JOIN accounts a ON a.id = n.from_account_id"
        " WHERE n.account_id = $1 AND ($2::bigint IS NULL OR n.id < $2) ORDER BY n.id DESC LIMIT $3",
        account_id, max_id, limit,
    )
    return [{"id": r["id"], "type": r["type"], "created_at": r["created_at"], "read": r["read"],
             "status_id": r["status_id"], "account": account_from_row(r, "from_")} for r in rows]


async def mark_all_read(db: Executor, account_id: int) -> None:
    await db.execute("UPDATE notifications SET read_at = now() WHERE account_id = $1 AND read_at IS NULL", account_id)


async def unread_count(db: Executor, account_id: int) -> int:
    return await db.fetchval(
        "SELECT count(*) FROM notifications WHERE account_id = $1 AND read_at IS NULL", account_id
    )
