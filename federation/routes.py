"""Discovery and the ActivityPub GET side: WebFinger, host-meta, actors, collections, objects."""

from __future__ import annotations

import json
import re

from aiohttp import web

from federation import outbound, render
from federation.fetch import SUBSCRIBE_REL
from federation.inbox.receive import verify_request
from federation.negotiation import as2_response, wants_as2
from server.domain import profiles
from server.errors import AppError, NotFound
from server.keys import CONFIG, POOL, URLS
from server.models import Account
from server.store import accounts as accounts_store
from server.store import follows as follows_store
from server.store import imports as imports_store
from server.store import statuses as statuses_store
from server.store import threads
from server.urls import INSTANCE_ACTOR, Urls

routes = web.RouteTableDef()
PAGE_SIZE = 20
JRD = "application/jrd+json"
_ACCT_RE = re.compile(r"^acct:@?([A-Za-z0-9_.]{1,30})@([A-Za-z0-9.-]+(?::\d{1,5})?)$", re.IGNORECASE)
# RFC 3986 §3.1: a URI starts with a scheme. RFC 7033 §4.2 wants 400 for a resource that is not a URI,
# e.g. `name@host` or `=acct:…` (feditest's malformed-resource tests); Mastodon is laxer here.
_SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def _same_host(asked: str, ours: str) -> bool:
    """Handles work with and without the port: bob@localhost finds bob@localhost:8081."""
    asked, ours = asked.lower(), ours.lower()
    return asked == ours or (":" not in asked and asked == ours.split(":", 1)[0])


def _username_for_resource(resource: str, urls: Urls) -> str | None:
    """The local username a resource names; None when it names nothing here; AppError(400) when malformed."""
    if not _SCHEME_RE.match(resource):
        raise AppError(400, "resource must be a URI such as acct:name@host")
    if resource[:5].lower() == "acct:":
        match = _ACCT_RE.match(resource)
        if match is None:
            raise AppError(400, "an acct: resource looks like acct:name@host")
        return match.group(1) if _same_host(match.group(2), urls.host) else None
    for prefix in (f"{urls.base}/users/", f"{urls.base}/@"):
        if resource.startswith(prefix) and re.fullmatch(r"[A-Za-z0-9_]{1,30}", resource[len(prefix):]):
            return resource[len(prefix):]
    if resource == urls.actor(INSTANCE_ACTOR):
        return INSTANCE_ACTOR
    return None


@routes.get("/.well-known/webfinger")
async def webfinger(request: web.Request) -> web.Response:
    """RFC 7033: one JRD per local account; `rel` parameters narrow the links (§4.3)."""
    resource = request.query.get("resource", "").strip()
    if not resource:
        raise AppError(400, "resource parameter is required")
    if len(resource) > 300:
        raise AppError(400, "resource is too long")
    urls = request.app[URLS]
    username = _username_for_resource(resource, urls)
    account = await accounts_store.get_local(request.app[POOL], username) if username else None
    if account is None or account.suspended_at is not None:
        raise NotFound("no such account here")
    actor = urls.actor(account.username)
    links = [{"rel": "self", "type": "application/activity+json", "href": actor}]
    aliases = [actor]
    if account.username != INSTANCE_ACTOR:
        profile = urls.profile(account.username)
        aliases.insert(0, profile)
        links.insert(0, {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": profile})
        links.append({"rel": SUBSCRIBE_REL, "template": f"{urls.base}/authorize_interaction?uri={{uri}}"})
    rels = request.query.getall("rel", [])
    if rels:
        links = [link for link in links if link["rel"] in rels]
    body = {"subject": f"acct:{account.username}@{urls.host}", "aliases": aliases, "links": links}
    return web.Response(text=json.dumps(body), content_type=JRD, headers={"Access-Control-Allow-Origin": "*"})


@routes.get("/.well-known/host-meta")
async def host_meta(request: web.Request) -> web.Response:
    base = request.app[URLS].base
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n'
        f'  <Link rel="lrdd" template="{base}/.well-known/webfinger?resource={{uri}}"/>\n'
        "</XRD>\n"
    )
    return web.Response(text=xml, content_type="application/xrd+xml")


async def _member(request: web.Request) -> Account:
    account = await accounts_store.get_local(request.app[POOL], request.match_info["username"])
    if account is None or account.suspended_at is not None or account.username == INSTANCE_ACTOR:
        raise NotFound("no such account here")
    return account


async def actor_document(request: web.Request, account: Account) -> web.Response:
    """A member's actor document, at its id or at its profile URL (never redirected: see status_document)."""
    keys = await accounts_store.get_keys(request.app[POOL], account.id)
    assert keys is not None
    return as2_response(render.actor_to_as(account, keys.public_pem, request.app[URLS]))


@routes.get(r"/users/{username:[A-Za-z0-9_]+}")
async def actor(request: web.Request) -> web.Response:
    username = request.match_info["username"]
    if await accounts_store.is_deleted(request.app[POOL], username):  # gone for good: say so, as Mastodon does
        return as2_response(render.with_context(render.tombstone(request.app[URLS].actor(username.lower()))),
                            status=410)
    account = await _member(request)
    if not wants_as2(request):
        raise web.HTTPFound(request.app[URLS].profile(account.username))
    return await actor_document(request, account)


@routes.get("/actor")
async def instance_actor(request: web.Request) -> web.Response:
    account = await accounts_store.get_local(request.app[POOL], INSTANCE_ACTOR)
    if account is None:
        raise NotFound()
    return await actor_document(request, account)


async def _viewer(request: web.Request) -> Account | None:
    """Who is asking, by HTTP signature: None for an unsigned GET (refused in authorized-fetch mode).

    A signed GET lets a follower's server fetch followers-only posts it is allowed to see.
    """
    if "Signature" not in request.headers and "Signature-Input" not in request.headers:
        if request.app[CONFIG].authorized_fetch:
            raise AppError(401, "this instance requires signed requests (authorized fetch)")
        return None
    return await verify_request(request, b"")


def _cursor(request: web.Request) -> int | None:
    raw = request.query.get("max_id")
    if raw is None:
        return None
    if not raw.isdigit() or len(raw) > 19:
        raise AppError(400, "max_id must be an id")
    return int(raw)


async def note_for(request: web.Request, status) -> dict:
    """A local status as a Note, with its mentions, hashtags and parent."""
    parts = await outbound.note_parts(request.app[POOL], request.app[URLS], status.id)
    return render.status_to_as(status, parts, request.app[URLS])


@routes.get(r"/users/{username:[A-Za-z0-9_]+}/outbox")
async def outbox(request: web.Request) -> web.Response:
    pool, urls = request.app[POOL], request.app[URLS]
    account = await _member(request)
    await _viewer(request)
    outbox_id = f"{urls.actor(account.username)}/outbox"
    if "page" not in request.query:
        total = await statuses_store.count_public_by_account(pool, account.id)
        return as2_response(render.ordered_collection(outbox_id, total, first=f"{outbox_id}?page=true"))
    max_id = _cursor(request)
    statuses = await statuses_store.public_by_account(pool, account.id, max_id=max_id, limit=PAGE_SIZE)
    items = []
    for status in statuses:
        items.append(render.create_of(await note_for(request, status), status.created_at))
    page_id = f"{outbox_id}?page=true" + (f"&max_id={max_id}" if max_id else "")
    next_page = f"{outbox_id}?page=true&max_id={statuses[-1].id}" if len(statuses) == PAGE_SIZE else None
    return as2_response(render.collection_page(page_id, outbox_id, items, next_page=next_page))


async def _relations(request: web.Request, *, followers: bool) -> web.Response:
    pool, urls = request.app[POOL], request.app[URLS]
    account = await _member(request)
    await _viewer(request)
    name = "followers" if followers else "following"
    collection_id = f"{urls.actor(account.username)}/{name}"
    hidden = profiles.follow_lists_hidden(account, None, instance_hides=request.app[CONFIG].hide_follow_lists)
    if "page" not in request.query or hidden:
        counts = await follows_store.counts(pool, account.id)
        total = counts.followers if followers else counts.following
        first = None if hidden else f"{collection_id}?page=1"
        return as2_response(render.ordered_collection(collection_id, total, first=first))
    before = _cursor(request)
    rows = await follows_store.collection_uris(
        pool, account.id, f"{urls.base}/users/", followers=followers, before_id=before, limit=PAGE_SIZE
    )
    page_id = f"{collection_id}?page=1" + (f"&max_id={before}" if before else "")
    next_page = f"{collection_id}?page=1&max_id={rows[-1].cursor}" if len(rows) == PAGE_SIZE else None
    return as2_response(render.collection_page(page_id, collection_id, [row.item for row in rows], next_page=next_page))


@routes.get(r"/users/{username:[A-Za-z0-9_]+}/followers")
async def followers(request: web.Request) -> web.Response:
    return await _relations(request, followers=True)


@routes.get(r"/users/{username:[A-Za-z0-9_]+}/following")
async def following(request: web.Request) -> web.Response:
    return await _relations(request, followers=False)


@routes.get(r"/users/{username:[A-Za-z0-9_]+}/collections/featured")
async def featured(request: web.Request) -> web.Response:
    account = await _member(request)
    await _viewer(request)
    collection_id = f"{request.app[URLS].actor(account.username)}/collections/featured"
    return as2_response(render.ordered_collection(collection_id, 0, items=[]))


@routes.get(r"/users/{username:[A-Za-z0-9_]+}/statuses/{status_id:\d{1,19}}")
async def status_object(request: web.Request) -> web.Response:
    account = await _member(request)
    status_id = int(request.match_info["status_id"])
    if moved := await imports_store.moved_post(request.app[POOL], account.id, status_id):  # an archive's old id
        raise web.HTTPMovedPermanently(request.app[URLS].status_uri(account.username, moved))
    if not wants_as2(request):
        raise web.HTTPFound(request.app[URLS].status(account.username, status_id))
    return await status_document(request, account, status_id)


async def status_document(request: web.Request, account: Account, status_id: int) -> web.Response:
    """A member's post as AS2 (a boost as its Announce), at its id or at its web URL: the signature of a
    signed GET covers the path asked for, so it is answered there rather than redirected."""
    pool, urls = request.app[POOL], request.app[URLS]
    viewer = await _viewer(request)
    status = await statuses_store.get_visible(pool, status_id, viewer.id if viewer else None)
    if status is None or status.author.id != account.id:
        if await statuses_store.is_tombstoned_local(pool, status_id, account.id):
            return as2_response(render.with_context(render.tombstone(urls.status_uri(account.username, status_id))),
                                status=410)
        raise NotFound()
    if status.reblog_of_id is not None:
        boosted = await statuses_store.get_visible(pool, status.reblog_of_id, viewer.id if viewer else None)
        if boosted is None:
            raise NotFound()
        return as2_response(render.announce(status, boosted, urls))
    return as2_response(render.with_context(await note_for(request, status)))


@routes.get(r"/users/{username:[A-Za-z0-9_]+}/statuses/{status_id:\d{1,19}}/activity")
async def status_activity(request: web.Request) -> web.Response:
    pool = request.app[POOL]
    account = await _member(request)
    viewer = await _viewer(request)
    status = await statuses_store.get_visible(pool, int(request.match_info["status_id"]), viewer.id if viewer else None)
    if status is None or status.author.id != account.id:
        raise NotFound()
    note = await note_for(request, status)
    return as2_response(render.activity("Create", note["attributedTo"], note, f"{note['id']}/activity",
                                        to=note["to"], cc=note["cc"], published=status.created_at))


@routes.get(r"/users/{username:[A-Za-z0-9_]+}/statuses/{status_id:\d{1,19}}/replies")
async def status_replies(request: web.Request) -> web.Response:
    """The public and unlisted replies to a post, by id (Mastodon's replies collection, unpaged)."""
    pool, urls = request.app[POOL], request.app[URLS]
    account = await _member(request)
    viewer = await _viewer(request)
    status = await statuses_store.get_visible(pool, int(request.match_info["status_id"]), viewer.id if viewer else None)
    if status is None or status.author.id != account.id:
        raise NotFound()
    replies = await threads.direct_replies(pool, status.id, limit=PAGE_SIZE * 5)
    items = [urls.status_id_uri(reply) for reply in replies]
    return as2_response(render.ordered_collection(f"{urls.status_id_uri(status)}/replies", len(items), items=items))
