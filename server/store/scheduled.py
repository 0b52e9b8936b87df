"""Every query on scheduled posts (the rows are a queue: federation/queue.py, due at their time)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from server.store.accounts import Executor
from server.store.paging import Page


class Scheduled(NamedTuple):
    id: int
    account_id: int
    scheduled_at: datetime
    params: dict[str, Any]


_COLUMNS = "id, account_id, next_attempt_at, params"


async def insert(db: Executor, account_id: int, params: dict[str, Any], at: datetime) -> Scheduled:
    row = await db.fetchrow(f"INSERT INTO scheduled_statuses (account_id, params, next_attempt_at)"
                            f" VALUES ($1, $2, $3) RETURNING {_COLUMNS}", account_id, params, at)
    return Scheduled(*row)


async def count_pending(db: Executor, account_id: int) -> int:
    return await db.fetchval("SELECT count(*) FROM scheduled_statuses WHERE account_id = $1 AND state = 'pending'",
                             account_id)


async def of_account(db: Executor, account_id: int, page: Page) -> list[Scheduled]:
    rows = await db.fetch(
        f"SELECT {_COLUMNS} FROM scheduled_statuses WHERE account_id = $1 AND state = 'pending'"
        f" AND {page.where('id', 2)} ORDER BY {page.order('id')} LIMIT $5", account_id, *page.args, page.limit)
    return page.newest_first([Scheduled(*r) for r in rows])


async def get(db: Executor, account_id: int, scheduled_id: int) -> Scheduled | None:
    row = await db.fetchrow(f"SELECT {_COLUMNS} FROM scheduled_statuses WHERE id = $1 AND account_id = $2"
                            " AND state = 'pending'", scheduled_id, account_id)
    return Scheduled(*row) if row else None


async def reschedule(db: Executor, account_id: int, scheduled_id: int, at: datetime) -> Scheduled | None:
    row = await db.fetchrow(f"UPDATE scheduled_statuses SET next_attempt_at = $3 WHERE id = $1 AND account_id = $2"
                            f" AND state = 'pending' RETURNING {_COLUMNS}", scheduled_id, account_id, at)
    return Scheduled(*row) if row else None


async def delete(db: Executor, account_id: int, scheduled_id: int) -> bool:
    return await db.fetchval("DELETE FROM scheduled_statuses WHERE id = $1 AND account_id = $2 AND state = 'pending'"
                             " RETURNING true", scheduled_id, account_id) is not None


async def published(db: Executor, scheduled_id: int, status_id: int) -> None:
    await db.execute("UPDATE scheduled_statuses SET status_id = $2 WHERE id = $1", scheduled_id, status_id)
