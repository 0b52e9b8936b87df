"""Every query on favourites, blocks, tombstones and reports."""

from __future__ import annotations

from server.store.accounts import Executor
from server.store.statuses import visible_to


async def add_favourite(db: Executor, account_id: int, status_id: int, uri: str | None = None) -> bool:
    made = await db.fetchval(
        "INSERT INTO favourites (account_id, status_id, uri) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING id",
        account_id, status_id, uri,
    )
    return made is not None


async def remove_favourite(db: Executor, account_id: int, status_id: int) -> bool:
    gone = await db.fetchval(
        "DELETE FROM favourites WHERE account_id = $1 AND status_id = $2 RETURNING id", account_id, status_id
    )
    return gone is not None


async def remove_favourite_by_uri(db: Executor, account_id: int, uri: str) -> bool:
    gone = await db.fetchval("DELETE FROM favourites WHERE account_id = $1 AND uri = $2 RETURNING id", account_id, uri)
    return gone is not None




async def remove_favourites_of(db: Executor, account_id: int) -> None:
    await db.execute("DELETE FROM favourites WHERE account_id = $1", account_id)


async def interacted_with(db: Executor, status_id: int) -> list[int]:
    """Accounts that favourited or boosted the status (they hear of its edits)."""
    rows = await db.fetch(
        "SELECT DISTINCT account_id FROM favourites WHERE status_id = $1"
        " UNION SELECT account_id FROM statuses WHERE reblog_of_id = $1 AND deleted_at IS NULL",
        status_id,
    )
    return [r["account_id"] for r in rows]


async def add_block(db: Executor, account_id: int, target_id: int, uri: str | None = None) -> bool:
    made = await db.fetchval(
        "INSERT INTO blocks (account_id, target_account_id, uri) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"
        " RETURNING id",
        account_id, target_id, uri,
    )
    return made is not None


async def remove_block(db: Executor, account_id: int, target_id: int) -> bool:
    gone = await db.fetchval(
        "DELETE FROM blocks WHERE account_id = $1 AND target_account_id = $2 RETURNING id", account_id, target_id
    )
    return gone is not None


async def is_blocking(db: Executor, account_id: int, target_id: int) -> bool:
    """Whether `account_id` blocks `target_id`."""
    return bool(await db.fetchval(
        "SELECT 1 FROM blocks WHERE account_id = $1 AND target_account_id = $2", account_id, target_id
    ))


async def add_tombstone(db: Executor, uri: str) -> None:
    await db.execute("INSERT INTO tombstones (uri) VALUES ($1) ON CONFLICT DO NOTHING", uri)


async def is_tombstoned(db: Executor, uri: str) -> bool:
    return bool(await db.fetchval("SELECT 1 FROM tombstones WHERE uri = $1", uri))


async def summaries(db: Executor, status_ids: list[int], viewer_id: int | None) -> dict[int, dict[str, int | bool]]:
    """Counts and the viewer's own favourite/boost/bookmark/poll choices per status, for the buttons under each post."""
    rows = await db.fetch(
        "SELECT i.id,"
        # Only the replies this viewer may see: a visitor counts public and unlisted ones, as on Mastodon.
        f" (SELECT count(*) FROM statuses s WHERE s.in_reply_to_id = i.id AND {visible_to('$2')}) AS replies,"
        " (SELECT count(*) FROM statuses b WHERE b.reblog_of_id = i.id AND b.deleted_at IS NULL) AS boosts,"
        " (SELECT count(*) FROM favourites f WHERE f.status_id = i.id) AS favourites,"
        " EXISTS (SELECT 1 FROM favourites f WHERE f.status_id = i.id AND f.account_id = $2) AS favourited,"
        " EXISTS (SELECT 1 FROM statuses b WHERE b.reblog_of_id = i.id AND b.account_id = $2"
        "         AND b.deleted_at IS NULL) AS boosted,"
        " EXISTS (SELECT 1 FROM bookmarks m WHERE m.status_id = i.id AND m.account_id = $2) AS bookmarked,"
        " ARRAY(SELECT v.choice FROM poll_votes v WHERE v.status_id = i.id AND v.account_id = $2"
        "       ORDER BY v.choice) AS choices"
        " FROM unnest($1::bigint[]) AS i(id)",
        status_ids,
        viewer_id,
    )
    return {r["id"]: {**dict(r), "voted": bool(r["choices"])} for r in rows}


async def blocked_rows(db: Executor, account_id: int) -> list[tuple[str, str | None]]:
    """Whom the member blocks, oldest first: username, domain."""
    rows = await db.fetch("SELECT a.username, a.domain FROM blocks b JOIN accounts a ON a.id = b.target_account_id"
                          " WHERE b.account_id = $1 ORDER BY b.id", account_id)
    return [(r["username"], r["domain"]) for r in rows]


async def favourited_uris(db: Executor, account_id: int) -> list[tuple[str | None, str, int]]:
    """The posts the member favourited, oldest first: uri (None for local posts), author username, id."""
    rows = await db.fetch(
        "SELECT s.uri, a.username, s.id FROM favourites f JOIN statuses s ON s.id = f.status_id"
        " JOIN accounts a ON a.id = s.account_id WHERE f.account_id = $1 AND s.deleted_at IS NULL ORDER BY f.id",
        account_id)
    return [(r["uri"], r["username"], r["id"]) for r in rows]
