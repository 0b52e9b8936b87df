"""Every query on received activities (the inbox queue's rows)."""

from __future__ import annotations

from typing import Any

from server.store.accounts import Executor


async def insert(db: Executor, activity_id: str, actor_uri: str, payload: dict[str, Any]) -> bool:
    """Keep a verified activity; False when the same id was received before (a no-op)."""
    made = await db.fetchval(
        "INSERT INTO inbox_items (activity_id, actor_uri, payload) VALUES ($1, $2, $3)"
        " ON CONFLICT (activity_id) DO NOTHING RETURNING id",
        activity_id,
        actor_uri,
        payload,
    )
    return made is not None
