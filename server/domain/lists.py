"""A member's lists of accounts they follow: the rules for making one and for who may join it."""

from __future__ import annotations

import asyncpg

from server.errors import Invalid, NotFound
from server.store import lists as lists_store

MAX_TITLE = 256
MAX_LISTS = 50  # per member, as Mastodon
REPLIES_POLICIES = ("followed", "list", "none")


def check(title: str | None, replies_policy: str | None) -> str:
    """The title, stripped, once the title and replies policy pass Mastodon's validations."""
    if title is None or not title.strip():
        raise Invalid("Title can't be blank", field="title")
    if len(title) > MAX_TITLE:
        raise Invalid(f"Title is too long (maximum is {MAX_TITLE} characters)", field="title")
    if replies_policy not in REPLIES_POLICIES:
        raise Invalid("Replies policy must be one of followed, list, none", field="replies_policy")
    return title.strip()


async def create(pool: asyncpg.Pool, owner_id: int, title: str | None, replies_policy: str, exclusive: bool
                 ) -> lists_store.ListRow:
    title = check(title, replies_policy)
    async with pool.acquire() as conn, conn.transaction():
        await lists_store.lock_owner(conn, owner_id)  # two creations at once cannot both pass the cap
        if await lists_store.count(conn, owner_id) >= MAX_LISTS:
            raise Invalid(f"You can have at most {MAX_LISTS} lists")
        return await lists_store.insert(conn, owner_id, title, replies_policy, exclusive)


async def update(pool: asyncpg.Pool, owner_id: int, list_id: int, title: str | None, replies_policy: str,
                 exclusive: bool) -> lists_store.ListRow | None:
    """The member's list with its new title and settings; None if they have no such list."""
    return await lists_store.update(pool, owner_id, list_id, check(title, replies_policy), replies_policy,
                                    exclusive)


async def add_members(pool: asyncpg.Pool, owner_id: int, list_id: int, account_ids: list[int]) -> None:
    """Only accounts the member follows may join a list, each once (Mastodon answers 422 otherwise)."""
    async with pool.acquire() as conn, conn.transaction():
        if await lists_store.existing_accounts(conn, account_ids) != set(account_ids):
            raise NotFound("Record not found")
        if await lists_store.followed(conn, owner_id, account_ids) != set(account_ids):
            raise Invalid("Account must be followed before it can be added to a list")
        if await lists_store.already_in(conn, list_id, account_ids):
            raise Invalid("Account has already been taken")
        await lists_store.add_members(conn, list_id, account_ids)
