"""Small helpers for driving the web UI over real HTTP the way a browser without JavaScript does."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from server.domain.accounts import create_member
from server.models import Account, Role

CSRF_RE = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')
PASSWORD = "correct horse battery"


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


async def make_member(pool: asyncpg.Pool, username: str, role: Role = Role.MEMBER) -> Account:
    return await create_member(pool, username, PASSWORD, role=role, check_reserved=False)


async def csrf_token(client, path: str = "/") -> str:
    resp = await client.get(path)
    return csrf_from(await resp.text())


async def log_in(client, username: str, password: str = PASSWORD) -> None:
    token = await csrf_token(client, "/login")
    resp = await client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}, allow_redirects=False
    )
    assert resp.status == 303, await resp.text()


async def post_status(client, content: str, visibility: str = "public", spoiler_text: str = "") -> int:
    """Post through the compose form; returns the HTTP status of the form submission."""
    token = await csrf_token(client, "/")
    resp = await client.post(
        "/",
        data={"content": content, "visibility": visibility, "spoiler_text": spoiler_text, "csrf_token": token},
        allow_redirects=False,
    )
    return resp.status


async def submit(client, action: str, fields: dict | None = None, *, page: str = "/"):
    """Send a form as a browser without JavaScript does: the CSRF token read from `page`, no redirect followed."""
    token = await csrf_token(client, page)
    return await client.post(action, data={**(fields or {}), "csrf_token": token}, allow_redirects=False)


@asynccontextmanager
async def counting_pool(database_url: str, max_size: int) -> AsyncIterator[tuple[asyncpg.Pool, list[str]]]:
    """A pool of its own on the test database, set up as Kith's (jsonb as Python values, no reset
    query on release: server.db.pool), that records every statement it sends."""
    statements: list[str] = []

    async def init(conn: asyncpg.Connection) -> None:
        await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
        conn.add_query_logger(lambda record: statements.append(record.query))

    async def no_reset(conn: asyncpg.Connection) -> None:
        pass

    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=max_size, init=init, reset=no_reset)
    try:
        yield pool, statements
    finally:
        await pool.close()
