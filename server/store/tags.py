"""Hashtags by name."""

from __future__ import annotations

from server.store.accounts import Executor
from server.store.paging import Page, Paged


async def search_tags(db: Executor, prefix: str, limit: int) -> list[str]:
    rows = await db.fetch(
        "SELECT name FROM tags WHERE lower(name) LIKE lower($1) || '%' ORDER BY length(name), name LIMIT $2",
        prefix.replace("%", "").replace("_", r"\_"), limit,
    )
    return [r["name"] for r in rows]


async def follow(db: Executor, account_id: int, name: str) -> str:
    """Follow the hashtag (made if new); its name as stored."""
    stored = await db.fetchval(
        "WITH made AS (INSERT INTO tags (name) VALUES ($2) ON CONFLICT (lower(name)) DO NOTHING RETURNING id, name),"
        " tag AS (SELECT id, name FROM made UNION ALL SELECT id, name FROM tags WHERE lower(name) = lower($2) LIMIT 1),"
        " followed AS (INSERT INTO followed_tags (account_id, tag_id) SELECT $1, id FROM tag ON CONFLICT DO NOTHING)"
        " SELECT name FROM tag", account_id, name)
    return stored or name


async def unfollow(db: Executor, account_id: int, name: str) -> None:
    await db.execute("DELETE FROM followed_tags f USING tags t WHERE f.tag_id = t.id AND f.account_id = $1"
                     " AND lower(t.name) = lower($2)", account_id, name)


async def following(db: Executor, account_id: int, names: list[str]) -> set[str]:
    """Which of these hashtags (lower-cased) the member follows."""
    rows = await db.fetch("SELECT lower(t.name) AS name FROM followed_tags f JOIN tags t ON t.id = f.tag_id"
                          " WHERE f.account_id = $1 AND lower(t.name) = ANY($2::text[])",
                          account_id, [n.lower() for n in names])
    return {r["name"] for r in rows}


async def followed(db: Executor, account_id: int, page: Page) -> list[Paged[str]]:
    """The hashtags the member follows, newest follow first (paged by the follow)."""
    rows = await db.fetch(
        f"SELECT f.id, t.name FROM followed_tags f JOIN tags t ON t.id = f.tag_id WHERE f.account_id = $1"
        f" AND {page.where('f.id', 2)} ORDER BY {page.order('f.id')} LIMIT $5",
        account_id, *page.args, page.limit)
    return page.newest_first([Paged(r["id"], r["name"]) for r in rows])


async def local_followers_of_status(db: Executor, status_id: int) -> list[int]:
    """Members here who follow one of the status's hashtags."""
    rows = await db.fetch(
        "SELECT DISTINCT f.account_id FROM status_tags st JOIN followed_tags f ON f.tag_id = st.tag_id"
        " JOIN accounts a ON a.id = f.account_id WHERE st.status_id = $1 AND a.domain IS NULL", status_id)
    return [r["account_id"] for r in rows]


async def any_followed(db: Executor, names: list[str]) -> bool:
    """Whether any member here follows one of these hashtags."""
    return bool(await db.fetchval(
        "SELECT 1 FROM followed_tags f JOIN tags t ON t.id = f.tag_id WHERE lower(t.name) = ANY($1::text[]) LIMIT 1",
        [n.lower() for n in names]))


async def feature(db: Executor, account_id: int, name: str) -> int:
    """Feature the hashtag (made if new) on the member's profile; the feature's id."""
    return await db.fetchval(
        "WITH made AS (INSERT INTO tags (name) VALUES ($2) ON CONFLICT (lower(name)) DO NOTHING RETURNING id),"
        " tag AS (SELECT id FROM made UNION ALL SELECT id FROM tags WHERE lower(name) = lower($2) LIMIT 1),"
        " added AS (INSERT INTO featured_tags (account_id, tag_id) SELECT $1, id FROM tag"
        "  ON CONFLICT (account_id, tag_id) DO UPDATE SET account_id = EXCLUDED.account_id RETURNING id)"
        " SELECT id FROM added", account_id, name)


async def unfeature(db: Executor, account_id: int, feature_id: int) -> bool:
    return await db.fetchval("DELETE FROM featured_tags WHERE id = $1 AND account_id = $2 RETURNING true",
                             feature_id, account_id) is not None


async def featured_count(db: Executor, account_id: int) -> int:
    return await db.fetchval("SELECT count(*) FROM featured_tags WHERE account_id = $1", account_id)


async def featured(db: Executor, account_id: int) -> list[dict]:
    """The member's featured hashtags with how many of their public posts carry each, and the latest's time."""
    rows = await db.fetch(
        "SELECT f.id, t.name, count(s.id) AS posts, max(s.created_at) AS last_at FROM featured_tags f"
        " JOIN tags t ON t.id = f.tag_id LEFT JOIN status_tags st ON st.tag_id = t.id"
        " LEFT JOIN statuses s ON s.id = st.status_id AND s.account_id = f.account_id AND s.deleted_at IS NULL"
        "  AND s.visibility IN ('public', 'unlisted')"
        " WHERE f.account_id = $1 GROUP BY f.id, t.name ORDER BY f.id", account_id)
    return [dict(r) for r in rows]


async def used_by(db: Executor, account_id: int, limit: int = 10) -> list[str]:
    """The hashtags the member used most, most used first (suggestions for featuring)."""
    rows = await db.fetch(
        "SELECT t.name FROM statuses s JOIN status_tags st ON st.status_id = s.id JOIN tags t ON t.id = st.tag_id"
        " WHERE s.account_id = $1 AND s.deleted_at IS NULL GROUP BY t.name ORDER BY count(*) DESC, t.name LIMIT $2",
        account_id, limit)
    return [r["name"] for r in rows]
