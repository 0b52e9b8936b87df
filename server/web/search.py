"""Search: find people by handle (here or on other servers) and posts or profiles by URL."""

from __future__ import annotations

import re

from aiohttp import web

from federation import ingest
from federation.fetch import FetchError, resolve_handle
from federation.runtime import FEDERATION
from server.keys import POOL, USER
from server.models import Account, Status
from server.store import accounts as accounts_store
from server.store import statuses as statuses_store
from server.web.feeds import page_context
from server.web.render import render

routes = web.RouteTableDef()
MAX_QUERY = 300
_HANDLE = re.compile(r"^@?[A-Za-z0-9_.\-]{1,64}@[A-Za-z0-9.\-]{1,253}(?::\d{1,5})?$")


async def _by_url(request: web.Request, url: str) -> tuple[list[Account], list[Status]]:
    """An actor or a post, found by its URL (ours, known, or fetched from its server)."""
    found = await ingest.resolve_url(request.app[FEDERATION], url)
    if found.account is not None:
        return [found.account], []
    status = (await statuses_store.get_visible(request.app[POOL], found.status_id, request[USER].id)
              if found.status_id else None)
    return [], ([status] if status else [])


@routes.get("/search")
async def search(request: web.Request) -> web.Response:
    query = request.query.get("q", "").strip()[:MAX_QUERY]
    accounts: list[Account] = []
    statuses: list[Status] = []
    error = None
    if query:
        if request[USER] is None:
            error = "Log in to look up accounts and posts on other servers."
        else:
            try:
                if query.startswith(("https://", "http://")):
                    accounts, statuses = await _by_url(request, query)
                elif _HANDLE.match(query):
                    account = await resolve_handle(request.app[FEDERATION], query.lstrip("@"))
                    accounts = [account]
                else:
                    found = await accounts_store.get_local(request.app[POOL], query.lstrip("@"))
                    accounts = [found] if found else []
            except FetchError as exc:
                error = f"Nothing found for {query}: {exc}"
        if not (accounts or statuses or error):
            error = f"Nothing found for {query}. Try a full handle such as name@example.social or a URL."
    context = await page_context(request, statuses)
    context.update({"query": query, "accounts": accounts, "error": error})
    return render(request, "search.html", context, status=200)
