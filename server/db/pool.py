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


async def create_pool(dsn: str, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    """Open a pool; every connection decodes jsonb to Python values."""
    return await asyncpg.create_pool(dsn, min_size=min_size, max_size=max_size, init=_init_connection,
                                     connect=_connect)
