"""Search: find people by handle (here or on other servers) and posts or profiles by URL; acting on
things across servers (the subscribe template both ways)."""

from __future__ import annotations

import re
from urllib.parse import quote, urlencode

from aiohttp import web

from federation import ingest
from federation.fetch import FetchError, resolve_handle, subscribe_template
from federation.runtime import FEDERATION
from server.errors import AppError
from server.keys import POOL, URLS, USER
from server.models import Account, Status
from server.store import accounts as accounts_store
from server.store import search as search_store
from server.store import statuses as statuses_store
from server.web.feeds import page_context
from server.web.forms import field
from server.web.render import render

routes = web.RouteTableDef()
SHOWN = 40  # posts found by their words, newest first
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
                    pool, viewer_id = request.app[POOL], request[USER].id
                    accounts = await accounts_store.search_accounts(pool, query.lstrip("@"), 5)
                    statuses = await statuses_store.with_reblogs(
                        pool, await search_store.posts(pool, viewer_id, query, offset=0, limit=SHOWN), viewer_id)
            except FetchError as exc:
                error = f"Nothing found for {query}: {exc}"
        if not (accounts or statuses or error):
            error = (f"Nothing found for {query}. Try other words, a full handle such as name@example.social,"
                     " or a post's URL.")
    context = await page_context(request, statuses)
    context.update({"query": query, "accounts": accounts, "error": error})
    return render(request, "search.html", context, status=200)


@routes.get("/authorize_interaction")
async def authorize_interaction(request: web.Request) -> web.Response:
    """Where other servers send our members to act on something of theirs (the subscribe template
    our WebFinger advertises): the account or post, found as search finds it, to follow or reply to."""
    uri = request.query.get("uri", "").strip()[:MAX_QUERY]
    if request[USER] is None:
        raise web.HTTPSeeOther("/login?" + urlencode({"next": request.path_qs}))
    if not uri:
        raise AppError(400, "Say what to interact with: ?uri=name@server or a post's address.")
    raise web.HTTPSeeOther("/search?" + urlencode({"q": uri.removeprefix("acct:")}))


@routes.post("/interact")
async def interact(request: web.Request) -> web.Response:
    """A visitor's "follow (or reply) from your own server": their server's subscribe template,
    found by WebFinger on the address they typed, with our account's or post's URL in it."""
    form = await request.post()
    handle, uri = field(form, "handle", max_len=300).strip(), field(form, "uri", max_len=2000)
    if not uri.startswith(f"{request.app[URLS].base}/"):
        raise AppError(400, "Only this server's accounts and posts can be followed or replied to from here.")
    try:
        template = await subscribe_template(request.app[FEDERATION], handle)
    except FetchError as exc:
        return render(request, "interact.html", {"error": str(exc), "form": {"handle": handle}, "uri": uri},
                      status=422)
    raise web.HTTPSeeOther(template.replace("{uri}", quote(uri, safe="")))
