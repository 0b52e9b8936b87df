"""The asyncpg pool, with a jsonb codec so AS2 documents travel as Python dicts."""

from __future__ import annotations

import json
from typing import Any

import asyncpg

CONNECT_TIMEOUT = 10.0  # seconds: a database restarting must not hold a request or a worker pass for a minute


class CannotConnect(ConnectionError):
    """The database could not be reached at all (refused, its socket gone, timed out)."""


# What a database that is restarting or out of reach raises: the request or the worker pass waits
# and tries again (503 for a request), never half-applies or loses anything.
UNAVAILABLE = (CannotConnect, asyncpg.InterfaceError, asyncpg.PostgresConnectionError,
               asyncpg.exceptions.OperatorInterventionError)


async def _connect(*args: Any, **kwargs: Any) -> asyncpg.Connection:
    kwargs.setdefault("timeout", CONNECT_TIMEOUT)
    try:
        return await asyncpg.connect(*args, **kwargs)
    except (OSError, TimeoutError) as exc:  # a connection failure, not a file or disk error of ours
        raise CannotConnect(f"cannot connect to the database: {exc}") from exc


async def _init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def _no_session_reset(conn: asyncpg.Connection) -> None:
    """What the pool does to a connection given back, besides what asyncpg always does (roll back
    a transaction left open, drop `add_listener` callbacks): nothing.

    asyncpg's default sends `SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL;`,
    a round trip on every release, and most statements here are `pool.fetch(...)`, each an acquire
    and a release (about 11 extra round trips to render a home timeline). It is safe to skip because
    no code leaves session state on a pool connection:
    - advisory locks: the stores take `pg_advisory_xact_lock` (released at commit or rollback);
      the one session lock, the migration runner's, is released in its `finally`, and the
      connection is terminated (never reused) when that release fails;
    - LISTEN: the streaming hub and the workers listen on connections of their own
      (`asyncpg.connect`), never on the pool's;
    - cursors: none are declared (`CLOSE ALL` has nothing to close; a cursor without HOLD ends
      with its transaction anyway);
    - settings: no `SET` outside a transaction (`SET LOCAL` ends with it), no temporary tables.
    Code that ever needs one of these must use its own connection or undo it before release.
    """


async def create_pool(dsn: str, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    """Open a pool; every connection decodes jsonb to Python values, and is handed back without a
    reset query (see `_no_session_reset`)."""
    return await asyncpg.create_pool(dsn, min_size=min_size, max_size=max_size, init=_init_connection,
                                     connect=_connect, reset=_no_session_reset)
