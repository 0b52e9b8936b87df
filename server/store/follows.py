"""Every query on follow relationships."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from server.models import Account
from server.store.accounts import ACCOUNT_COLUMNS, Executor, account_from_row
from server.store.paging import Page, Paged, optional


async def insert(db: Executor, account_id: int, target_id: int, *, state: str = "accepted",
                 uri: str | None = None) -> bool:
    """Create the follow; False when it already existed (its state is kept; a remote account's
    repeated Follow gives it the new activity's id)."""
    return await db.fetchval(
        "INSERT INTO follows (account_id, target_account_id, state, uri) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (account_id, target_account_id) DO UPDATE SET uri = coalesce(EXCLUDED.uri, follows.uri)"
        " RETURNING xmax = 0",  # true only for a row this statement inserted
        account_id, target_id, state, uri,
    )


async def id_of(db: Executor, account_id: int, target_id: int) -> int | None:
    return await db.fetchval(
        "SELECT id FROM follows WHERE account_id = $1 AND target_account_id = $2", account_id, target_id
    )


@dataclass(frozen=True)
class PendingFollow:
    id: int
    uri: str | None  # the Follow activity's id, for a request from another server


async def pending(db: Executor, account_id: int, target_id: int) -> PendingFollow | None:
    """The follow request waiting for an answer, or None."""
    row = await db.fetchrow(
        "SELECT id, uri FROM follows WHERE account_id = $1 AND target_account_id = $2 AND state = 'pending'",
        account_id, target_id,
    )
    return PendingFollow(row["id"], row["uri"]) if row else None


async def follow_uri(db: Executor, account_id: int, target_id: int) -> str | None:
    """The id of the Follow activity a remote account sent (None for follows made here)."""
    return await db.fetchval("SELECT uri FROM follows WHERE account_id = $1 AND target_account_id = $2",
                             account_id, target_id)


async def accept(db: Executor, account_id: int, target_id: int) -> bool:
    """Mark a pending follow accepted; False when there was none pending."""
    done = await db.fetchval(
        "UPDATE follows SET state = 'accepted' WHERE account_id = $1 AND target_account_id = $2"
        " AND state = 'pending' RETURNING id",
        account_id, target_id,
    )
    return done is not None


async def delete_between(db: Executor, account_id: int, others: list[int]) -> None:
    """End every follow between the account and these others, both ways."""
    await db.execute(
        "DELETE FROM follows WHERE (account_id = $1 AND target_account_id = ANY($2::bigint[]))"
        " OR (target_account_id = $1 AND account_id = ANY($2::bigint[]))",
        account_id, others,
    )


async def delete(db: Executor, account_id: int, target_id: int) -> bool:
    gone = await db.fetchval(
        "DELETE FROM follows WHERE account_id = $1 AND target_account_id = $2 RETURNING id", account_id, target_id
    )
    return gone is not None


async def delete_all_of(db: Executor, account_ids: list[int]) -> int:
    """Remove every follow from or to these accounts (a suspended domain's); how many there were."""
    rows = await db.fetch(
        "DELETE FROM follows WHERE account_id = ANY($1::bigint[]) OR target_account_id = ANY($1::bigint[])"
        " RETURNING id",
        account_ids,
    )
    return len(rows)


async def state(db: Executor, account_id: int, target_id: int) -> str | None:
    """'accepted', 'pending', or None when there is no follow."""
    return await db.fetchval(
        "SELECT state FROM follows WHERE account_id = $1 AND target_account_id = $2", account_id, target_id
    )


class FollowCounts(NamedTuple):
    followers: int
    following: int


async def counts(db: Executor, account_id: int) -> FollowCounts:
    """Accepted follows only (kept in account_stats by PostgreSQL, migration 0046)."""
    row = await db.fetchrow(
        "SELECT followers_count, following_count FROM account_stats WHERE account_id = $1", account_id)
    return FollowCounts(row["followers_count"], row["following_count"]) if row else FollowCounts(0, 0)


async def local_follower_ids(db: Executor, target_id: int) -> list[int]:
    """Local accounts with an accepted follow of the target: whose home feeds get its posts."""
    rows = await db.fetch(
        "SELECT f.account_id FROM follows f JOIN accounts a ON a.id = f.account_id"
        " WHERE f.target_account_id = $1 AND f.state = 'accepted' AND a.domain IS NULL",
        target_id,
    )
    return [r["account_id"] for r in rows]


async def collection_uris(
    db: Executor, account_id: int, base_actor: str, *, followers: bool, before_id: int | None, limit: int
) -> list[Paged[str]]:
    """(follow id, actor id) pages of an account's followers (or of whom it follows), newest first.

    Local accounts have no stored id; theirs is `base_actor` + username.
    """
    mine, other = ("target_account_id", "account_id") if followers else ("account_id", "target_account_id")
    rows = await db.fetch(
        f"SELECT f.id, coalesce(a.uri, $2 || a.username) AS uri FROM follows f JOIN accounts a ON a.id = f.{other}"
        f" WHERE f.{mine} = $1 AND f.state = 'accepted' AND {optional('f.id < $3', '$3::bigint', before_id)}"
        " ORDER BY f.id DESC LIMIT $4",
        account_id,
        base_actor,
        before_id,
        limit,
    )
    return [Paged(r["id"], r["uri"]) for r in rows]


async def follower_of(db: Executor, follow_id: int, target_id: int) -> int | None:
    """Who follows in the follow row `follow_id`, if that row is a follow of `target_id`."""
    return await db.fetchval(
        "SELECT account_id FROM follows WHERE id = $1 AND target_account_id = $2", follow_id, target_id
    )


async def target_by_uri(db: Executor, account_id: int, uri: str) -> int | None:
    """Whom the account's follow with this ActivityPub id follows."""
    return await db.fetchval(
        "SELECT target_account_id FROM follows WHERE account_id = $1 AND uri = $2", account_id, uri)


async def followers_among(db: Executor, target_id: int, account_ids: set[int]) -> set[int]:
    """Those of `account_ids` who follow the target (accepted follows)."""
    if not account_ids:
        return set()
    rows = await db.fetch(
        "SELECT account_id FROM follows WHERE target_account_id = $1 AND state = 'accepted'"
        " AND account_id = ANY($2::bigint[])",
        target_id, list(account_ids),
    )
    return {r["account_id"] for r in rows}


async def follow_list(db: Executor, account_id: int, page: Page, *, followers: bool) -> list[Paged[Account]]:
    """(follow id, account) pairs, newest follow first, paged by the follow's id."""
    mine, other = ("target_account_id", "account_id") if followers else ("account_id", "target_account_id")
    rows = await db.fetch(
        f"SELECT f.id AS follow_id, {ACCOUNT_COLUMNS} FROM follows f JOIN accounts a ON a.id = f.{other}"
        f" WHERE f.{mine} = $1 AND f.state = 'accepted' AND a.suspended_at IS NULL AND {page.where('f.id', 2)}"
        f" ORDER BY {page.order('f.id')} LIMIT $5",
        account_id, *page.args, page.limit,
    )
    return page.newest_first([Paged(r["follow_id"], account_from_row(r)) for r in rows])


async def follow_requests(db: Executor, account_id: int, page: Page) -> list[Paged[Account]]:
    rows = await db.fetch(
        f"SELECT f.id AS follow_id, {ACCOUNT_COLUMNS} FROM follows f JOIN accounts a ON a.id = f.account_id"
        f" WHERE f.target_account_id = $1 AND f.state = 'pending' AND {page.where('f.id', 2)}"
        f" ORDER BY {page.order('f.id')} LIMIT $5",
        account_id, *page.args, page.limit,
    )
    return page.newest_first([Paged(r["follow_id"], account_from_row(r)) for r in rows])


async def follow_request_count(db: Executor, account_id: int) -> int:
    return await db.fetchval(
        "SELECT count(*) FROM follows WHERE target_account_id = $1 AND state = 'pending'", account_id
    )


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


async def set_options(db: Executor, account_id: int, target_id: int, *, show_reblogs: bool | None,
                      notify: bool | None, languages: list[str] | None = None) -> bool:
    """Change what a follow brings (None leaves an option as it is; an empty `languages` means every
    language again); False when there is no follow."""
    done = await db.fetchval(
        "UPDATE follows SET show_reblogs = coalesce($3, show_reblogs), notify = coalesce($4, notify),"
        " languages = CASE WHEN $5::text[] IS NULL THEN languages WHEN cardinality($5::text[]) = 0 THEN NULL"
        "  ELSE $5::text[] END"
        " WHERE account_id = $1 AND target_account_id = $2 RETURNING id",
        account_id, target_id, show_reblogs, notify, languages,
    )
    return done is not None


async def notified_follower_ids(db: Executor, target_id: int) -> list[int]:
    """Local followers who asked to be notified when the account posts."""
    rows = await db.fetch(
        "SELECT f.account_id FROM follows f JOIN accounts a ON a.id = f.account_id"
        " WHERE f.target_account_id = $1 AND f.notify AND f.state = 'accepted' AND a.domain IS NULL",
        target_id,
    )
    return [r["account_id"] for r in rows]


async def export_rows(db: Executor, account_id: int) -> list[tuple[str, str | None, bool, bool]]:
    """Whom the member follows (accepted follows), oldest first: username, domain, show boosts, notify."""
    rows = await db.fetch(
        "SELECT a.username, a.domain, f.show_reblogs, f.notify FROM follows f"
        " JOIN accounts a ON a.id = f.target_account_id WHERE f.account_id = $1 AND f.state = 'accepted'"
        " ORDER BY f.id", account_id)
    return [(r["username"], r["domain"], r["show_reblogs"], r["notify"]) for r in rows]
