"""Members following hashtags: public posts carrying one enter their home feed (see posting and
inbound, which add those followers to a post's readers)."""

from __future__ import annotations

import re

import asyncpg

from server.errors import Invalid
from server.store import tags as tags_store

NAME = re.compile(r"^\w{1,100}$")


def check(name: str) -> str:
    name = name.strip().lstrip("#")
    if not NAME.match(name):
        raise Invalid("Name is not a valid hashtag")
    return name


async def follow(pool: asyncpg.Pool, account_id: int, name: str) -> str:
    return await tags_store.follow(pool, account_id, check(name))


async def unfollow(pool: asyncpg.Pool, account_id: int, name: str) -> None:
    await tags_store.unfollow(pool, account_id, check(name))
