"""A member's private notes on accounts, and the accounts they endorse (feature on their profile),
as Mastodon has them: only followed accounts can be endorsed."""

from __future__ import annotations

import asyncpg

from server.errors import Invalid
from server.models import Account
from server.store import follows as follows_store
from server.store import relationships as relationships_store

MAX_NOTE = 2000


async def set_note(pool: asyncpg.Pool, member: Account, target: Account, comment: str) -> None:
    comment = comment.strip()
    if len(comment) > MAX_NOTE:
        raise Invalid(f"Comment is too long (maximum is {MAX_NOTE} characters)", field="comment")
    await relationships_store.set_note(pool, member.id, target.id, comment)


async def endorse(pool: asyncpg.Pool, member: Account, target: Account, *, on: bool = True) -> None:
    if on and await follows_store.state(pool, member.id, target.id) != "accepted":
        raise Invalid("You must be already following the account you want to feature", field="account")
    await relationships_store.endorse(pool, member.id, target.id, on)
