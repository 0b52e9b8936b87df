"""Every query on members' archives (the rows are a queue: federation/queue.py)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple

from server.store.accounts import Executor


async def request(db: Executor, account_id: int) -> int | None:
    """Queue a new archive, unless one is already being built; its id (None when one is)."""
    return await db.fetchval(
        "INSERT INTO archives (account_id) SELECT $1 WHERE NOT EXISTS (SELECT 1 FROM archives"
        " WHERE account_id = $1 AND state = 'pending') RETURNING id", account_id)


async def account_of(db: Executor, archive_id: int) -> int | None:
    return await db.fetchval("SELECT account_id FROM archives WHERE id = $1", archive_id)


async def finished(db: Executor, archive_id: int, file_name: str, size: int) -> None:
    await db.execute("UPDATE archives SET file_name = $2, size_bytes = $3, finished_at = now() WHERE id = $1",
                     archive_id, file_name, size)


class ArchiveView(NamedTuple):
    id: int
    state: str
    created_at: datetime
    finished_at: datetime | None
    file_name: str | None
    size_bytes: int | None
    last_error: str | None


async def of_account(db: Executor, account_id: int, kept: timedelta) -> list[ArchiveView]:
    """The member's archives still kept (or still being built), newest first."""
    rows = await db.fetch(
        "SELECT id, state, created_at, finished_at, file_name, size_bytes, last_error FROM archives"
        " WHERE account_id = $1 AND (finished_at IS NULL OR finished_at > now() - $2::interval)"
        " ORDER BY id DESC LIMIT 10", account_id, kept)
    return [ArchiveView(*r) for r in rows]


async def expired_files(db: Executor, kept: timedelta) -> list[str]:
    """Forget archives kept long enough; their file names, to delete."""
    rows = await db.fetch(
        "WITH old AS (SELECT id, file_name FROM archives WHERE file_name IS NOT NULL"
        " AND finished_at < now() - $1::interval FOR UPDATE)"
        " UPDATE archives a SET file_name = NULL FROM old WHERE a.id = old.id RETURNING old.file_name", kept)
    return [r["file_name"] for r in rows]
