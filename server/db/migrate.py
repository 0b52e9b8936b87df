"""Apply the numbered SQL files in migrations/ once each, safely from several processes at once."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import asyncpg

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_NAME_RE = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
# Any constant works; it only has to be the same in every Kith process.
_LOCK_ID = 0x6B697468


def migration_files() -> list[tuple[int, Path]]:
    """The migration files, in order; a badly named file is an error, not silently skipped."""
    found = []
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        match = _NAME_RE.match(path.name)
        if not match:
            raise RuntimeError(f"migration file name must look like 0001_name.sql: {path.name}")
        found.append((int(match.group(1)), path))
    return found


async def migrate(conn: asyncpg.Connection) -> list[int]:
    """Bring the schema up to date; returns the versions applied now."""
    await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_ID)
    try:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version integer PRIMARY KEY, name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations")}
        applied = []
        for version, path in migration_files():
            if version in done:
                continue
            log.info("applying migration %s", path.name)
            async with conn.transaction():
                await conn.execute(path.read_text(encoding="utf-8"))
                await conn.execute(
                    "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", version, path.name
                )
            applied.append(version)
        return applied
    finally:
        try:
            await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_ID)
        except BaseException:
            # A pool connection is handed back without a reset (server/db/pool.py): one still
            # holding the lock must never be reused, or every later migration would wait forever.
            conn.terminate()
            raise


async def missing(conn: asyncpg.Connection | asyncpg.Pool) -> list[int]:
    """The migration versions this code has that the database has not applied (none when current)."""
    done = {r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations")}
    return [version for version, _ in migration_files() if version not in done]
