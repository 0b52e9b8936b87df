"""The PostgreSQL job queue under inbound activities and outgoing deliveries.

Both tables share the columns `state, attempts, next_attempt_at, locked_until, last_error`.
A worker claims a batch with a lease in one short statement (FOR UPDATE SKIP LOCKED, so several
workers on several machines never hold the same item), does its network work outside any
transaction, then records the outcome. Each worker process beats a heartbeat; the items of one
that died (its heartbeat silent for PRESUMED_DEAD) are claimed again at once, and a lease that
runs out frees an item whatever happened: work survives crashes and restarts because it lives in
PostgreSQL. An item being worked on when its process died may be done twice; receivers'
idempotency (activity ids) makes that harmless.
"""

from __future__ import annotations

import os
import random
import secrets
import socket
from dataclasses import dataclass
from datetime import timedelta

import asyncpg

QUEUES = ("inbox_items", "deliveries", "mail_outbox", "import_rows", "archives", "push_deliveries",
          "scheduled_statuses", "card_fetches")
NOTIFY_CHANNEL = "kith_queue"
LEASE = timedelta(minutes=5)  # how long a live process may hold an item it is working on
HEARTBEAT_SECONDS = 5.0
PRESUMED_DEAD = timedelta(seconds=20)  # a process whose heartbeat is this old holds nothing any more
_process_ids: dict[int, str] = {}


def process_id() -> str:
    """This process' name in `locked_by` (made anew in a forked child, whose pid differs)."""
    pid = os.getpid()
    if pid not in _process_ids:
        _process_ids[pid] = f"{socket.gethostname()}/{pid}/{secrets.token_hex(4)}"
    return _process_ids[pid]
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
                *, fresh: int = 0) -> list[Job]:
    """Lease up to `limit` due items to this process: those nobody holds, whose lease ran out, or
    whose holder stopped beating (it died). The longest due go first, except that `fresh` of them
    are the most recently due, so that new work does not wait behind a backlog (both ends of the
    same index, `next_attempt_at`)."""
    table = _table(queue)
    due = (f"SELECT q.id FROM {table} q WHERE q.state = 'pending' AND q.next_attempt_at <= now()"
           "  AND (q.locked_until IS NULL OR q.locked_until < now()"
           "   OR q.locked_by IN (SELECT w.id FROM worker_processes w WHERE w.seen_at < now() - $4::interval))")
    fresh = min(fresh, limit)
    rows = await db.fetch(
        f"WITH oldest AS ({due} ORDER BY q.next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED),"
        f" newest AS ({due} AND q.id NOT IN (SELECT id FROM oldest)"  # ties (a post's deliveries) may sort alike
        "  ORDER BY q.next_attempt_at DESC LIMIT $5 FOR UPDATE SKIP LOCKED)"
        f" UPDATE {table} SET locked_until = now() + $1::interval, locked_by = $3, attempts = attempts + 1"
        " WHERE id IN (SELECT id FROM oldest UNION SELECT id FROM newest)"
        f" RETURNING id, attempts, {columns}",
        LEASE,
        limit - fresh,
        process_id(),
        PRESUMED_DEAD,
        fresh,
    )
    return [Job(r["id"], r["attempts"], r) for r in rows]


async def beat(db: asyncpg.Pool | asyncpg.Connection) -> None:
    """This process is alive (the workers call it every HEARTBEAT_SECONDS); long-dead ones are forgotten."""
    await db.execute("INSERT INTO worker_processes (id) VALUES ($1) ON CONFLICT (id) DO UPDATE SET seen_at = now()",
                     process_id())
    await db.execute("DELETE FROM worker_processes WHERE seen_at < now() - interval '1 day'")


async def release(db: asyncpg.Pool | asyncpg.Connection) -> None:
    """Hand back what this process holds, so that it is taken again at once: at a clean stop, and
    after a pass that lost the database midway (its outcomes could not be recorded)."""
    for table in QUEUES:
        await db.execute(f"UPDATE {table} SET locked_until = NULL, locked_by = NULL"
                         " WHERE locked_by = $1 AND state = 'pending'", process_id())


async def stopped(db: asyncpg.Pool | asyncpg.Connection) -> None:
    await release(db)
    await db.execute("DELETE FROM worker_processes WHERE id = $1", process_id())


async def done(db: asyncpg.Pool | asyncpg.Connection, queue: str, job_id: int) -> None:
    await db.execute(
        f"UPDATE {_table(queue)} SET state = 'done', done_at = now(), locked_until = NULL, last_error = NULL"
        " WHERE id = $1", job_id
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


async def last_hour(db: asyncpg.Pool | asyncpg.Connection, queue: str) -> list[tuple[int, int]]:
    """(items that arrived, items done) in each of the last hour's six 10-minute slices, oldest first."""
    table = _table(queue)
    rows = await db.fetch(
        f"SELECT s.slice, (SELECT count(*) FROM {table} WHERE {_BORN[queue]} >= s.start AND {_BORN[queue]} < s.start"
        f" + interval '10 minutes') AS arrived, (SELECT count(*) FROM {table} WHERE done_at >= s.start"
        "  AND done_at < s.start + interval '10 minutes') AS done"
        " FROM (SELECT n AS slice, now() - interval '1 hour' + n * interval '10 minutes' AS start"
        "  FROM generate_series(0, 5) AS n) s ORDER BY s.slice")
    return [(r["arrived"], r["done"]) for r in rows]
