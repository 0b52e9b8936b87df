"""Every query on a member's lists: the lists, who is in them, and the list timeline."""

from __future__ import annotations

from dataclasses import dataclass

from server.models import Account, Status
from server.store.accounts import ACCOUNT_COLUMNS, Executor, account_from_row
from server.store.paging import Page
from server.store.statuses import SELECT_STATUS, status_from_row, visible_to, with_reblogs


@dataclass(frozen=True)
class ListRow:
    id: int
    title: str
    replies_policy: str
    exclusive: bool


_COLUMNS = "id, title, replies_policy, exclusive"


def _row(row) -> ListRow:
    return ListRow(row["id"], row["title"], row["replies_policy"], row["exclusive"])


async def owned(db: Executor, owner_id: int) -> list[ListRow]:
    rows = await db.fetch(f"SELECT {_COLUMNS} FROM lists WHERE account_id = $1 ORDER BY id", owner_id)
    return [_row(r) for r in rows]


async def get(db: Executor, owner_id: int, list_id: int) -> ListRow | None:
    """The list if it is the owner's (someone else's list is as good as missing)."""
    row = await db.fetchrow(f"SELECT {_COLUMNS} FROM lists WHERE id = $1 AND account_id = $2", list_id, owner_id)
    return _row(row) if row else None


async def lock_owner(db: Executor, owner_id: int) -> None:
    """Serialise one member's list changes until the transaction ends."""
    await db.execute("SELECT pg_advisory_xact_lock(hashtext('lists'), hashtext($1::text))", str(owner_id))


async def count(db: Executor, owner_id: int) -> int:
    return await db.fetchval("SELECT count(*) FROM lists WHERE account_id = $1", owner_id)


async def insert(db: Executor, owner_id: int, title: str, replies_policy: str, exclusive: bool) -> ListRow:
    row = await db.fetchrow(
        f"INSERT INTO lists (account_id, title, replies_policy, exclusive) VALUES ($1, $2, $3, $4)"
        f" RETURNING {_COLUMNS}",
        owner_id, title, replies_policy, exclusive,
    )
    return _row(row)


async def update(db: Executor, owner_id: int, list_id: int, title: str, replies_policy: str,
                 exclusive: bool) -> ListRow | None:
    row = await db.fetchrow(
        f"UPDATE lists SET title = $3, replies_policy = $4, exclusive = $5 WHERE id = $1 AND account_id = $2"
        f" RETURNING {_COLUMNS}",
        list_id, owner_id, title, replies_policy, exclusive,
    )
    return _row(row) if row else None


async def delete(db: Executor, owner_id: int, list_id: int) -> bool:
    done = await db.fetchval("DELETE FROM lists WHERE id = $1 AND account_id = $2 RETURNING id", list_id, owner_id)
    return done is not None


async def members(db: Executor, list_id: int, page: Page | None) -> list[Account]:
    """The accounts in a list, by account id (newest first); every one of them when `page` is None."""
    if page is None:
        rows = await db.fetch(
            f"SELECT {ACCOUNT_COLUMNS} FROM list_accounts la JOIN accounts a ON a.id = la.account_id"
            " WHERE la.list_id = $1 AND a.suspended_at IS NULL ORDER BY a.id DESC",
            list_id,
        )
        return [account_from_row(r) for r in rows]
    rows = await db.fetch(
        f"SELECT {ACCOUNT_COLUMNS} FROM list_accounts la JOIN accounts a ON a.id = la.account_id"
        f" WHERE la.list_id = $1 AND a.suspended_at IS NULL AND {page.where('a.id', 2)}"
        f" ORDER BY {page.order('a.id')} LIMIT $5",
        list_id, *page.args, page.limit,
    )
    return page.newest_first([account_from_row(r) for r in rows])


async def existing_accounts(db: Executor, account_ids: list[int]) -> set[int]:
    """Those of `account_ids` that are accounts (not suspended)."""
    rows = await db.fetch(
        "SELECT id FROM accounts WHERE id = ANY($1::bigint[]) AND suspended_at IS NULL", account_ids
    )
    return {r["id"] for r in rows}


async def followed(db: Executor, owner_id: int, account_ids: list[int]) -> set[int]:
    """Those of `account_ids` the owner follows or has asked to follow (Mastodon allows both in lists)."""
    rows = await db.fetch(
        "SELECT target_account_id FROM follows WHERE account_id = $1 AND target_account_id = ANY($2::bigint[])",
        owner_id, account_ids,
    )
    return {r["target_account_id"] for r in rows}


async def already_in(db: Executor, list_id: int, account_ids: list[int]) -> set[int]:
    rows = await db.fetch(
        "SELECT account_id FROM list_accounts WHERE list_id = $1 AND account_id = ANY($2::bigint[])",
        list_id, account_ids,
    )
    return {r["account_id"] for r in rows}


async def add_members(db: Executor, list_id: int, account_ids: list[int]) -> None:
    await db.execute(
        "INSERT INTO list_accounts (list_id, account_id) SELECT $1, unnest($2::bigint[]) ON CONFLICT DO NOTHING",
        list_id, account_ids,
    )


async def remove_members(db: Executor, list_id: int, account_ids: list[int]) -> None:
    await db.execute(
        "DELETE FROM list_accounts WHERE list_id = $1 AND account_id = ANY($2::bigint[])", list_id, account_ids
    )


async def containing(db: Executor, owner_id: int, account_id: int) -> list[ListRow]:
    """The owner's lists that include the account."""
    rows = await db.fetch(
        "SELECT l.id, l.title, l.replies_policy, l.exclusive FROM lists l"
        " JOIN list_accounts la ON la.list_id = l.id WHERE l.account_id = $1 AND la.account_id = $2 ORDER BY l.id",
        owner_id, account_id,
    )
    return [_row(r) for r in rows]


async def remove_from_owner_lists(db: Executor, owner_id: int, account_id: int) -> None:
    """Take an account out of all the owner's lists (on unfollow or block, as Mastodon)."""
    await db.execute(
        "DELETE FROM list_accounts la USING lists l WHERE la.list_id = l.id AND l.account_id = $1"
        " AND la.account_id = $2",
        owner_id, account_id,
    )


async def timeline(db: Executor, list_id: int, owner_id: int, page: Page) -> list[Status]:
    """Posts and boosts by the list's members that the owner may see, newest first.

    Replies follow the list's replies_policy as Mastodon's FeedManager#filter_from_list? does: a
    member's replies to themselves (threads) and to the owner always show; otherwise 'followed'
    shows replies to accounts the owner follows, 'list' replies to members of the list, 'none'
    nothing more. Direct messages stay out of lists; muted authors are left out.
    """
    rows = await db.fetch(
        f"{SELECT_STATUS} JOIN list_accounts la ON la.account_id = s.account_id AND la.list_id = $1"
        " JOIN lists l ON l.id = la.list_id"
        " LEFT JOIN statuses parent ON parent.id = s.in_reply_to_id"
        f" WHERE l.account_id = $2 AND s.visibility <> 'direct' AND a.suspended_at IS NULL"
        f" AND {page.where('s.id', 3)} AND {visible_to('$2::bigint')}"
        " AND NOT EXISTS (SELECT 1 FROM mutes mu WHERE mu.account_id = $2 AND mu.target_account_id = s.account_id"
        "  AND (mu.expires_at IS NULL OR mu.expires_at > now()))"
        " AND ((s.in_reply_to_id IS NULL AND s.in_reply_to_uri IS NULL)"
        "  OR parent.account_id = s.account_id OR parent.account_id = $2"
        "  OR (l.replies_policy = 'followed' AND EXISTS (SELECT 1 FROM follows rf WHERE rf.account_id = $2"
        "      AND rf.target_account_id = parent.account_id AND rf.state = 'accepted'))"
        "  OR (l.replies_policy = 'list' AND EXISTS (SELECT 1 FROM list_accounts rl WHERE rl.list_id = $1"
        "      AND rl.account_id = parent.account_id)))"
        f" ORDER BY {page.order('s.id')} LIMIT $6",
        list_id, owner_id, *page.args, page.limit,
    )
    return await with_reblogs(db, page.newest_first([status_from_row(r) for r in rows]), owner_id)


async def lists_with_member(db: Executor, list_ids: set[int], account_id: int) -> set[int]:
    """Those of `list_ids` that include the account."""
    if not list_ids:
        return set()
    rows = await db.fetch(
        "SELECT list_id FROM list_accounts WHERE account_id = $1 AND list_id = ANY($2::bigint[])",
        account_id, list(list_ids),
    )
    return {r["list_id"] for r in rows}


async def export_rows(db: Executor, owner_id: int) -> list[tuple[str, str, str | None]]:
    """Every member of the owner's lists: list title, username, domain."""
    rows = await db.fetch(
        "SELECT l.title, a.username, a.domain FROM lists l JOIN list_accounts la ON la.list_id = l.id"
        " JOIN accounts a ON a.id = la.account_id WHERE l.account_id = $1 ORDER BY l.id, la.account_id", owner_id)
    return [(r["title"], r["username"], r["domain"]) for r in rows]
