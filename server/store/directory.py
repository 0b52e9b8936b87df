"""The profile directory: discoverable accounts (members here unless they opted out, others only when
they opted in), for the directory page and API."""

from __future__ import annotations

from server.models import Account
from server.store.accounts import ACCOUNT_COLUMNS, Executor, account_from_row
from server.store.domains import NOT_LIMITED
from server.store.statuses import not_muted

ORDERS = {"active": "st.last_status_at DESC NULLS LAST, a.id DESC", "new": "a.id DESC"}


async def listed(db: Executor, viewer_id: int | None, *, local: bool, order: str, offset: int,
                 limit: int) -> list[Account]:
    """Discoverable accounts, as in Mastodon's profile directory: not suspended,
    limited (themselves or by their domain's policy) or moved away, members here approved; none the
    viewer blocked, muted or hid the domain of, nor who blocked the viewer. Most recently posting
    first, or newest first."""
    rows = await db.fetch(
        f"SELECT {ACCOUNT_COLUMNS} FROM accounts a LEFT JOIN account_stats st ON st.account_id = a.id"
        f" WHERE a.discoverable AND a.suspended_at IS NULL AND {NOT_LIMITED} AND a.moved_to_uri IS NULL"
        " AND CASE WHEN a.domain IS NULL THEN a.username <> 'kith.instance' AND EXISTS (SELECT 1 FROM users u"
        "  WHERE u.account_id = a.id AND u.application_state = 'approved') ELSE NOT $1 END"
        " AND ($4::bigint IS NULL OR NOT EXISTS (SELECT 1 FROM blocks b WHERE (b.account_id = $4"
        "  AND b.target_account_id = a.id) OR (b.account_id = a.id AND b.target_account_id = $4))"
        f"  AND {not_muted('$4', 'a.id')})"
        f" ORDER BY {ORDERS[order]} OFFSET $2 LIMIT $3",
        local, offset, limit, viewer_id,
    )
    return [account_from_row(r) for r in rows]
