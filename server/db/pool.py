"""The asyncpg pool, with a jsonb codec so AS2 documents travel as Python dicts."""

from __future__ import annotations

import json

import asyncpg


async def _init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def create_pool(dsn: str, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    """Open a pool; every connection decodes jsonb to Python values."""
    return await asyncpg.create_pool(dsn, min_size=min_size, max_size=max_size, init=_init_connection)
