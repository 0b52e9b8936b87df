"""Fixtures for the client API: members with OAuth tokens, made straight in the database."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable

import asyncpg
import pytest

from server.api.auth import token_hash
from server.models import Account
from server.store import accounts as accounts_store
from server.store import oauth as oauth_store
from tests.helpers import make_member

ALL_SCOPES = ("read", "write", "follow", "push")
MakeToken = Callable[..., Awaitable[tuple[Account, str]]]


async def make_token(pool: asyncpg.Pool, username: str,
                     scopes: tuple[str, ...] | list[str] = ALL_SCOPES) -> tuple[Account, str]:
    """(account, bearer token) of a new app for the member, who is created on first use."""
    account = await accounts_store.get_local(pool, username) or await make_member(pool, username)
    app = await oauth_store.insert_app(pool, secrets.token_hex(16), secrets.token_hex(32), "Test client", None,
                                       ["urn:ietf:wg:oauth:2.0:oob"], list(scopes))
    token = secrets.token_urlsafe(32)
    await oauth_store.insert_token(pool, token_hash(token), None, app.id, account.id, list(scopes))
    return account, token


@pytest.fixture
def api_token(pool: asyncpg.Pool) -> MakeToken:
    """`await api_token("alice", scopes=("write:media",))` -> (account, bearer token)."""

    async def make(username: str, scopes: tuple[str, ...] | list[str] = ALL_SCOPES) -> tuple[Account, str]:
        return await make_token(pool, username, scopes)

    return make


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
