"""Every query on notifications."""

from __future__ import annotations

from typing import Any

from server.store.accounts import Executor, account_columns, account_from_row
from server.store.domains import DOMAIN_MATCH
from server.store.paging import Page


async def add(db: Executor, account_id: int, from_account_id: int, kind: str, status_id: int | None = None) -> None:
    """Notify a local account (once per sender, kind and status); never about oneself, except that
    a poll's author hears when it ends (as on Mastodon).

    A new notification is announced to the streaming API in every process (delivered at commit).
    """
    if account_id == from_account_id and kind != "poll":
        return
    await db.execute(
        f"WITH made AS (INSERT INTO notifications (account_id, from_account_id, type, status_id)"
        " SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM accounts WHERE id = $1 AND domain IS NULL)"
        " AND NOT EXISTS (SELECT 1 FROM blocks WHERE account_id = $1 AND target_account_id = $2)"
        " AND NOT EXISTS (SELECT 1 FROM mutes WHERE account_id = $1 AND target_account_id = $2"
        "  AND hide_notifications AND (expires_at IS NULL OR expires_at > now()))"
        " AND NOT EXISTS (SELECT 1 FROM accounts a JOIN user_domain_blocks dp ON dp.account_id = $1"
        f"  WHERE a.id = $2 AND a.domain IS NOT NULL AND {DOMAIN_MATCH})"
        " ON CONFLICT DO NOTHING RETURNING id)"
        " SELECT pg_notify('kith_stream', json_build_object('event', 'notification', 'notification_id', id,"
        " 'account_id', $1::bigint)::text) FROM made",
        account_id, from_account_id, kind, status_id,
    )


async def remove(db: Executor, account_id: int, from_account_id: int, kind: str) -> None:
    await db.execute(
        "DELETE FROM notifications WHERE account_id = $1 AND from_account_id = $2 AND type = $3",
        account_id, from_account_id, kind,
    )


async def remove_all_from(db: Executor, account_id: int, from_account_id: int) -> None:
    await db.execute(
        "DELETE FROM notifications WHERE account_id = $1 AND from_account_id = $2", account_id, from_account_id
    )


async def page(db: Executor, account_id: int, *, max_id: int | None, limit: int) -> list[dict[str, Any]]:
    """Newest first: id, type, created_at, read, status_id and the sender as an Account."""
    rows = await db.fetch(
        "SELECT n.id, n.type, n.created_at, n.read_at IS NOT NULL AS read, n.status_id,"
        f" {account_columns('a', 'from_')}"
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


_API_TYPES = {"reblog": "reblog", "favourite": "favourite", "follow": "follow", "follow_request": "follow_request",
              "mention": "mention", "update": "update", "poll": "poll", "move": "move"}


async def api_page(db: Executor, account_id: int, page: Page, types: list[str] | None, excluded: list[str],
                   from_account: str | None) -> list[dict[str, Any]]:
    """A page of notifications for the API; our 'reply' is Mastodon's 'mention'."""
    def ours(names: list[str]) -> list[str]:
        expanded = [n for n in names if n in _API_TYPES] + (["reply"] if "mention" in names else [])
        return expanded

    rows = await db.fetch(
        f"SELECT n.id, CASE n.type WHEN 'reply' THEN 'mention' ELSE n.type END AS type, n.created_at,"
        f" n.read_at IS NOT NULL AS read, n.status_id, {account_columns('a', 'from_')}"
        " FROM notifications n JOIN accounts a ON a.id = n.from_account_id"
        f" WHERE n.account_id = $1 AND {page.where('n.id', 2)}"
        " AND ($6::text[] IS NULL OR n.type = ANY($6)) AND NOT (n.type = ANY($7::text[]))"
        " AND ($8::bigint IS NULL OR n.from_account_id = $8) AND n.type <> 'move'"
        f" ORDER BY {page.order('n.id')} LIMIT $5",
        account_id, *page.args, page.limit, ours(types) if types is not None else None, ours(excluded),
        int(from_account) if from_account and from_account.isdigit() else None,
    )
    return page.newest_first([{"id": r["id"], "type": r["type"], "created_at": r["created_at"], "read": r["read"],
                               "status_id": r["status_id"], "account": account_from_row(r, "from_")} for r in rows])


async def get(db: Executor, account_id: int, notification_id: int) -> dict[str, Any] | None:
    rows = await db.fetch(
        f"SELECT n.id, CASE n.type WHEN 'reply' THEN 'mention' ELSE n.type END AS type, n.created_at,"
        f" n.status_id, {account_columns('a', 'from_')} FROM notifications n"
        " JOIN accounts a ON a.id = n.from_account_id WHERE n.account_id = $1 AND n.id = $2",
        account_id, notification_id,
    )
    return ({"id": rows[0]["id"], "type": rows[0]["type"], "created_at": rows[0]["created_at"],
             "status_id": rows[0]["status_id"], "account": account_from_row(rows[0], "from_")} if rows else None)


async def dismiss(db: Executor, account_id: int, notification_id: int) -> bool:
    """Dismiss one of the member's notifications; False when they have none with that id."""
    return await db.fetchval(
        "DELETE FROM notifications WHERE account_id = $1 AND id = $2 RETURNING true", account_id, notification_id,
    ) is not None


async def clear(db: Executor, account_id: int) -> None:
    await db.execute("DELETE FROM notifications WHERE account_id = $1", account_id)
