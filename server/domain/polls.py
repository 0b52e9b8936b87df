"""Polls: voting (once per member, before the poll closes), and announcing results.

Votes on remote polls are sent to their author. A local poll's results go out as Update(Question)
to its audience: the workers send one per poll for all the votes since the last pass (Mastodon
debounces the same way) and a last one when it closes; then voters and the author are notified.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import asyncpg

from federation import outbound
from server.errors import Invalid, NotFound
from server.models import Account
from server.store import notifications as notifications_store
from server.store import polls as polls_store
from server.store import statuses as statuses_store
from server.urls import Urls

BATCH = 50


def is_closed(poll: dict[str, Any]) -> bool:
    closed = poll.get("closed_at")
    return bool(closed) and datetime.fromisoformat(closed) <= datetime.now(UTC)


async def vote(pool: asyncpg.Pool, urls: Urls, voter: Account, status_id: int, choices: list[int]) -> None:
    async with pool.acquire() as conn, conn.transaction():
        status = await statuses_store.get_visible(conn, status_id, voter.id)
        if status is None or not status.poll:
            raise NotFound("Record not found")
        poll = status.poll
        options = poll.get("options", [])
        if is_closed(poll):
            raise Invalid("The poll has already ended")
        if status.author.id == voter.id:
            raise Invalid("You cannot vote in your own poll")
        if not choices or len(set(choices)) != len(choices) or any(not 0 <= c < len(options) for c in choices):
            raise Invalid("Choose one of the poll's options")
        if len(choices) > 1 and not poll.get("multiple"):
            raise Invalid("This poll allows only one choice")
        if await polls_store.has_voted(conn, status_id, voter.id):
            raise Invalid("You have already voted on this poll")
        await polls_store.add_votes(conn, status_id, voter.id, choices, local_poll=status.is_local)
        if not status.is_local:
            await outbound.poll_voted(conn, urls, voter, status, [options[c]["title"] for c in choices])


async def remote_vote(pool: asyncpg.Pool, voter: Account, status_id: int, title: str) -> bool:
    """A remote account's vote (one option) on a local poll; False if there is no such open poll here.
    Raises Invalid when the vote names no option or breaks the poll's rules."""
    async with pool.acquire() as conn, conn.transaction():
        status = await statuses_store.get_for_moderation(conn, status_id)
        if status is None or not status.poll or not status.is_local:
            return False
        titles = [o.get("title") for o in status.poll.get("options", [])]
        if title not in titles:
            raise Invalid("the vote names no option of the poll")
        if is_closed(status.poll):
            raise Invalid("the poll has ended")
        if not status.poll.get("multiple") and await polls_store.has_voted(conn, status_id, voter.id):
            raise Invalid("this poll allows one choice, and the account has voted")
        await polls_store.add_votes(conn, status_id, voter.id, [titles.index(title)], local_poll=True)
        return True


async def announce_results(pool: asyncpg.Pool, urls: Urls) -> int:
    """One worker pass: send the results of local polls that changed, and handle polls that ended
    (their final results, and a `poll` notification to each member who voted and to a local author)."""
    done = 0
    async with pool.acquire() as conn, conn.transaction():
        for status_id in await polls_store.take_dirty(conn, BATCH):
            status = await statuses_store.get_for_moderation(conn, status_id)
            if status is not None and status.poll and not is_closed(status.poll):
                await outbound.poll_results(conn, urls, status)
                done += 1
    async with pool.acquire() as conn, conn.transaction():
        for status_id in await polls_store.take_ended(conn, BATCH):
            status = await statuses_store.get_for_moderation(conn, status_id)
            if status is None:
                continue
            if status.is_local:
                await outbound.poll_results(conn, urls, status)
                await notifications_store.add(conn, status.author.id, status.author.id, "poll", status_id)
            for voter_id in await polls_store.voter_ids(conn, status_id):
                await notifications_store.add(conn, voter_id, status.author.id, "poll", status_id)
            done += 1
    return done
