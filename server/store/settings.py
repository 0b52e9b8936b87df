"""Instance-wide values kept in the database (secrets now; admin-editable settings later)."""

from __future__ import annotations

import secrets
from typing import Any

from server.store.accounts import Executor


async def get(db: Executor, key: str) -> Any:
    return await db.fetchval("SELECT value FROM instance_settings WHERE key = $1", key)


async def get_or_create_secret(db: Executor, key: str) -> str:
    """A random secret made once and shared by every process using this database."""
    return await get_or_create(db, key, secrets.token_urlsafe(48))


async def get_or_create(db: Executor, key: str, value: str) -> str:
    """The stored value of `key`, or `value` stored now (the first process to store one wins)."""
    await db.execute(
        "INSERT INTO instance_settings (key, value) VALUES ($1, to_jsonb($2::text)) ON CONFLICT DO NOTHING",
        key, value,
    )
    return await get(db, key)


async def get_many(db: Executor, keys: list[str]) -> dict[str, Any]:
    rows = await db.fetch("SELECT key, value FROM instance_settings WHERE key = ANY($1::text[])", keys)
    return {r["key"]: r["value"] for r in rows}


async def set_many(db: Executor, values: dict[str, Any]) -> None:
    await db.executemany(
        "INSERT INTO instance_settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE"
        " SET value = EXCLUDED.value, updated_at = now()",
        list(values.items()),
    )
