"""Every query on the peer hosts we deliver to, as the admins' federation page shows them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from server.store.accounts import Executor

# The page's sort orders: a column, and where missing values go.
SORTS = {
    "pending": "pending DESC, h.host",
    "host": "h.host",
    "last_success": "h.last_success_at DESC NULLS LAST, h.host",
    "last_failure": "h.last_failure_at DESC NULLS LAST, h.host",
    "software": "h.software NULLS LAST, h.host",
}


@dataclass(frozen=True)
class HostHealth:
    host: str
    pending: int
    last_success_at: datetime | None
    last_failure_at: datetime | None
    last_error: str | None
    unreachable_since: datetime | None  # the circuit breaker is open since then
    software: str | None
    software_version: str | None


async def health(db: Executor, sort: str, limit: int, offset: int) -> list[HostHealth]:
    rows = await db.fetch(
        "SELECT h.host, coalesce(p.pending, 0) AS pending, h.last_success_at, h.last_failure_at, h.last_error,"
        " h.unreachable_since, h.software, h.software_version FROM hosts h"
        " LEFT JOIN (SELECT host, count(*) AS pending FROM deliveries WHERE state = 'pending' GROUP BY host) p"
        f" ON p.host = h.host ORDER BY {SORTS[sort]} LIMIT $1 OFFSET $2", limit, offset)
    return [HostHealth(**dict(r)) for r in rows]


async def count(db: Executor) -> int:
    return await db.fetchval("SELECT count(*) FROM hosts")


async def exists(db: Executor, host: str) -> bool:
    return await db.fetchval("SELECT EXISTS (SELECT 1 FROM hosts WHERE host = $1)", host)


async def needing_nodeinfo(db: Executor, limit: int) -> list[str]:
    """Hosts whose software was never asked, or not for a week: those we reached first."""
    rows = await db.fetch(
        "SELECT host FROM hosts WHERE nodeinfo_checked_at IS NULL OR nodeinfo_checked_at < now() - interval '7 days'"
        " ORDER BY nodeinfo_checked_at NULLS FIRST, last_success_at DESC NULLS LAST LIMIT $1", limit)
    return [r["host"] for r in rows]


async def set_software(db: Executor, host: str, name: str | None, version: str | None) -> None:
    await db.execute("UPDATE hosts SET software = $2, software_version = $3, nodeinfo_checked_at = now()"
                     " WHERE host = $1", host, name, version)
