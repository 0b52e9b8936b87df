"""The profile directory: accounts that are discoverable (members here unless they opted out in
Settings, Profile; other servers' accounts only when they opted in), by their latest post or
newest first. Nothing else decides who comes first."""

from __future__ import annotations

from aiohttp import web

from server.errors import AppError
from server.keys import POOL, USER
from server.store import accounts as accounts_store
from server.store import directory as directory_store
from server.web.forms import number_param
from server.web.render import render

routes = web.RouteTableDef()
PAGE = 24
SCOPES = ("local", "all")
MAX_OFFSET = 100_000


def _choice(request: web.Request, name: str, allowed: tuple[str, ...]) -> str:
    value = request.query.get(name, allowed[0])
    if value not in allowed:
        raise AppError(400, f"{name} must be one of {', '.join(allowed)}.")
    return value


@routes.get("/directory")
async def directory(request: web.Request) -> web.Response:
    order = _choice(request, "order", tuple(directory_store.ORDERS))
    scope = _choice(request, "scope", SCOPES)
    offset = number_param(request, "offset", MAX_OFFSET, f"offset must be a whole number up to {MAX_OFFSET}.") or 0
    pool, user = request.app[POOL], request[USER]
    listed = await directory_store.listed(pool, user.id if user else None, local=scope == "local", order=order,
                                            offset=offset, limit=PAGE + 1)
    return render(request, "directory.html", {
        "accounts": listed[:PAGE], "stats": await accounts_store.counts(pool, [a.id for a in listed[:PAGE]]),
        "order": order, "scope": scope, "more_offset": offset + PAGE if len(listed) > PAGE else None})
