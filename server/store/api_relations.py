"""Queries behind the client API's relationship endpoints: relationships, lists of follows, mutes, search."""

from __future__ import annotations

from typing import Any

from server.models import Account
from server.store.accounts import ACCOUNT_COLUMNS, Executor, account_columns, account_from_row
from server.store.paging import Page


async def relationships(db: Executor, viewer_id: int, ids: list[int]) -> dict[int, dict[str, Any]]:
    rows = await db.fetch(
        "SELECT i.id,"
        " (SELECT state FROM follows WHERE account_id = $1 AND target_account_id = i.id) AS following,"
        " (SELECT state FROM follows WHERE account_id = i.id AND target_account_id = $1) AS followed_by,"
        " EXISTS (SELECT 1 FROM blocks WHERE account_id = $1 AND target_account_id = i.id) AS blocking,"
        " EXISTS (SELECT 1 FROM blocks WHERE account_id = i.id AND target_account_id = $1) AS blocked_by,"
        " (SELECT hide_notifications FROM mutes WHERE account_id = $1 AND target_account_id = i.id"
        "   AND (expires_at IS NULL OR expires_at > now())) AS muting"
        " FROM unnest($2::bigint[]) AS i(id) JOIN accounts a ON a.id = i.id",
        viewer_id, ids,
    )
    return {
        r["id"]: {
            "id": str(r["id"]), "following": r["following"] == "accepted",
            "showing_reblogs": r["following"] == "accepted",
            "notifying": False, "languages": None, "followed_by": r["followed_by"] == "accepted",
            "blocking": r["blocking"], "blocked_by": r["blocked_by"], "muting": r["muting"] is not None,
            "muting_notifications": bool(r["muting"]), "requested": r["following"] == "pending",
            "requested_by": r["followed_by"] == "pending", "domain_blocking": False, "endorsed": False, "note": "",
        }
        for r in rows
    }


async def follow_list(db: Executor, account_id: int, page: Page, *, followers: bool) -> list[tuple[int, Account]]:
    """(follow id, account) pairs, newest follow first, paged by the follow's id."""
    mine, other = ("target_account_id", "account_id") if followers else ("account_id", "target_account_id")
    rows = await db.fetch(
        f"SELECT f.id AS follow_id, {ACCOUNT_COLUMNS} FROM follows f JOIN accounts a ON a.id = f.{other}"
        f" WHERE f.{mine} = $1 AND f.state = 'accepted' AND a.suspended_at IS NULL AND {page.where('f.id', 2)}"
        f" ORDER BY {page.order('f.id')} LIMIT $5",
        account_id, *page.args, page.limit,
    )
    return page.newest_first([(r["follow_id"], account_from_row(r)) for r in rows])


async def follow_requests(db: Executor, account_id: int, page: Page) -> list[tuple[int, Account]]:
    rows = await db.fetch(
        f"SELECT f.id AS follow_id, {ACCOUNT_COLUMNS} FROM follows f JOIN accounts a ON a.id = f.account_id"
        f" WHERE f.target_account_id = $1 AND f.state = 'pending' AND {page.where('f.id', 2)}"
        f" ORDER BY {page.order('f.id')} LIMIT $5",
        account_id, *page.args, page.limit,
    )
    return page.newest_first([(r["follow_id"], account_from_row(r)) for r in rows])


async def follow_request_count(db: Executor, account_id: int) -> int:
    return await db.fetchval(
        "SELECT count(*) FROM follows WHERE target_account_id = $1 AND state = 'pending'", account_id
    )


async def search_accounts(db: Executor, query: str, limit: int, *, include_suspended: bool = False) -> list[Account]:
    """Accounts whose handle or display name starts with the query, local ones first."""
    name, _, domain = query.partition("@")
    rows = await db.fetch(
        f"SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.username <> 'kith.instance'"
        " AND ($4 OR a.suspended_at IS NULL)"
        " AND (lower(a.username) LIKE lower($1) || '%' OR lower(a.display_name) LIKE lower($1) || '%')"
        " AND ($2 = '' OR lower(a.domain) LIKE lower($2) || '%')"
        " ORDER BY a.domain IS NOT NULL, lower(a.username) LIMIT $3",
        name.replace("%", "").replace("_", r"\_"), domain.replace("%", ""), limit, include_suspended,
    )
    return [account_from_row(r) for r in rows]


async def accounts_by_ids(db: Executor, ids: list[int]) -> dict[int, Account]:
    rows = await db.fetch(f"SELECT {account_columns('a', '')} FROM accounts a WHERE a.id = ANY($1::bigint[])", ids)
    return {r["id"]: account_from_row(r) for r in rows}


async def familiar_followers(db: Executor, viewer_id: int, ids: list[int]) -> dict[int, list[Account]]:
    rows = await db.fetch(
        f"SELECT t.target_account_id AS target, {ACCOUNT_COLUMNS} FROM follows t"
        " JOIN follows mine ON mine.target_account_id = t.account_id AND mine.account_id = $1"
        " AND mine.state = 'accepted' JOIN accounts a ON a.id = t.account_id"
        " WHERE t.target_account_id = ANY($2::bigint[]) AND t.state = 'accepted' AND a.suspended_at IS NULL"
        " ORDER BY t.id DESC",
        viewer_id, ids,
    )
    out: dict[int, list[Account]] = {}
    for r in rows:
        out.setdefault(r["target"], []).append(account_from_row(r))
    return out
