"""Members following hashtags: public posts carrying one enter their home feed (see posting and
inbound, which add those followers to a post's readers)."""

from __future__ import annotations

import re

import asyncpg

from server.errors import Invalid
from server.store import tags as tags_store

NAME = re.compile(r"^\w{1,100}$")
MAX_FEATURED = 10  # as Mastodon


def check(name: str) -> str:
    name = name.strip().lstrip("#")
    if not NAME.match(name):
        raise Invalid("Name is not a valid hashtag")
    return name


async def follow(pool: asyncpg.Pool, account_id: int, name: str) -> str:
    return await tags_store.follow(pool, account_id, check(name))


async def unfollow(pool: asyncpg.Pool, account_id: int, name: str) -> None:
    await tags_store.unfollow(pool, account_id, check(name))


async def feature(pool: asyncpg.Pool, account_id: int, name: str) -> int:
    name = check(name)
    async with pool.acquire() as conn, conn.transaction():
        if await tags_store.featured_count(conn, account_id) >= MAX_FEATURED:
            raise Invalid(f"You can feature at most {MAX_FEATURED} hashtags", field="name")
        return await tags_store.feature(conn, account_id, name)
