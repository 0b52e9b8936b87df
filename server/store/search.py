"""Full-text search over posts, within what Mastodon lets a member search: their own posts, those
they favourited, boosted, bookmarked or were mentioned in, and the public posts of members here
who let their posts be searched."""

from __future__ import annotations

from server.models import Status
from server.store.accounts import Executor
from server.store.statuses import SELECT_STATUS, status_from_row, visible_to


async def posts(db: Executor, viewer_id: int, query: str, *, offset: int, limit: int) -> list[Status]:
    """Posts matching every word of `query` (newest first), within the viewer's searchable set."""
    rows = await db.fetch(
        f"{SELECT_STATUS} WHERE s.search_words @@ plainto_tsquery('simple', $2) AND s.deleted_at IS NULL"
        " AND s.reblog_of_id IS NULL"
        f" AND {visible_to('$1')} AND (s.account_id = $1"
        "  OR EXISTS (SELECT 1 FROM favourites f WHERE f.status_id = s.id AND f.account_id = $1)"
        "  OR EXISTS (SELECT 1 FROM bookmarks b WHERE b.status_id = s.id AND b.account_id = $1)"
        "  OR EXISTS (SELECT 1 FROM statuses r WHERE r.reblog_of_id = s.id AND r.account_id = $1"
        "   AND r.deleted_at IS NULL)"
        "  OR EXISTS (SELECT 1 FROM mentions m WHERE m.status_id = s.id AND m.account_id = $1)"
        "  OR (a.domain IS NULL AND a.indexable AND s.visibility = 'public'))"
        " ORDER BY s.id DESC OFFSET $3 LIMIT $4",
        viewer_id, query, offset, limit,
    )
    return [status_from_row(r) for r in rows]
