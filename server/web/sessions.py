"""Signed-in browsers: a random token in an HttpOnly cookie, its hash in PostgreSQL.

Keeping sessions server-side means signing out (or a suspension) ends them for real.
"""

from __future__ import annotations

import hashlib
import secrets

from aiohttp import web

from server.client_address import client_ip
from server.keys import CONFIG, POOL, USER
from server.models import User
from server.store import accounts as accounts_store
from server.store import sessions as sessions_store

COOKIE = "kith_session"
IDLE_DAYS = 30
# A long-lived random token naming this browser; the accounts it signed in to are kept server-side
# (store.sessions.remember_device), so it says nothing by itself and survives signing out.
DEVICE_COOKIE = "kith_device"
DEVICE_DAYS = 365


def _hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def set_cookie(request: web.Request, response: web.StreamResponse, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="Lax",
        secure=not request.app[CONFIG].insecure_federation,
    )


async def load_user(request: web.Request) -> None:
    """Put the signed-in User (or None) in request['user']."""
    request[USER] = None
    token = request.cookies.get(COOKIE)
    if not token or len(token) > 100:
        return
    pool = request.app[POOL]
    account_id = await sessions_store.touch(pool, _hash(token), IDLE_DAYS)
    if account_id is not None:
        user = await accounts_store.get_user(pool, account_id)
        if user is not None:
            request[USER] = user


async def sign_in(request: web.Request, response: web.StreamResponse, account_id: int) -> None:
    token = secrets.token_urlsafe(32)
    await sessions_store.insert(
        request.app[POOL], _hash(token), account_id, request.headers.get("User-Agent", ""), client_ip(request)
    )
    set_cookie(request, response, COOKIE, token, IDLE_DAYS * 86400)


def current_session_hash(request: web.Request) -> bytes | None:
    """The hash of this browser's session token (to keep it when signing out the others)."""
    token = request.cookies.get(COOKIE)
    return _hash(token) if token and len(token) <= 100 else None


def device_token(request: web.Request) -> str:
    """This browser's device token: the one it carries, or a new one to be set at sign-in."""
    token = request.cookies.get(DEVICE_COOKIE, "")
    return token if 30 <= len(token) <= 100 else secrets.token_urlsafe(32)


def device_hash(token: str) -> bytes:
    return _hash(token)


def keep_device(request: web.Request, response: web.StreamResponse, token: str) -> None:
    """Set (or refresh) the device cookie after a successful sign-in."""
    set_cookie(request, response, DEVICE_COOKIE, token, DEVICE_DAYS * 86400)


async def sign_out(request: web.Request, response: web.StreamResponse) -> None:
    token = request.cookies.get(COOKIE)
    if token:
        await sessions_store.delete(request.app[POOL], _hash(token))
    response.del_cookie(COOKIE, path="/")


def require_user(request: web.Request) -> User:
    """The signed-in user; visitors are sent to the login page."""
    user = request.get(USER)
    if user is None:
        raise web.HTTPSeeOther(f"/login?next={request.path_qs}" if request.method == "GET" else "/login")
    return user
