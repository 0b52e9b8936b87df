"""Direct conversations: a member's direct-visibility posts (written or mentioned in), grouped by
the root of their thread, with the member's read and removed marks.

A conversation's id is its thread's root status id (as Mastodon's statuses share a
conversation_id down a thread). Nothing is materialised: the groups are computed from the
member's direct posts, which the author and mention indexes find.
"""

from __future__ import annotations

from dataclasses import dataclass

from server.models import Account, Status
from server.store.accounts import ACCOUNT_COLUMNS, Executor, account_from_row
from server.store.paging import Page
from server.store.statuses import SELECT_STATUS, status_from_row, visible_to

MAX_DEPTH = 100  # how far up a thread the root is looked for


@dataclass(frozen=True)
class Conversation:
    id: int  # the thread's root status id
    last_status_id: int
    unread: bool
    status_ids: list[int]  # the member's direct posts in it


_CONVERSATIONS = (
    "WITH RECURSIVE mine AS ("
    "  SELECT s.id, s.account_id, s.in_reply_to_id FROM statuses s"
    "  WHERE s.id IN (SELECT id FROM statuses WHERE account_id = $1 AND visibility = 'direct'"
    "                 UNION SELECT status_id FROM mentions WHERE account_id = $1)"
    f"   AND s.visibility = 'direct' AND s.reblog_of_id IS NULL AND {visible_to('$1')}),"
    " up(status_id, id, parent, depth) AS ("
    "  SELECT id, id, in_reply_to_id, 0 FROM mine"
    "  UNION ALL SELECT up.status_id, p.id, p.in_reply_to_id, up.depth + 1"
    f"  FROM up JOIN statuses p ON p.id = up.parent WHERE up.depth < {MAX_DEPTH}),"
    " roots AS (SELECT DISTINCT ON (status_id) status_id, id AS root_id FROM up ORDER BY status_id, depth DESC),"
    " convs AS (SELECT r.root_id, max(r.status_id) AS last_id, array_agg(r.status_id ORDER BY r.status_id) AS ids,"
    "   max(r.status_id) FILTER (WHERE m.account_id = $1) AS own_last"
    "   FROM roots r JOIN mine m ON m.id = r.status_id GROUP BY r.root_id)"
    " SELECT c.root_id, c.last_id, c.ids,"
    # Unread, as Mastodon's AccountConversation: the newest post is someone else's and not yet read.
    "  (c.last_id IS DISTINCT FROM c.own_last AND c.last_id > coalesce(cm.read_up_to, 0)) AS unread"
    " FROM convs c LEFT JOIN conversation_marks cm ON cm.account_id = $1 AND cm.root_id = c.root_id"
    " WHERE (cm.hidden_up_to IS NULL OR c.last_id > cm.hidden_up_to) AND ($2::bigint IS NULL OR c.root_id = $2)"
)


def _row(row) -> Conversation:
    return Conversation(row["root_id"], row["last_id"], row["unread"], list(row["ids"]))


async def page_for(db: Executor, account_id: int, page: Page) -> list[Conversation]:
    """The member's conversations by their newest post, newest first (paged by that post's id)."""
    rows = await db.fetch(
        f"{_CONVERSATIONS} AND {page.where('c.last_id', 3)} ORDER BY {page.order('c.last_id')} LIMIT $6",
        account_id, None, *page.args, page.limit,
    )
    return page.newest_first([_row(r) for r in rows])


async def get(db: Executor, account_id: int, conversation_id: int) -> Conversation | None:
    """One of the member's conversations (not one they removed); None otherwise."""
    row = await db.fetchrow(_CONVERSATIONS, account_id, conversation_id)
    return _row(row) if row else None


async def participants(db: Executor, items: list[Conversation], account_id: int) -> dict[int, list[Account]]:
    """Everyone but the member who wrote or was mentioned in each conversation's posts."""
    convs = [c.id for c in items for _ in c.status_ids]
    sids = [s for c in items for s in c.status_ids]
    out: dict[int, list[Account]] = {c.id: [] for c in items}
    if not sids:
        return out
    rows = await db.fetch(
        f"SELECT x.conv, {ACCOUNT_COLUMNS} FROM ("
        "  SELECT c.conv, s.account_id FROM unnest($1::bigint[], $2::bigint[]) AS c(conv, sid)"
        "  JOIN statuses s ON s.id = c.sid"
        "  UNION SELECT c.conv, m.account_id FROM unnest($1::bigint[], $2::bigint[]) AS c(conv, sid)"
        "  JOIN mentions m ON m.status_id = c.sid"
        ") x JOIN accounts a ON a.id = x.account_id WHERE x.account_id <> $3 ORDER BY x.conv, a.id",
        convs, sids, account_id,
    )
    for r in rows:
        out[r["conv"]].append(account_from_row(r))
    return out


async def statuses(db: Executor, status_ids: list[int], viewer_id: int) -> dict[int, Status]:
    rows = await db.fetch(f"{SELECT_STATUS} WHERE s.id = ANY($1::bigint[]) AND {visible_to('$2::bigint')}",
                          status_ids, viewer_id)
    return {r["id"]: status_from_row(r) for r in rows}


async def mark_read(db: Executor, account_id: int, conversation_id: int, up_to: int) -> None:
    await db.execute(
        "INSERT INTO conversation_marks (account_id, root_id, read_up_to) VALUES ($1, $2, $3)"
        " ON CONFLICT (account_id, root_id) DO UPDATE"
        " SET read_up_to = greatest(conversation_marks.read_up_to, excluded.read_up_to)",
        account_id, conversation_id, up_to,
    )


async def hide(db: Executor, account_id: int, conversation_id: int, up_to: int) -> None:
    """Remove the conversation from the member's list until someone posts in it again."""
    await db.execute(
        "INSERT INTO conversation_marks (account_id, root_id, read_up_to, hidden_up_to) VALUES ($1, $2, $3, $3)"
        " ON CONFLICT (account_id, root_id) DO UPDATE"
        " SET read_up_to = greatest(conversation_marks.read_up_to, excluded.read_up_to),"
        "     hidden_up_to = excluded.hidden_up_to",
        account_id, conversation_id, up_to,
    )
