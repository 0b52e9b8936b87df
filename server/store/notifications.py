"""Every query on notifications."""

from __future__ import annotations

from typing import Any

import asyncpg

from server.store.accounts import Executor, account_columns, account_from_row
from server.store.domains import DOMAIN_MATCH
from server.store.paging import Page

# The status $4 is in a thread the member $1 muted (its post or one of its ancestors is the muted root).
IN_MUTED_THREAD = (
    "WITH RECURSIVE up(id, parent, depth) AS (SELECT id, in_reply_to_id, 0 FROM statuses WHERE id = $4"
    " UNION ALL SELECT p.id, p.in_reply_to_id, up.depth + 1 FROM up JOIN statuses p ON p.id = up.parent"
    " WHERE up.depth < 100) SELECT 1 FROM up JOIN status_mutes sm ON sm.root_id = up.id AND sm.account_id = $1"
)

# After a CTE `made (id, account_id, type, from_account_id)` of new notifications: queue a Web Push
# for each app of the member subscribed to that kind (our 'reply' is Mastodon's 'mention') whose
# policy lets the sender through, then announce each to the streaming API and wake the workers.
_ANNOUNCE = (
    ", pushed AS (INSERT INTO push_deliveries (notification_id, token_id)"
    " SELECT m.id, ps.token_id FROM made m"
    " JOIN oauth_tokens t ON t.account_id = m.account_id AND t.revoked_at IS NULL"
    " JOIN push_subscriptions ps ON ps.token_id = t.id"
    " WHERE NOT m.filtered"
    " AND coalesce((ps.alerts ->> CASE m.type WHEN 'reply' THEN 'mention' ELSE m.type END)::boolean, false)"
    " AND (ps.policy = 'all'"
    "  OR (ps.policy = 'followed' AND EXISTS (SELECT 1 FROM follows f WHERE f.account_id = m.account_id"
    "   AND f.target_account_id = m.from_account_id AND f.state = 'accepted'))"
    "  OR (ps.policy = 'follower' AND EXISTS (SELECT 1 FROM follows f WHERE f.account_id = m.from_account_id"
    "   AND f.target_account_id = m.account_id AND f.state = 'accepted'))) RETURNING id)"
    " SELECT pg_notify('kith_stream', json_build_object('event', 'notification', 'notification_id', m.id,"
    " 'account_id', m.account_id)::text), pg_notify('kith_queue', 'push_deliveries') FROM made m WHERE NOT m.filtered"
)

# How strictly the member $1's notification policy treats a notification of kind $3 from $2 about
# status $4: 0 accept, 1 filter (a request), 2 drop. A sender the member accepted passes.
_RANK = "CASE {} WHEN 'drop' THEN 2 WHEN 'filter' THEN 1 ELSE 0 END"
VERDICT = (
    "SELECT CASE WHEN EXISTS (SELECT 1 FROM notification_permissions WHERE account_id = $1 AND from_account_id = $2)"
    " THEN 0 ELSE greatest("
    f"  CASE WHEN NOT following THEN {_RANK.format('p.for_not_following')} ELSE 0 END,"
    f"  CASE WHEN NOT follower THEN {_RANK.format('p.for_not_followers')} ELSE 0 END,"
    f"  CASE WHEN sender.created_at > now() - interval '30 days' THEN {_RANK.format('p.for_new_accounts')} ELSE 0 END,"
    f"  CASE WHEN NOT following AND $3 IN ('mention', 'reply') AND EXISTS (SELECT 1 FROM statuses ps"
    f"   WHERE ps.id = $4 AND ps.visibility = 'direct') THEN {_RANK.format('p.for_private_mentions')} ELSE 0 END,"
    f"  CASE WHEN sender.limited_at IS NOT NULL THEN {_RANK.format('p.for_limited_accounts')} ELSE 0 END) END"
    " FROM notification_policies p, accounts sender,"
    " LATERAL (SELECT EXISTS (SELECT 1 FROM follows WHERE account_id = $1 AND target_account_id = $2"
    "  AND state = 'accepted') AS following, EXISTS (SELECT 1 FROM follows WHERE account_id = $2"
    "  AND target_account_id = $1 AND state = 'accepted') AS follower) AS rel"
    " WHERE p.account_id = $1 AND sender.id = $2"
)


async def add(db: Executor, account_id: int, from_account_id: int, kind: str, status_id: int | None = None) -> None:
    """Notify a local account (once per sender, kind and status); never about oneself, except that
    a poll's author hears when it ends (as on Mastodon).

    A new notification is announced to the streaming API in every process (delivered at commit).
    """
    if account_id == from_account_id and kind != "poll":
        return
    await db.execute(
        f"WITH verdict AS (SELECT coalesce(({VERDICT}), 0) AS rank),"
        " made AS (INSERT INTO notifications (account_id, from_account_id, type, status_id, filtered)"
        " SELECT $1, $2, $3, $4, (SELECT rank FROM verdict) = 1"
        " WHERE EXISTS (SELECT 1 FROM accounts WHERE id = $1 AND domain IS NULL) AND (SELECT rank FROM verdict) < 2"
        " AND NOT EXISTS (SELECT 1 FROM blocks WHERE account_id = $1 AND target_account_id = $2)"
        " AND NOT EXISTS (SELECT 1 FROM mutes WHERE account_id = $1 AND target_account_id = $2"
        "  AND hide_notifications AND (expires_at IS NULL OR expires_at > now()))"
        " AND NOT EXISTS (SELECT 1 FROM accounts a JOIN user_domain_blocks dp ON dp.account_id = $1"
        f"  WHERE a.id = $2 AND a.domain IS NOT NULL AND {DOMAIN_MATCH})"
        f" AND ($4::bigint IS NULL OR NOT EXISTS ({IN_MUTED_THREAD}))"
        f" ON CONFLICT DO NOTHING RETURNING id, account_id, type, from_account_id, filtered){_ANNOUNCE}",
        account_id, from_account_id, kind, status_id,
    )


async def tell_staff(db: Executor, kind: str, from_account_id: int, *, report_id: int | None = None,
                     warning_id: int | None = None) -> None:
    """Notify every admin and moderator who can still sign in (not the sender) of what needs them."""
    await db.execute(
        "WITH made AS (INSERT INTO notifications (account_id, from_account_id, type, report_id, warning_id)"
        " SELECT u.account_id, $1, $2, $3, $4 FROM users u JOIN accounts a ON a.id = u.account_id"
        " WHERE u.role IN ('admin', 'moderator') AND a.suspended_at IS NULL AND u.account_id <> $1"
        f" ON CONFLICT DO NOTHING RETURNING id, account_id, type, from_account_id, filtered){_ANNOUNCE}",
        from_account_id, kind, report_id, warning_id,
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


def _item(row: asyncpg.Record) -> dict[str, Any]:
    return {"id": row["id"], "type": row["type"], "created_at": row["created_at"], "read": row["read"],
            "status_id": row["status_id"], "report_id": row["report_id"], "account": account_from_row(row, "from_")}


async def page(db: Executor, account_id: int, page: Page, kinds: list[str] | None) -> list[dict[str, Any]]:
    """Newest first, of the given kinds (all when None): id, type, created_at, read, status_id,
    report_id and the sender as an Account."""
    rows = await db.fetch(
        "SELECT n.id, n.type, n.created_at, n.read_at IS NOT NULL AS read, n.status_id, n.report_id,"
        f" {account_columns('a', 'from_')}"
        " FROM notifications n JOIN accounts a ON a.id = n.from_account_id"
        f" WHERE n.account_id = $1 AND NOT n.filtered AND {page.where('n.id', 2)}"
        " AND ($6::text[] IS NULL OR n.type = ANY($6))"
        f" ORDER BY {page.order('n.id')} LIMIT $5",
        account_id, *page.args, page.limit, kinds,
    )
    return page.newest_first([_item(r) for r in rows])


async def mark_all_read(db: Executor, account_id: int, kinds: list[str] | None = None) -> None:
    """Mark the member's notifications read: all, or those of the given kinds."""
    await db.execute(
        "UPDATE notifications SET read_at = now() WHERE account_id = $1 AND read_at IS NULL"
        " AND ($2::text[] IS NULL OR type = ANY($2))", account_id, kinds,
    )


async def unread_count(db: Executor, account_id: int) -> int:
    return await db.fetchval(
        "SELECT count(*) FROM notifications WHERE account_id = $1 AND read_at IS NULL AND NOT filtered", account_id
    )


_API_TYPES = frozenset({"reblog", "favourite", "follow", "follow_request", "mention", "update", "poll", "move",
                        "status", "admin.sign_up", "admin.report"})
_NOT_IN_API = ["move", "admin.appeal"]  # kinds only Kith's own pages show (Mastodon has no appeal kind)


async def api_page(db: Executor, account_id: int, page: Page, types: list[str] | None, excluded: list[str],
                   from_account: str | None) -> list[dict[str, Any]]:
    """A page of notifications for the API; our 'reply' is Mastodon's 'mention'."""
    def ours(names: list[str]) -> list[str]:
        return [n for n in names if n in _API_TYPES] + (["reply"] if "mention" in names else [])

    rows = await db.fetch(
        f"SELECT n.id, CASE n.type WHEN 'reply' THEN 'mention' ELSE n.type END AS type, n.created_at,"
        f" n.read_at IS NOT NULL AS read, n.status_id, n.report_id, {account_columns('a', 'from_')}"
        " FROM notifications n JOIN accounts a ON a.id = n.from_account_id"
        f" WHERE n.account_id = $1 AND NOT n.filtered AND {page.where('n.id', 2)}"
        " AND ($6::text[] IS NULL OR n.type = ANY($6)) AND NOT (n.type = ANY($7::text[]))"
        " AND ($8::bigint IS NULL OR n.from_account_id = $8) AND NOT (n.type = ANY($9::text[]))"
        f" ORDER BY {page.order('n.id')} LIMIT $5",
        account_id, *page.args, page.limit, ours(types) if types is not None else None, ours(excluded),
        int(from_account) if from_account and from_account.isdigit() else None, _NOT_IN_API,
    )
    return page.newest_first([_item(r) for r in rows])


async def get(db: Executor, account_id: int, notification_id: int) -> dict[str, Any] | None:
    rows = await db.fetch(
        f"SELECT n.id, CASE n.type WHEN 'reply' THEN 'mention' ELSE n.type END AS type, n.created_at,"
        f" n.read_at IS NOT NULL AS read, n.status_id, n.report_id, {account_columns('a', 'from_')}"
        " FROM notifications n JOIN accounts a ON a.id = n.from_account_id WHERE n.account_id = $1 AND n.id = $2"
        " AND NOT (n.type = ANY($3::text[]))",
        account_id, notification_id, _NOT_IN_API,
    )
    return _item(rows[0]) if rows else None


async def of_group(db: Executor, account_id: int, kind: str, status_id: int, limit: int
                   ) -> tuple[int, list[dict[str, Any]]]:
    """All notifications of one kind about one post (a v2 group): how many, and the newest `limit`."""
    rows = await db.fetch(
        f"SELECT n.id, n.type, n.created_at, n.read_at IS NOT NULL AS read, n.status_id, n.report_id,"
        f" {account_columns('a', 'from_')}, count(*) OVER () AS total FROM notifications n"
        " JOIN accounts a ON a.id = n.from_account_id WHERE n.account_id = $1 AND n.type = $2 AND n.status_id = $3"
        " ORDER BY n.id DESC LIMIT $4", account_id, kind, status_id, limit)
    return (rows[0]["total"] if rows else 0), [_item(r) for r in rows]


async def dismiss(db: Executor, account_id: int, notification_id: int) -> bool:
    """Dismiss one of the member's notifications; False when they have none with that id."""
    return await db.fetchval(
        "DELETE FROM notifications WHERE account_id = $1 AND id = $2 RETURNING true", account_id, notification_id,
    ) is not None


async def clear(db: Executor, account_id: int) -> None:
    await db.execute("DELETE FROM notifications WHERE account_id = $1", account_id)


POLICY_KEYS = ("for_not_following", "for_not_followers", "for_new_accounts", "for_private_mentions",
               "for_limited_accounts")


async def policy(db: Executor, account_id: int) -> dict[str, str]:
    row = await db.fetchrow(f"SELECT {', '.join(POLICY_KEYS)} FROM notification_policies WHERE account_id = $1",
                            account_id)
    defaults = {k: "accept" for k in POLICY_KEYS} | {"for_limited_accounts": "filter"}
    return dict(row) if row else defaults


async def set_policy(db: Executor, account_id: int, values: dict[str, str]) -> None:
    columns = ", ".join(values)
    updates = ", ".join(f"{k} = EXCLUDED.{k}" for k in values)
    placeholders = ", ".join(f"${i + 2}" for i in range(len(values)))
    await db.execute(f"INSERT INTO notification_policies (account_id, {columns}) VALUES ($1, {placeholders})"
                     f" ON CONFLICT (account_id) DO UPDATE SET {updates}", account_id, *values.values())


async def requests(db: Executor, account_id: int) -> list[dict[str, Any]]:
    """Filtered notifications, one request per sender: the sender, how many, the newest one's id and post."""
    rows = await db.fetch(
        "SELECT max(n.id) AS id, count(*) AS total, max(n.created_at) AS updated_at,"
        f" (array_agg(n.status_id ORDER BY n.id DESC))[1] AS status_id, {account_columns('a', 'from_')}"
        " FROM notifications n JOIN accounts a ON a.id = n.from_account_id WHERE n.account_id = $1 AND n.filtered"
        " GROUP BY a.id ORDER BY max(n.id) DESC LIMIT 40", account_id)
    return [{"id": r["id"], "count": r["total"], "updated_at": r["updated_at"], "status_id": r["status_id"],
             "account": account_from_row(r, "from_")} for r in rows]


async def answer_request(db: Executor, account_id: int, from_account_id: int, accept: bool) -> bool:
    """Accept (the notifications join the others; the sender passes from now on) or dismiss them."""
    if accept:
        done = await db.fetchval("UPDATE notifications SET filtered = false WHERE account_id = $1"
                                 " AND from_account_id = $2 AND filtered RETURNING true", account_id, from_account_id)
        await db.execute("INSERT INTO notification_permissions (account_id, from_account_id) VALUES ($1, $2)"
                         " ON CONFLICT DO NOTHING", account_id, from_account_id)
    else:
        done = await db.fetchval("DELETE FROM notifications WHERE account_id = $1 AND from_account_id = $2"
                                 " AND filtered RETURNING true", account_id, from_account_id)
    return bool(done)
