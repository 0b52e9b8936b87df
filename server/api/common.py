"""Lookups shared by the API endpoints: ids from the path, visible statuses, accounts."""

from __future__ import annotations

from aiohttp import web

from server.errors import AppError
from server.keys import POOL
from server.models import Account, Status
from server.store import accounts as accounts_store
from server.store import statuses as statuses_store
from server.store.paging import whole_number

NOT_FOUND = "Record not found"


def path_id(request: web.Request, name: str = "id") -> int:
    number = whole_number(request.match_info[name])
    if number is None:
        raise AppError(404, NOT_FOUND)
    return number


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
