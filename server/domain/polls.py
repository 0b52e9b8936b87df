"""Voting in polls: once per member, before the poll closes; votes on remote polls are sent to their author."""

from __future__ import annotations

from datetime import datetime, timezone

import asyncpg

from federation import outbound
from server.errors import Invalid, NotFound
from server.models import Account
from server.store import statuses as statuses_store
from server.urls import Urls


async def vote(pool: asyncpg.Pool, urls: Urls, voter: Account, status_id: int, choices: list[int]) -> None:
    async with pool.acquire() as conn, conn.transaction():
        status = await statuses_store.get_visible(conn, status_id, voter.id)
        if status is None or not status.poll:
            raise NotFound("Record not found")
        poll = status.poll
        options = poll.get("options", [])
        closed = poll.get("closed_at")
        if closed and datetime.fromisoformat(closed) <= datetime.now(timezone.utc):
            raise Invalid("The poll has already ended")
        if status.author.id == voter.id:
            raise Invalid("You cannot vote in your own poll")
        if not choices or len(set(choices)) != len(choices) or any(not 0 <= c < len(options) for c in choices):
            raise Invalid("Choose one of the poll's options")
        if len(choices) > 1 and not poll.get("multiple"):
            raise Invalid("This poll allows only one choice")
        if await conn.fetchval("SELECT 1 FROM poll_votes WHERE status_id = $1 AND account_id = $2", status_id, voter.id):
            raise Invalid("You have already voted on this poll")
        await conn.executemany(
            "INSERT INTO poll_votes (status_id, account_id, choice) VALUES ($1, $2, $3)",
            [(status_id, voter.id, c) for c in choices],
        )
        if not status.is_local:
            await outbound.poll_voted(conn, urls, voter, status, [options[c]["title"] for c in choices])
