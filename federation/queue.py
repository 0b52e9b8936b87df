"""The PostgreSQL job queue under inbound activities and outgoing deliveries.

Both tables share the columns `state, attempts, next_attempt_at, locked_until, last_error`.
A worker claims a batch with a lease in one short statement (FOR UPDATE SKIP LOCKED, so several
workers on several machines never hold the same item), does its network work outside any
transaction, then records the outcome. A worker that dies simply lets its lease run out, and
the item is claimed again: work survives crashes and restarts because it lives in PostgreSQL.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import asyncpg

QUEUES = ("inbox_items", "deliveries", "mail_outbox", "import_rows", "archives", "push_deliveries",
          "scheduled_statuses", "card_fetches")
NOTIFY_CHANNEL = "kith_queue"
LEASE = timedelta(minutes=5)
FIRST_RETRY = 30.0  # seconds
MAX_RETRY = 6 * 3600.0
GIVE_UP_AFTER = timedelta(days=3)  # comfortably beyond the 48 hours a peer may be down


@dataclass(frozen=True)
class Job:
    id: int
    attempts: int
    row: asyncpg.Record


def _table(name: str) -> str:
    if name not in QUEUES:
        raise ValueError(f"unknown queue {name!r}")
    return name


async def claim(db: asyncpg.Pool | asyncpg.Connection, queue: str, columns: str, limit: int,
                *, where: str = "TRUE", args: tuple[Any, ...] = ()) -> list[Job]:
    """Lease up to `limit` due items; `where` may narrow the choice (it sees the table as `q`)."""
    table = _table(queue)
    rows = await db.fetch(
        f"UPDATE {table} SET locked_until = now() + $1::interval, attempts = attempts + 1"
        f" WHERE id IN (SELECT q.id FROM {table} q WHERE q.state = 'pending' AND q.next_attempt_at <= now()"
        f"   AND (q.locked_until IS NULL OR q.locked_until < now()) AND ({where})"
        f"   ORDER BY q.next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED)"
        f" RETURNING id, attempts, {columns}",
        LEASE,
        limit,
        *args,
    )
    return [Job(r["id"], r["attempts"], r) for r in rows]


async def done(db: asyncpg.Pool | asyncpg.Connection, queue: str, job_id: int) -> None:
    await db.execute(
        f"UPDATE {_table(queue)} SET state = 'done', locked_until = NULL, last_error = NULL WHERE id = $1", job_id
    )


async def dead(db: asyncpg.Pool | asyncpg.Connection, queue: str, job_id: int, error: str) -> None:
    """Give up on the item for good, keeping why."""
    await db.execute(
        f"UPDATE {_table(queue)} SET state = 'dead', locked_until = NULL, last_error = $2 WHERE id = $1",
        job_id,
        error[:1000],
    )


def backoff(attempts: int) -> float:
    """Seconds before the next try: exponential from 30 s, capped at 6 h, with ±25 % jitter."""
    delay = min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), MAX_RETRY)
    return delay * random.uniform(0.75, 1.25)


async def retry(db: asyncpg.Pool | asyncpg.Connection, queue: str, job_id: int, error: str,
                delay: float, *, created_column: str) -> bool:
    """Schedule another try in `delay` seconds, or give up if the item is older than GIVE_UP_AFTER.

    Returns False when it gave up.
    """
    table = _table(queue)
    row = await db.fetchrow(
        f"UPDATE {table} SET"
        f" state = CASE WHEN {created_column} < now() - $4::interval THEN 'dead' ELSE 'pending' END,"
        " next_attempt_at = now() + make_interval(secs => $3), locked_until = NULL, last_error = $2"
        " WHERE id = $1 RETURNING state",
        job_id,
        error[:1000],
        delay,
        GIVE_UP_AFTER,
    )
    return row is not None and row["state"] == "pending"


async def notify(db: asyncpg.Pool | asyncpg.Connection, queue: str) -> None:
    """Wake the workers (delivered at commit when called inside a transaction)."""
    await db.execute("SELECT pg_notify($1, $2)", NOTIFY_CHANNEL, _table(queue))


# When each queue's items were made (the inbox keeps when it received them); a scheduled post's age
# is how overdue it is, since it waits on purpose until its time.
_BORN = {name: "created_at" for name in QUEUES} | {"inbox_items": "received_at",
                                                  "scheduled_statuses": "least(next_attempt_at, now())"}


async def backlog(db: asyncpg.Pool | asyncpg.Connection) -> dict[str, tuple[int, float]]:
    """(items not yet done, age in seconds of the oldest) per queue, for /metrics and the admin pages."""
    rows = await db.fetch(" UNION ALL ".join(
        f"SELECT '{name}' AS queue, count(*) AS depth,"
        f" coalesce(extract(epoch FROM now() - min({_BORN[name]})), 0)::float8 AS oldest"
        f" FROM {name} WHERE state = 'pending'" for name in QUEUES))
    return {r["queue"]: (r["depth"], r["oldest"]) for r in rows}
