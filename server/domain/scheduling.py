"""Scheduled posts, as Mastodon has them: at least 5 minutes ahead, checked now as a post would be,
kept in a durable queue and published by the workers at their time (with their media and poll)."""

from __future__ import annotations

import dataclasses
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from federation import queue
from federation.fetch import mention_resolver
from federation.runtime import Federation
from server.domain import posting
from server.domain.instance import Settings
from server.errors import AppError, Invalid
from server.models import Account
from server.store import accounts as accounts_store
from server.store import media as media_store
from server.store import scheduled as scheduled_store

log = logging.getLogger(__name__)
MIN_AHEAD = timedelta(minutes=5)
MAX_PENDING = 300  # as Mastodon


def parse_time(raw: str) -> datetime:
    """An ISO 8601 time (UTC when it names no offset); Invalid when it is not one."""
    try:
        moment = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        raise Invalid("scheduled_at is not a valid time (ISO 8601, e.g. 2026-12-24T18:00:00Z).",
                      field="scheduled_at") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _check_time(at: datetime) -> None:
    if at < datetime.now(UTC) + MIN_AHEAD:
        raise Invalid("Scheduled at must be at least 5 minutes in the future", field="scheduled_at")


def params_of(post: posting.NewPost) -> dict[str, Any]:
    return dataclasses.asdict(post)


def post_of(params: dict[str, Any]) -> posting.NewPost:
    poll = params.get("poll")
    return posting.NewPost(**{**params, "poll": posting.NewPoll(**poll) if poll else None})


async def schedule(pool: asyncpg.Pool, member: Account, post: posting.NewPost, at: datetime,
                   max_chars: int) -> scheduled_store.Scheduled:
    """Keep the post for `at`, once it passes every check a post passes now."""
    _check_time(at)
    posting.validate(post, max_chars)
    for media_id in post.media_ids:
        if await media_store.get_unattached(pool, media_id, member.id) is None:
            raise Invalid("Some attachments do not exist, are not yours, or are already used.", field="media_ids")
    async with pool.acquire() as conn, conn.transaction():
        if await scheduled_store.count_pending(conn, member.id) >= MAX_PENDING:
            raise Invalid(f"You can have at most {MAX_PENDING} scheduled posts.", field="scheduled_at")
        made = await scheduled_store.insert(conn, member.id, params_of(post), at)
        await queue.notify(conn, "scheduled_statuses")
    return made


async def reschedule(pool: asyncpg.Pool, member_id: int, scheduled_id: int, at: datetime
                     ) -> scheduled_store.Scheduled | None:
    _check_time(at)
    return await scheduled_store.reschedule(pool, member_id, scheduled_id, at)


class ScheduledRunner:
    """Publishes scheduled posts that are due, as their authors would have posted them then."""

    def __init__(self, fed: Federation) -> None:
        self.fed = fed
        self.settings = Settings(fed.pool, fed.config)

    async def run_once(self, limit: int = 20) -> int:
        pool = self.fed.pool
        jobs = await queue.claim(pool, "scheduled_statuses", "account_id, params, created_at", limit)
        for job in jobs:
            author = await accounts_store.get_by_id(pool, job.row["account_id"])
            try:
                if author is None or author.suspended_at is not None:
                    raise Invalid("the author is gone")
                status_id = await posting.create_post(
                    pool, self.fed.urls, author, post_of(job.row["params"]),
                    (await self.settings.current()).max_post_chars, mention_resolver(self.fed))
            except (Invalid, AppError) as exc:  # no longer possible (media gone, limit lowered): kept with why
                await queue.dead(pool, "scheduled_statuses", job.id, exc.message)
            except Exception as exc:
                log.exception("scheduled post %s failed", job.id)
                await queue.retry(pool, "scheduled_statuses", job.id, f"{type(exc).__name__}: {exc}",
                                  queue.backoff(job.attempts), created_column="created_at")
            else:
                await scheduled_store.published(pool, job.id, status_id)
                await queue.done(pool, "scheduled_statuses", job.id)
        return len(jobs)
