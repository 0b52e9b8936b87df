"""Hashtags by name."""

from __future__ import annotations

from server.store.accounts import Executor


async def search_tags(db: Executor, prefix: str, limit: int) -> list[str]:
    rows = await db.fetch(
        "SELECT name FROM tags WHERE lower(name) LIKE lower($1) || '%' ORDER BY length(name), name LIMIT $2",
        prefix.replace("%", "").replace("_", r"\_"), limit,
    )
    return [r["name"] for r in rows]
