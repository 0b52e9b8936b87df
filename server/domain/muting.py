"""Muting an account: one set of rules for the web UI and the API."""

from __future__ import annotations

import asyncpg

from server.errors import Invalid
from server.models import Account
from server.store import mutes as mutes_store

MAX_MUTE_SECONDS = 10 * 365 * 86400


async def mute(pool: asyncpg.Pool, member: Account, target: Account, *, notifications: bool = True,
               seconds: int | None = None) -> None:
    """Hide the target's posts from the member (and its notifications, unless `notifications` is
    false) for `seconds`, or until unmuted. Muting yourself is refused, as Mastodon does."""
    if target.id == member.id:
        raise Invalid("You cannot mute yourself.")
    if seconds is not None and not 0 < seconds <= MAX_MUTE_SECONDS:
        raise Invalid("A mute lasts between a second and ten years.", field="duration")
    await mutes_store.mute(pool, member.id, target.id, notifications, seconds)


async def unmute(pool: asyncpg.Pool, member: Account, target: Account) -> None:
    await mutes_store.unmute(pool, member.id, target.id)
