"""Every query on the materialised home feeds."""

from __future__ import annotations

from server.store.accounts import Executor

BACKFILL_POSTS = 40  # how many recent posts a new follow brings into the follower's feed


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
