"""Where a member stopped reading each timeline (Mastodon's markers), kept for their apps."""

from __future__ import annotations

from typing import Any

from server.store.accounts import Executor


async def markers(db: Executor, account_id: int) -> dict[str, dict[str, Any]]:
    rows = await db.fetch("SELECT timeline, last_read_id, version, updated_at FROM markers WHERE account_id = $1",
                          account_id)
    return {r["timeline"]: dict(r) for r in rows}


async def set_marker(db: Executor, account_id: int, timeline: str, last_read_id: int) -> dict[str, Any]:
    row = await db.fetchrow(
        "INSERT INTO markers (account_id, timeline, last_read_id) VALUES ($1, $2, $3)"
        " ON CONFLICT (account_id, timeline) DO UPDATE SET last_read_id = EXCLUDED.last_read_id,"
        " version = markers.version + 1, updated_at = now() RETURNING last_read_id, version, updated_at",
        account_id, timeline, last_read_id,
    )
    return dict(row)


async def last_read(db: Executor, account_id: int, timeline: str) -> int | None:
    return await db.fetchval("SELECT last_read_id FROM markers WHERE account_id = $1 AND timeline = $2",
                             account_id, timeline)


async def advance(db: Executor, account_id: int, timeline: str, last_read_id: int) -> None:
    """Move the marker forward to `last_read_id` (never back: an old page marked read loses nothing)."""
    await db.execute(
        "INSERT INTO markers (account_id, timeline, last_read_id) VALUES ($1, $2, $3)"
        " ON CONFLICT (account_id, timeline) DO UPDATE SET last_read_id = EXCLUDED.last_read_id,"
        " version = markers.version + 1, updated_at = now() WHERE markers.last_read_id < EXCLUDED.last_read_id",
        account_id, timeline, last_read_id,
    )
