"""Figures for the admins' dashboard that no other aggregate owns: posts per day, database size."""

from __future__ import annotations

from datetime import date

from server.store.accounts import Executor


async def local_posts_per_day(db: Executor, days: int) -> list[tuple[date, int]]:
    """Posts (not boosts) by members on each of the last `days` days, today last, in UTC."""
    rows = await db.fetch(
        "SELECT (d AT TIME ZONE 'UTC')::date AS day,"
        " (SELECT count(*) FROM statuses s JOIN accounts a ON a.id = s.account_id"
        "  WHERE a.domain IS NULL AND s.reblog_of_id IS NULL AND s.deleted_at IS NULL"
        "  AND s.created_at >= d AND s.created_at < d + interval '1 day') AS posts"
        " FROM generate_series(date_trunc('day', now(), 'UTC') - ($1 - 1) * interval '1 day',"
        "  date_trunc('day', now(), 'UTC'), interval '1 day') AS d ORDER BY d", days)
    return [(r["day"], r["posts"]) for r in rows]


async def database_bytes(db: Executor) -> int:
    return await db.fetchval("SELECT pg_database_size(current_database())")
