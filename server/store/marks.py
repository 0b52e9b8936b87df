"""Bookmarks and pins: a member's marks on posts."""

from __future__ import annotations

from server.models import Status
from server.store.accounts import Executor
from server.store.paging import Page, Paged
from server.store.statuses import SELECT_STATUS, status_from_row, visible_to

_MARK_TABLES = ("bookmarks", "pins")


async def set_mark(db: Executor, table: str, account_id: int, status_id: int, on: bool) -> None:
    """Bookmark or pin (on) a status for an account, or remove that."""
    if table not in _MARK_TABLES:
        raise ValueError(table)
    if on:
        await db.execute(
            f"INSERT INTO {table} (account_id, status_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", account_id, status_id
        )
    else:
        await db.execute(f"DELETE FROM {table} WHERE account_id = $1 AND status_id = $2", account_id, status_id)


async def lock_pins(db: Executor, account_id: int) -> None:
    """Serialise one member's pinning until the transaction ends (the limit is checked under it)."""
    await db.execute("SELECT pg_advisory_xact_lock(hashtext('pins'), hashtext($1::text))", str(account_id))


async def pin_count(db: Executor, account_id: int) -> int:
    return await db.fetchval("SELECT count(*) FROM pins WHERE account_id = $1", account_id)


async def is_pinned(db: Executor, account_id: int, status_id: int) -> bool:
    return await db.fetchval("SELECT EXISTS (SELECT 1 FROM pins WHERE account_id = $1 AND status_id = $2)",
                             account_id, status_id)


async def marked(db: Executor, table: str, account_id: int, page: Page) -> list[Paged[Status]]:
    """(mark id, status) of an account's bookmarks or favourites, newest first, paged by the mark's id."""
    if table not in ("bookmarks", "favourites"):
        raise ValueError(table)
    rows = await db.fetch(
        f"SELECT m.id AS mark_id, {SELECT_STATUS[len('SELECT '):]} JOIN {table} m ON m.status_id = s.id"
        f" WHERE m.account_id = $1 AND {visible_to('$1')} AND {page.where('m.id', 2)}"
        f" ORDER BY {page.order('m.id')} LIMIT $5",
        account_id, *page.args, page.limit,
    )
    return page.newest_first([Paged(r["mark_id"], status_from_row(r)) for r in rows])


async def pinned(db: Executor, account_id: int, viewer_id: int | None) -> list[Status]:
    rows = await db.fetch(
        f"{SELECT_STATUS} JOIN pins p ON p.status_id = s.id WHERE p.account_id = $1 AND s.account_id = $1"
        f" AND {visible_to('$2::bigint')} ORDER BY p.id DESC",
        account_id, viewer_id,
    )
    return [status_from_row(r) for r in rows]


async def bookmarked(db: Executor, account_id: int) -> list[tuple[str | None, str, int]]:
    """The member's bookmarks, oldest first: the post's uri (None for local posts), author username, id."""
    rows = await db.fetch(
        "SELECT s.uri, a.username, s.id FROM bookmarks b JOIN statuses s ON s.id = b.status_id"
        " JOIN accounts a ON a.id = s.account_id WHERE b.account_id = $1 AND s.deleted_at IS NULL ORDER BY b.id",
        account_id)
    return [(r["uri"], r["username"], r["id"]) for r in rows]
