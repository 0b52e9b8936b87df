"""Lookups shared by the API endpoints: ids from the path, visible statuses, accounts."""

from __future__ import annotations

from aiohttp import web

from server.errors import AppError
from server.keys import POOL
from server.models import Account, Status
from server.store import accounts as accounts_store
from server.store import statuses as statuses_store

NOT_FOUND = "Record not found"


MAX_ID = 2**63 - 1  # ids are PostgreSQL bigints


def path_id(request: web.Request, name: str = "id") -> int:
    raw = request.match_info[name]
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 19 or int(raw) > MAX_ID:
        raise AppError(404, NOT_FOUND)
    return int(raw)


async def account_or_404(request: web.Request, account_id: int) -> Account:
    account = await accounts_store.get_by_id(request.app[POOL], account_id)
    if account is None or account.suspended_at is not None or account.username == "kith.instance":
        raise AppError(404, NOT_FOUND)
    return account


async def status_or_404(request: web.Request, status_id: int, viewer_id: int | None) -> Status:
    """A status the viewer may see (boosts resolved to what they boost); 404 otherwise, as Mastodon."""
    pool = request.app[POOL]
    status = await statuses_store.get_visible(pool, status_id, viewer_id)
    if status is None:
        raise AppError(404, NOT_FOUND)
    return status
