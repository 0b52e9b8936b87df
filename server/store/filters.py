"""Every query on a member's filters (Mastodon's v2 filter groups) and their keywords."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from server.store.accounts import Executor

CONTEXTS = ("home", "notifications", "public", "thread", "account")
ACTIONS = ("warn", "hide")


@dataclass(frozen=True)
class Keyword:
    id: int
    filter_id: int
    keyword: str
    whole_word: bool


@dataclass(frozen=True)
class Filter:
    id: int
    title: str
    context: list[str]
    action: str
    expires_at: datetime | None
    keywords: list[Keyword] = field(default_factory=list)


_FILTER = "f.id, f.title, f.context, f.action, f.expires_at"
_KEYWORD = "k.id, k.filter_id, k.keyword, k.whole_word"


def _keyword(row) -> Keyword:
    return Keyword(row["id"], row["filter_id"], row["keyword"], row["whole_word"])


async def _with_keywords(db: Executor, rows) -> list[Filter]:
    ids = [r["id"] for r in rows]
    found: dict[int, list[Keyword]] = {i: [] for i in ids}
    if ids:
        for k in await db.fetch(f"SELECT {_KEYWORD} FROM filter_keywords k WHERE k.filter_id = ANY($1::bigint[])"
                                " ORDER BY k.id", ids):
            found[k["filter_id"]].append(_keyword(k))
    return [Filter(r["id"], r["title"], list(r["context"]), r["action"], r["expires_at"], found[r["id"]])
            for r in rows]


async def owned(db: Executor, owner_id: int) -> list[Filter]:
    rows = await db.fetch(f"SELECT {_FILTER} FROM filters f WHERE f.account_id = $1 ORDER BY f.id", owner_id)
    return await _with_keywords(db, rows)


async def get(db: Executor, owner_id: int, filter_id: int) -> Filter | None:
    """The filter if it is the owner's (someone else's filter is as good as missing)."""
    row = await db.fetchrow(f"SELECT {_FILTER} FROM filters f WHERE f.id = $1 AND f.account_id = $2",
                            filter_id, owner_id)
    return (await _with_keywords(db, [row]))[0] if row else None


async def active(db: Executor, owner_id: int, context: str) -> list[Filter]:
    """The owner's unexpired filters that apply in `context`, with their keywords."""
    rows = await db.fetch(
        f"SELECT {_FILTER} FROM filters f WHERE f.account_id = $1 AND $2 = ANY(f.context)"
        " AND (f.expires_at IS NULL OR f.expires_at > now()) ORDER BY f.id",
        owner_id, context,
    )
    return await _with_keywords(db, rows)


async def insert(db: Executor, owner_id: int, title: str, context: list[str], action: str,
                 expires_at: datetime | None) -> int:
    return await db.fetchval(
        "INSERT INTO filters (account_id, title, context, action, expires_at) VALUES ($1, $2, $3, $4, $5)"
        " RETURNING id",
        owner_id, title, context, action, expires_at,
    )


async def update(db: Executor, filter_id: int, title: str, context: list[str], action: str,
                 expires_at: datetime | None) -> None:
    await db.execute(
        "UPDATE filters SET title = $2, context = $3, action = $4, expires_at = $5 WHERE id = $1",
        filter_id, title, context, action, expires_at,
    )


async def delete(db: Executor, owner_id: int, filter_id: int) -> bool:
    done = await db.fetchval("DELETE FROM filters WHERE id = $1 AND account_id = $2 RETURNING id",
                             filter_id, owner_id)
    return done is not None


async def keyword(db: Executor, owner_id: int, keyword_id: int) -> Keyword | None:
    """A keyword of one of the owner's filters."""
    row = await db.fetchrow(
        f"SELECT {_KEYWORD} FROM filter_keywords k JOIN filters f ON f.id = k.filter_id"
        " WHERE k.id = $1 AND f.account_id = $2",
        keyword_id, owner_id,
    )
    return _keyword(row) if row else None


async def insert_keyword(db: Executor, filter_id: int, word: str, whole_word: bool) -> Keyword:
    row = await db.fetchrow(
        "INSERT INTO filter_keywords AS k (filter_id, keyword, whole_word) VALUES ($1, $2, $3)"
        f" RETURNING {_KEYWORD}",
        filter_id, word, whole_word,
    )
    return _keyword(row)


async def update_keyword(db: Executor, keyword_id: int, word: str, whole_word: bool) -> Keyword:
    row = await db.fetchrow(
        f"UPDATE filter_keywords AS k SET keyword = $2, whole_word = $3 WHERE k.id = $1 RETURNING {_KEYWORD}",
        keyword_id, word, whole_word,
    )
    return _keyword(row)


async def delete_keywords(db: Executor, filter_id: int, keyword_ids: list[int]) -> None:
    await db.execute("DELETE FROM filter_keywords WHERE filter_id = $1 AND id = ANY($2::bigint[])",
                     filter_id, keyword_ids)


async def lock(db: Executor, filter_id: int) -> None:
    """Hold the filter's row until the transaction ends (its keyword count is checked under it)."""
    await db.execute("SELECT 1 FROM filters WHERE id = $1 FOR UPDATE", filter_id)


async def keyword_count(db: Executor, filter_id: int) -> int:
    return await db.fetchval("SELECT count(*) FROM filter_keywords WHERE filter_id = $1", filter_id)
