"""Finding the account a /@handle names: a member here, or someone on another server."""

from __future__ import annotations

import re

from aiohttp import web

from federation.fetch import FetchError, resolve_handle
from federation.runtime import FEDERATION
from server.errors import NotFound
from server.keys import POOL, URLS, USER
from server.models import Account
from server.store import accounts as accounts_store
from server.urls import INSTANCE_ACTOR

HANDLE = r"{handle:[A-Za-z0-9_]{1,30}(?:@[A-Za-z0-9.\-]{1,253}(?::\d{1,5})?)?}"
_SPLIT = re.compile(r"^([^@]+)(?:@(.+))?$")


async def account_for_handle(request: web.Request, handle: str, *, resolve: bool) -> Account:
    """The account for 'name' or 'name@host'. Unknown remote accounts are looked up (WebFinger)
    only when `resolve` is set and someone is signed in: visitors never make us fetch anything."""
    match = _SPLIT.match(handle)
    if not match:
        raise NotFound("There is no such account.")
    username, domain = match.group(1), match.group(2)
    pool, urls = request.app[POOL], request.app[URLS]
    if domain is None or domain.lower() in (urls.host.lower(), urls.host.split(":")[0].lower()):
        account = await accounts_store.get_local(pool, username)
        if account is None or account.username == INSTANCE_ACTOR:
            raise NotFound("There is no member with that name here.")
    else:
        account = await accounts_store.get_remote(pool, username, domain)
        if account is None and resolve and request[USER] is not None:
            try:
                account = await resolve_handle(request.app[FEDERATION], handle)
            except FetchError as exc:
                raise NotFound(f"Could not find @{handle}: {exc}") from None
        if account is None:
            raise NotFound("We do not know that account yet. Search for it to look it up.")
    if account.suspended_at is not None:
        raise NotFound("That account is not available.")
    return account


async def account_for_uri(request: web.Request, uri: str) -> Account | None:
    """The account with this actor id: a member here (whose rows keep no uri) or one known from elsewhere."""
    pool = request.app[POOL]
    local = request.app[URLS].local_username(uri)
    if local:
        return await accounts_store.get_local(pool, local)
    return await accounts_store.get_by_uri(pool, uri)
