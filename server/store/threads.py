"""Threads: the posts a reply answers, the replies to a post, and where a thread starts."""

from __future__ import annotations

from server.models import Status
from server.store.accounts import Executor
from server.store.statuses import SELECT_STATUS, status_from_row, visible_to


async def ancestors(db: Executor, status_id: int, viewer_id: int | None, *, limit: int = 40) -> list[Status]:
    """The posts a reply answers, oldest first (stopping at one the viewer may not see)."""
    rows = await db.fetch(
        "WITH RECURSIVE up(id, depth) AS ("
        "  SELECT in_reply_to_id, 1 FROM statuses WHERE id = $1 AND in_reply_to_id IS NOT NULL"
        "  UNION ALL SELECT s.in_reply_to_id, up.depth + 1 FROM statuses s JOIN up ON s.id = up.id"
        "  WHERE s.in_reply_to_id IS NOT NULL AND up.depth < $3)"
        f" {SELECT_STATUS} JOIN up ON up.id = s.id WHERE {visible_to('$2::bigint')} ORDER BY up.depth DESC",
        status_id, viewer_id, limit,
    )
    return [status_from_row(r) for r in rows]


async def descendants(db: Executor, status_id: int, viewer_id: int | None, *, limit: int = 200) -> list[Status]:
    """Replies, and replies to them, that the viewer may see, in the order they were written."""
    rows = await db.fetch(
        "WITH RECURSIVE down(id, depth) AS ("
        "  SELECT id, 1 FROM statuses WHERE in_reply_to_id = $1"
        "  UNION ALL SELECT s.id, down.depth + 1 FROM statuses s JOIN down ON s.in_reply_to_id = down.id"
        "  WHERE down.depth < 20)"
        f" {SELECT_STATUS} JOIN down ON down.id = s.id WHERE {visible_to('$2::bigint')} ORDER BY s.id LIMIT $3",
        status_id, viewer_id, limit,
    )
    return [status_from_row(r) for r in rows]


async def direct_replies(db: Executor, status_id: int, *, limit: int) -> list[Status]:
    """Public and unlisted replies to a status, oldest first."""
    rows = await db.fetch(
        f"{SELECT_STATUS} WHERE s.in_reply_to_id = $1 AND s.visibility IN ('public', 'unlisted')"
        " AND s.deleted_at IS NULL"
        " ORDER BY s.id LIMIT $2",
        status_id, limit,
    )
    return [status_from_row(r) for r in rows]


async def thread_root(db: Executor, status_id: int, max_depth: int) -> int:
    """The first post of the status's thread (what identifies a direct conversation)."""
    return await db.fetchval(
        "WITH RECURSIVE up(id, parent, depth) AS ("
        "  SELECT id, in_reply_to_id, 0 FROM statuses WHERE id = $1"
        "  UNION ALL SELECT p.id, p.in_reply_to_id, up.depth + 1 FROM up JOIN statuses p ON p.id = up.parent"
        "  WHERE up.depth < $2)"
        " SELECT id FROM up ORDER BY depth DESC LIMIT 1",
        status_id, max_depth,
    ) or status_id


async def mute(db: Executor, account_id: int, root_id: int, on: bool) -> None:
    if on:
        await db.execute("INSERT INTO status_mutes (account_id, root_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                         account_id, root_id)
    else:
        await db.execute("DELETE FROM status_mutes WHERE account_id = $1 AND root_id = $2", account_id, root_id)
