"""A member's notification policy (Mastodon 4.3): which senders' notifications are accepted,
filtered into requests, or dropped; and their answers to those requests."""

from __future__ import annotations

import asyncpg

from server.errors import Invalid, NotFound
from server.store import notifications as notifications_store

CHOICES = ("accept", "filter", "drop")


async def change(pool: asyncpg.Pool, account_id: int, values: dict[str, str]) -> None:
    for key, value in values.items():
        if key not in notifications_store.POLICY_KEYS:
            raise Invalid(f"Unknown policy {key}", field=key)
        if value not in CHOICES:
            raise Invalid(f"{key} must be accept, filter or drop", field=key)
    if values:
        await notifications_store.set_policy(pool, account_id, values)


async def answer(pool: asyncpg.Pool, account_id: int, sender_id: int, *, accept: bool) -> None:
    async with pool.acquire() as conn, conn.transaction():
        if not await notifications_store.answer_request(conn, account_id, sender_id, accept):
            raise NotFound("There is no such notification request.")
