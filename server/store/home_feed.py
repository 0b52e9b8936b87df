"""Every query on the materialised home feeds."""

from __future__ import annotations

from typing import NamedTuple

from server.models import Account, Status
from server.store.accounts import Executor, account_columns, account_from_row
from server.store.paging import Page, optional
from server.store.plans import generic_plans
from server.store.statuses import SELECT_STATUS, not_muted, status_from_row, visible_to, with_reblogs

BACKFILL_POSTS = 40  # how many recent posts a new follow brings into the follower's feed
UNREAD_CAP = 100


async def add(db: Executor, status_id: int, author_id: int, reader_ids: list[int]) -> None:
    await db.execute(
        "INSERT INTO home_feed (account_id, status_id, author_id)"
        " SELECT r, $1, $2 FROM unnest($3::bigint[]) AS r ON CONFLICT DO NOTHING",
        status_id,
        author_id,
        reader_ids,
    )


async def backfill(db: Executor, reader_id: int, author_id: int) -> None:
    """Bring the author's recent non-direct posts into the reader's feed after a follow (only our
    members have feeds: nothing for a remote reader)."""
    await db.execute(
        "INSERT INTO home_feed (account_id, status_id, author_id)"
        " SELECT $1, s.id, s.account_id FROM statuses s"
        " WHERE s.account_id = $2 AND s.deleted_at IS NULL AND s.visibility <> 'direct'"
        "  AND EXISTS (SELECT 1 FROM accounts r WHERE r.id = $1 AND r.domain IS NULL)"
        " ORDER BY s.id DESC LIMIT $3 ON CONFLICT DO NOTHING",
        reader_id,
        author_id,
        BACKFILL_POSTS,
    )


async def remove_author(db: Executor, reader_id: int, author_id: int) -> None:
    """Take the author's posts out of the reader's feed after an unfollow, except those addressed to the reader."""
    await db.execute(
        "DELETE FROM home_feed h WHERE h.account_id = $1 AND h.author_id = $2"
        " AND NOT EXISTS (SELECT 1 FROM mentions m WHERE m.status_id = h.status_id AND m.account_id = $1)",
        reader_id,
        author_id,
    )


async def remove_status(db: Executor, status_id: int) -> None:
    await db.execute("DELETE FROM home_feed WHERE status_id = $1", status_id)


async def home_readers(db: Executor, status_id: int, account_ids: set[int]) -> set[int]:
    """Those of `account_ids` whose home feed holds the status."""
    if not account_ids:
        return set()
    rows = await db.fetch(
        "SELECT account_id FROM home_feed WHERE status_id = $1 AND account_id = ANY($2::bigint[])",
        status_id, list(account_ids),
    )
    return {r["account_id"] for r in rows}


def _shown(reader: str = "$1") -> str:
    """SQL condition on feed row `h` and its status `s`: what the reader's home feed shows (their
    mutes, exclusive lists and hidden boosts applied)."""
    return (
        f"h.account_id = {reader} AND {visible_to(reader)} AND {not_muted(reader, 'h.author_id')}"
        " AND (s.reblog_of_id IS NULL OR NOT EXISTS (SELECT 1 FROM follows hb WHERE hb.account_id = h.account_id"
        "  AND hb.target_account_id = h.author_id AND NOT hb.show_reblogs))"
        " AND NOT EXISTS (SELECT 1 FROM follows fl WHERE fl.account_id = h.account_id"
        "  AND fl.target_account_id = h.author_id AND fl.languages IS NOT NULL AND s.language IS NOT NULL"
        "  AND NOT (split_part(s.language, '-', 1) = ANY(fl.languages) OR s.language = ANY(fl.languages)))"
        " AND NOT EXISTS (SELECT 1 FROM list_accounts xl JOIN lists x ON x.id = xl.list_id"
        f"  WHERE x.account_id = {reader} AND x.exclusive AND xl.account_id = h.author_id)"
    )


async def timeline(db: Executor, account_id: int, page: Page, *, author_id: int | None = None) -> list[Status]:
    """The reader's materialised feed (or one followed author's part of it), newest first, strictly by id
    (with generic plans, the boosted posts' query too: planning the feed query took ten times longer
    than running it, see plans.fetch_generic)."""
    by_author = optional("h.author_id = $6", "$6::bigint", author_id)
    async with generic_plans(db) as conn:
        rows = await conn.fetch(
            f"{SELECT_STATUS} JOIN home_feed h ON h.status_id = s.id"
            f" WHERE {_shown()} AND {page.where('h.status_id', 2)} AND {by_author}"
            f" ORDER BY {page.order('h.status_id')} LIMIT $5",
            account_id, *page.args, page.limit, author_id,
        )
        return await with_reblogs(conn, page.newest_first([status_from_row(r) for r in rows]), account_id)


async def unread_count(db: Executor, account_id: int, after_id: int, cap: int = UNREAD_CAP) -> int:
    """How many feed posts arrived after `after_id` (counting stops at `cap`: pages say "99+")."""
    return await db.fetchval(
        "SELECT count(*) FROM (SELECT 1 FROM home_feed h JOIN statuses s ON s.id = h.status_id"
        f" WHERE {_shown()} AND h.status_id > $2 LIMIT $3) AS unread",
        account_id, after_id, cap,
    )


class Unread(NamedTuple):
    account: Account
    posts: int


async def unread_by_author(db: Executor, account_id: int, after_id: int) -> list[Unread]:
    """Who posted (or boosted) into the reader's feed after `after_id`, and how much; the most recent first."""
    rows = await db.fetch(
        f"SELECT {account_columns('a', '')}, count(*) AS posts FROM home_feed h"
        " JOIN statuses s ON s.id = h.status_id JOIN accounts a ON a.id = h.author_id"
        f" WHERE {_shown()} AND h.status_id > $2 AND h.author_id <> $1"
        " GROUP BY a.id ORDER BY max(h.status_id) DESC LIMIT 200",
        account_id, after_id,
    )
    return [Unread(account_from_row(r), r["posts"]) for r in rows]
