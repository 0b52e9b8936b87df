"""Search: find people by handle (here or on other servers) and posts or profiles by URL."""

from __future__ import annotations

import re

from aiohttp import web

from federation import parse
from federation.fetch import FetchError, fetch_actor, fetch_document, resolve_handle
from federation.inbox.handlers import Reject, Retry, fetch_replies, store_note
from federation.service import FEDERATION
from server.keys import POOL, URLS, USER
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
    pool, urls, fed = request.app[POOL], request.app[URLS], request.app[FEDERATION]
    viewer = request[USER]
    local_user = urls.local_username(url)
    if local_user:
        account = await accounts_store.get_local(pool, local_user)
        return ([account] if account else []), []
    local_status = urls.local_status_id(url)
    status_id = local_status
    if status_id is None:
        found = await statuses_store.find_by_uri(pool, url)
        status_id = found[0] if found else None
    if status_id is None and (known := await accounts_store.get_by_uri(pool, url)):
        return [known], []
    if status_id is None:
        doc = await fetch_document(fed, url)
        if doc.get("type") in parse.ACTOR_TYPES:
            return [await fetch_actor(fed, url)], []
        try:
            status_id = await store_note(fed, doc, depth=1)
        except (Reject, Retry) as exc:
            raise FetchError(str(exc)) from None
        await fetch_replies(fed, doc)
        if status_id is None:
            found = await statuses_store.find_by_uri(pool, doc.get("id", ""))
            status_id = found[0] if found else None
    status = await statuses_store.get_visible(pool, status_id, viewer.id) if status_id else None
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
    context = await page_context(request, statuses, limit=0)
    context.update({"query": query, "accounts": accounts, "error": error})
    return render(request, "search.html", context, status=200)
