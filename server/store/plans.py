"""Queries run with PostgreSQL's generic plan: planned once per connection, not on every call."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg

from server.store.accounts import Executor


async def fetch_generic(db: Executor, sql: str, *args: Any) -> list[asyncpg.Record]:
    """`db.fetch(sql, *args)`, executed with the statement's generic plan.

    asyncpg prepares every statement, and PostgreSQL then decides at each execution whether to plan
    it again for the values given (a custom plan) or reuse a plan made for any value (the generic
    plan). It keeps planning custom plans while the generic plan's estimated cost is higher than
    theirs, and for a feed query it always is: `LIMIT $n` with an unknown n is estimated at a tenth
    of the rows, so the generic plan looks a hundred times dearer than it is. A feed query joins
    and anti-joins a dozen tables (visible_to, mutes, hidden domains, exclusive lists), so planning
    it costs more than running it: the home feed at 1M posts took 3.6-4 ms to plan and 0.3 ms to
    run. Its generic plan is the same plan (walk the reader's feed backwards by id, probe each
    condition per row, stop at the limit), because the bounds are written into the statement only
    when given (paging.optional): each combination is its own statement with its own generic plan.
    Use it only for a statement whose generic plan was checked on a large database: the home feed's
    unread count, for one, gets a generic plan that takes 13 ms where its custom plan takes 0.2 ms
    (plus 1.7 ms of planning), because it cannot tell a recent marker from an old one.

    `plan_cache_mode` is a setting, so it is set with SET LOCAL in a short transaction of its own
    (read only; nothing to flush at commit) and never outlives it: pool connections carry no session
    state (db/pool.py). On a connection the caller holds (perhaps in its own transaction, which the
    setting would outlast) the statement runs as usual.
    """
    async with generic_plans(db) as conn:
        return await conn.fetch(sql, *args)


@asynccontextmanager
async def generic_plans(db: Executor) -> AsyncIterator[Executor]:
    """A connection on which statements run with their generic plans (see fetch_generic), for a
    few statements in a row: BEGIN and SET LOCAL go in one round trip, COMMIT in another."""
    if not isinstance(db, asyncpg.Pool):  # a caller's connection: statements run as usual
        yield db
        return
    async with db.acquire() as conn:
        await conn.execute("BEGIN READ ONLY; SET LOCAL plan_cache_mode = force_generic_plan")
        try:
            yield conn
        except Exception:  # a statement failed, or our code between two: end the transaction here
            if not conn.is_closed():
                await conn.execute("ROLLBACK")
            raise
        # (A cancelled request leaves it open: the pool rolls back whatever a connection comes back with.)
        await conn.execute("COMMIT")
