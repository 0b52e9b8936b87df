"""Queries run with PostgreSQL's generic plan: planned once per connection, not on every call."""

from __future__ import annotations

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
    if not isinstance(db, asyncpg.Pool):  # a caller's connection: run as usual
        return await db.fetch(sql, *args)
    async with db.acquire() as conn:
        return await _fetch_generic(conn, sql, args)


async def _fetch_generic(conn: asyncpg.Connection, sql: str, args: tuple[Any, ...]) -> list[asyncpg.Record]:
    # BEGIN and SET LOCAL in one round trip (asyncpg's transaction() takes one for each). Should the
    # query fail, the transaction is ended here; should the request be cancelled or the connection
    # fail, the pool rolls back whatever transaction a connection comes back with.
    await conn.execute("BEGIN READ ONLY; SET LOCAL plan_cache_mode = force_generic_plan")
    try:
        rows = await conn.fetch(sql, *args)
    except asyncpg.PostgresError:
        await conn.execute("ROLLBACK")
        raise
    await conn.execute("COMMIT")
    return rows
