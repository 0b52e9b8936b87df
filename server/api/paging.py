"""Mastodon's pagination: max_id / since_id / min_id / limit in, a Link header out."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from server.api.entities import accounts_to_api
from server.api.params import Params
from server.keys import POOL, URLS
from server.models import Account
from server.store.paging import Page, Paged

DEFAULT_LIMIT = 20
MAX_LIMIT = 40


def page(p: Params, *, default: int = DEFAULT_LIMIT, maximum: int = MAX_LIMIT) -> Page:
    def ident(name: str) -> int | None:
        raw = p.str(name, max_len=40)
        return int(raw) if raw and raw.isdigit() and len(raw) <= 19 else None

    limit = p.int("limit", default, minimum=1) or default
    return Page(max_id=ident("max_id"), since_id=ident("since_id"), min_id=ident("min_id"), limit=min(limit, maximum))


async def respond_accounts(request: web.Request, rows: list[Paged[Account]], pg: Page) -> web.Response:
    """A page of accounts (followers, blocks, follow requests…), paged by the relation's id."""
    rendered = await accounts_to_api(request.app[POOL], request.app[URLS], [r.item for r in rows])
    return respond(request, [rendered[r.item.id] for r in rows], [r.cursor for r in rows], limit=pg.limit)


def respond(request: web.Request, body: list[Any], ids: list[int], *, limit: int) -> web.Response:
    """JSON with a Link header pointing at the next (older) and previous (newer) pages."""
    response = json_response(body)
    if ids:
        base = f"{request.app[URLS].base}{request.path}"
        keep = {k: v for k, v in request.query.items() if k not in ("max_id", "since_id", "min_id", "limit")}
        keep["limit"] = str(limit)
        links = [f'<{base}?{urlencode({**keep, "max_id": min(ids)})}>; rel="next"',
                 f'<{base}?{urlencode({**keep, "min_id": max(ids)})}>; rel="prev"']
        response.headers["Link"] = ", ".join(links)
    return response


def json_response(body: Any) -> web.Response:
    """web.json_response, encoded by orjson: a page of 20 statuses takes 30 us instead of json.dumps'
    330 us (compact, UTF-8 unescaped: the same values). json.dumps still encodes what orjson refuses
    (an integer beyond 64 bits from another server's document)."""
    import orjson  # here, not at the top: 0.2 MiB that an instance without API clients never needs

    try:
        data = orjson.dumps(body)
    except TypeError:
        data = json.dumps(body).encode()
    return web.Response(body=data, content_type="application/json", charset="utf-8")
