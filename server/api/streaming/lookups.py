"""Read-only queries the fan-out needs: what a status is, and which of the connected members it reaches.

Every query takes the set of members actually connected, so its cost follows the number of
open streams, not the number of followers.
"""

from __future__ import annotations

from dataclasses import dataclass

from server.store.accounts import Executor


@dataclass(frozen=True)
class Facts:
    """What decides which streams a status belongs to (read even from a deleted status's tombstone)."""

    id: int
    author_id: int
    visibility: str
    local: bool
    reblog_of_id: int | None
    reblog_author_id: int | None
    deleted: bool
    suspended: bool
    has_media: bool
    tags: frozenset[str]  # lower-cased
    mentions: frozenset[int]


async def status_facts(db: Executor, status_id: int) -> Facts | None:
    row = await db.fetchrow(
        "SELECT s.id, s.account_id, s.visibility, s.uri IS NULL AS local, s.reblog_of_id,"
        " r.account_id AS reblog_author,"
        " s.deleted_at IS NOT NULL AS deleted, a.suspended_at IS NOT NULL AS suspended,"
        " EXISTS (SELECT 1 FROM media_attachments m WHERE m.status_id = coalesce(s.reblog_of_id, s.id)) AS has_media,"
        " ARRAY(SELECT lower(t.name) FROM status_tags st JOIN tags t ON t.id = st.tag_id WHERE st.status_id = s.id)"
        "  AS tags,"
        " ARRAY(SELECT m.account_id FROM mentions m WHERE m.status_id = s.id) AS mentions"
        " FROM statuses s JOIN accounts a ON a.id = s.account_id LEFT JOIN statuses r ON r.id = s.reblog_of_id"
        " WHERE s.id = $1",
        status_id,
    )
    if row is None:
        return None
    return Facts(row["id"], row["account_id"], row["visibility"], row["local"], row["reblog_of_id"],
                 row["reblog_author"], row["deleted"], row["suspended"], row["has_media"], frozenset(row["tags"]),
                 frozenset(row["mentions"]))


async def home_readers(db: Executor, status_id: int, account_ids: set[int]) -> set[int]:
    """Those of `account_ids` whose home feed holds the status."""
    if not account_ids:
        return set()
    rows = await db.fetch(
        "SELECT account_id FROM home_feed WHERE status_id = $1 AND account_id = ANY($2::bigint[])",
        status_id, list(account_ids),
    )
    return {r["account_id"] for r in rows}


async def possible_readers(db: Executor, facts: Facts, account_ids: set[int]) -> set[int]:
    """Those of `account_ids` whose home feed may have held a status now deleted (its feed rows are gone):
    the author, the mentioned, and followers unless it was direct."""
    found = {a for a in account_ids if a == facts.author_id or a in facts.mentions}
    rest = account_ids - found
    if rest and facts.visibility != "direct":
        rows = await db.fetch(
            "SELECT account_id FROM follows WHERE target_account_id = $1 AND state = 'accepted'"
            " AND account_id = ANY($2::bigint[])",
            facts.author_id, list(rest),
        )
        found.update(r["account_id"] for r in rows)
    return found


async def lists_with_member(db: Executor, list_ids: set[int], account_id: int) -> set[int]:
    """Those of `list_ids` that include the account."""
    if not list_ids:
        return set()
    rows = await db.fetch(
        "SELECT list_id FROM list_accounts WHERE account_id = $1 AND list_id = ANY($2::bigint[])",
        account_id, list(list_ids),
    )
    return {r["list_id"] for r in rows}


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


async def muting(db: Executor, account_ids: set[int], target_ids: set[int]) -> set[int]:
    """Those of `account_ids` who mute any of `target_ids` (expired mutes do not count)."""
    if not account_ids or not target_ids:
        return set()
    rows = await db.fetch(
        "SELECT DISTINCT account_id FROM mutes WHERE account_id = ANY($1::bigint[])"
        " AND target_account_id = ANY($2::bigint[]) AND (expires_at IS NULL OR expires_at > now())",
        list(account_ids), list(target_ids),
    )
    return {r["account_id"] for r in rows}
