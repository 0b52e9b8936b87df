"""/api/v1/accounts: profiles, their posts and relationships, following, blocking, muting."""

from __future__ import annotations

from dataclasses import replace

from aiohttp import web
from multidict import MultiDict

from federation.fetch import FetchError, resolve_handle
from federation.runtime import FEDERATION
from server.api import entities, params
from server.api.auth import api, current_user, maybe_user
from server.api.common import NOT_FOUND, account_or_404, path_id
from server.api.filters import apply_filters
from server.api.media import read_upload
from server.api.paging import page, respond, respond_accounts
from server.api.tags import featured_to_api
from server.domain import blocking, endorsing, following, muting, preferences, profiles
from server.errors import AppError, Invalid
from server.keys import CONFIG, POOL, URLS
from server.media import uploads
from server.media.storage import storage_for
from server.store import accounts as accounts_store
from server.store import follows as follows_store
from server.store import marks
from server.store import relationships as relationships_store
from server.store import statuses as statuses_store
from server.store import tags as tags_store

routes = web.RouteTableDef()


async def _credential_account(request: web.Request) -> dict:
    user = current_user(request)
    pool = request.app[POOL]
    account = await accounts_store.get_by_id(pool, user.id)
    body = await entities.account_to_api(pool, request.app[URLS], account)
    source = await accounts_store.get_profile_source(pool, user.id)
    chosen = (await accounts_store.get_user(pool, user.id)).preferences  # as just saved, not as the request began
    body["source"] = {
        "privacy": chosen.visibility, "sensitive": chosen.sensitive, "language": chosen.language,
        "note": source.note, "hide_collections": account.hide_collections,
        "fields": [{"name": n, "value": v, "verified_at": None} for n, v in source.fields],
        "follow_requests_count": await follows_store.follow_request_count(pool, user.id),
    }
    body["role"] = {"id": "0", "name": user.role.value, "permissions": "0", "color": "", "highlighted": False}
    return body


@routes.get("/api/v1/accounts/verify_credentials")
@api("read:accounts")
async def verify_credentials(request: web.Request) -> web.Response:
    return web.json_response(await _credential_account(request))


@routes.patch("/api/v1/accounts/update_credentials")
@api("write:accounts")
async def update_credentials(request: web.Request) -> web.Response:
    user = current_user(request)
    pool = request.app[POOL]
    images: dict[str, bytes] = {}
    if request.content_type == "multipart/form-data":  # avatar and header uploads stream in
        images, fields_sent = await read_upload(request, {"avatar": (uploads.IMAGE_LIMIT, "avatars"),
                                                          "header": (uploads.IMAGE_LIMIT, "headers")})
        p = params.Params(MultiDict(fields_sent))
    else:
        p = await params.read(request)
    source = await accounts_store.get_profile_source(pool, user.id)
    fields = None
    attributes = p.nested("fields_attributes")
    if attributes is not None:
        fields = []
        for index in range(profiles.MAX_FIELDS + 1):
            field = attributes.nested(str(index))
            if field is not None:
                fields.append((field.str("name", "", max_len=1000) or "", field.str("value", "", max_len=5000) or ""))
    update = profiles.ProfileUpdate(
        display_name=p.str("display_name", source.display_name, max_len=1000) or "",
        bio=p.str("note", source.note, max_len=20_000) or "",
        locked=p.bool("locked", user.account.locked),
        fields=fields,
        discoverable=p.bool("discoverable", user.account.discoverable),
        bot=p.bool("bot", user.account.actor_type == "Service"),
        hide_collections=p.bool("hide_collections", user.account.hide_collections),
        indexable=p.bool("indexable", user.account.indexable),
    )
    profiles.check(update, request.app[URLS])  # before any picture is stored
    chosen = user.preferences
    if (sent := p.nested("source")) is not None:  # Mastodon's source[privacy|sensitive|language]
        chosen = preferences.check(replace(
            chosen, visibility=sent.str("privacy", chosen.visibility, max_len=20) or chosen.visibility,
            sensitive=sent.bool("sensitive", chosen.sensitive),
            language=sent.str("language", chosen.language, max_len=20) or None))
    storage = storage_for(request.app[CONFIG])
    pictures = {kind: await uploads.store_picture(pool, storage, user.id, kind, data) for kind, data in images.items()}
    updated = await profiles.update_profile(pool, request.app[URLS], user.account, update, pictures=pictures,
                                            chosen=chosen if chosen != user.preferences else None)
    await profiles.verify_links(pool, request.app[FEDERATION], updated)
    return web.json_response(await _credential_account(request))


@routes.delete(r"/api/v1/profile/{kind:avatar|header}")
@api("write:accounts")
async def remove_picture(request: web.Request) -> web.Response:
    await profiles.remove_picture(request.app[POOL], request.app[URLS], current_user(request).account,
                                  request.match_info["kind"])
    return web.json_response(await _credential_account(request))


@routes.post(r"/api/v1/accounts/{id:\d+}/remove_from_followers")
@api("write:follows")
async def remove_from_followers(request: web.Request) -> web.Response:
    """The account stops following the member (a remote one is sent a Reject of its Follow)."""
    user = current_user(request)
    follower = await account_or_404(request, path_id(request))
    await following.remove_follower(request.app[POOL], request.app[URLS], user.account, follower)
    return await _relationship(request, follower.id)


@routes.post(r"/api/v1/accounts/{id:\d+}/note")
@api("write:accounts")
async def note(request: web.Request) -> web.Response:
    target = await account_or_404(request, path_id(request))
    comment = (await params.read(request)).str("comment", "", max_len=10_000) or ""
    await endorsing.set_note(request.app[POOL], current_user(request).account, target, comment)
    return await _relationship(request, target.id)


@routes.post(r"/api/v1/accounts/{id:\d+}/{action:pin|endorse|unpin|unendorse}")
@api("write:accounts")
async def endorse(request: web.Request) -> web.Response:
    """Feature (or stop featuring) a followed account on one's profile (`pin`, renamed `endorse` in 4.4)."""
    target = await account_or_404(request, path_id(request))
    await endorsing.endorse(request.app[POOL], current_user(request).account, target,
                            on=request.match_info["action"] in ("pin", "endorse"))
    return await _relationship(request, target.id)


@routes.get("/api/v1/endorsements")
@api("read:accounts")
async def endorsements(request: web.Request) -> web.Response:
    pg = page(params.Params(request.query), maximum=80)
    rows = await relationships_store.endorsed(request.app[POOL], current_user(request).id, pg)
    return await respond_accounts(request, rows, pg)


@routes.get("/api/v1/accounts/lookup")
@api(user=False)
async def lookup(request: web.Request) -> web.Response:
    acct = (request.query.get("acct") or "").lstrip("@")
    urls = request.app[URLS]
    name, _, domain = acct.partition("@")
    pool = request.app[POOL]
    if not domain or domain.lower() in (urls.host.lower(), urls.host.split(":")[0].lower()):
        account = await accounts_store.get_local(pool, name) if name else None
    else:
        account = await accounts_store.get_remote(pool, name, domain)
    if account is None or account.suspended_at is not None or account.username == "kith.instance":
        raise AppError(404, NOT_FOUND)
    return web.json_response(await entities.account_to_api(pool, urls, account))


@routes.get("/api/v1/accounts/search")
@api("read:accounts")
async def search(request: web.Request) -> web.Response:
    p = params.Params(request.query)
    q = (p.str("q", "", max_len=300) or "").strip().lstrip("@")
    limit = p.int("limit", 40, minimum=1, maximum=80) or 40
    found = await search_accounts(request, q, resolve=p.bool("resolve"), limit=limit)
    pool, urls = request.app[POOL], request.app[URLS]
    rendered = await entities.accounts_to_api(pool, urls, found)
    return web.json_response([rendered[a.id] for a in found])


async def search_accounts(request: web.Request, q: str, *, resolve: bool, limit: int):
    """Accounts matching a query; a full remote handle is looked up by WebFinger when `resolve`."""
    pool = request.app[POOL]
    if not q:
        return []
    if "@" in q and resolve:
        try:
            return [await resolve_handle(request.app[FEDERATION], q)]
        except FetchError:
            pass
    return await accounts_store.search_accounts(pool, q, limit)


@routes.get("/api/v1/accounts/relationships")
@api("read:follows")
async def relationships(request: web.Request) -> web.Response:
    ids = [int(i) for i in params.Params(request.query).list("id", max_items=100) if i.isdigit() and len(i) <= 19]
    rels = await relationships_store.between(request.app[POOL], current_user(request).id, ids)
    return web.json_response([entities.relationship_to_api(rels[i]) for i in ids if i in rels])


@routes.get("/api/v1/accounts/familiar_followers")
@api("read:follows")
async def familiar_followers(request: web.Request) -> web.Response:
    """For each account: its followers whom the member follows too."""
    ids = [int(i) for i in (await params.read(request)).list("id", max_items=40) if i.isdigit() and len(i) <= 19]
    pool, urls = request.app[POOL], request.app[URLS]
    found = await follows_store.familiar_followers(pool, current_user(request).id, ids)
    rendered = await entities.accounts_to_api(pool, urls, [a for people in found.values() for a in people])
    return web.json_response([{"id": str(i), "accounts": [rendered[a.id] for a in found.get(i, [])]} for i in ids])


@routes.get("/api/v1/accounts")
@api(user=False)
async def get_accounts(request: web.Request) -> web.Response:
    """Several accounts at once (`id[]`, up to 40), in the order asked; unknown ids are left out."""
    wanted = params.Params(request.query).list("id", max_items=40)
    if any(not i.isdigit() or len(i) > 19 for i in wanted):
        raise AppError(422, "Validation failed: id must be account ids")
    pool = request.app[POOL]
    found = [a for a in [await accounts_store.get_by_id(pool, int(i)) for i in dict.fromkeys(wanted)]
             if a is not None and a.suspended_at is None and a.username != "kith.instance"]
    rendered = await entities.accounts_to_api(pool, request.app[URLS], found)
    return web.json_response([rendered[a.id] for a in found])


@routes.get(r"/api/v1/accounts/{id:\d+}")
@api(user=False)
async def get_account(request: web.Request) -> web.Response:
    account = await account_or_404(request, path_id(request))
    return web.json_response(await entities.account_to_api(request.app[POOL], request.app[URLS], account))


@routes.get(r"/api/v1/accounts/{id:\d+}/statuses")
@api(user=False)
async def account_statuses(request: web.Request) -> web.Response:
    account = await account_or_404(request, path_id(request))
    p = params.Params(request.query)
    pg = page(p)
    viewer = maybe_user(request)
    viewer_id = viewer.id if viewer else None
    pool, urls = request.app[POOL], request.app[URLS]
    if p.bool("pinned"):
        items = await marks.pinned(pool, account.id, viewer_id)
    else:
        items = await statuses_store.account_timeline(
            pool, account.id, viewer_id, pg, exclude_replies=p.bool("exclude_replies"),
            exclude_reblogs=p.bool("exclude_reblogs"), only_media=p.bool("only_media"),
        )
    body = await apply_filters(pool, viewer_id, "account", await entities.statuses_to_api(pool, urls, items, viewer_id))
    return respond(request, body, [s.id for s in items], limit=pg.limit)


async def _relation_list(request: web.Request, *, followers: bool) -> web.Response:
    account = await account_or_404(request, path_id(request))
    pg = page(params.Params(request.query), maximum=80)
    viewer = maybe_user(request)
    if profiles.follow_lists_hidden(account, viewer.id if viewer else None,
                                    instance_hides=request.app[CONFIG].hide_follow_lists):
        return respond(request, [], [], limit=pg.limit)  # hidden, as the AS2 collections are: the owner still sees
    rows = await follows_store.follow_list(request.app[POOL], account.id, pg, followers=followers)
    return await respond_accounts(request, rows, pg)


@routes.get(r"/api/v1/accounts/{id:\d+}/followers")
@api(user=False)
async def followers(request: web.Request) -> web.Response:
    return await _relation_list(request, followers=True)


@routes.get(r"/api/v1/accounts/{id:\d+}/following")
@api(user=False)
async def following_list(request: web.Request) -> web.Response:
    return await _relation_list(request, followers=False)


async def _relationship(request: web.Request, target_id: int) -> web.Response:
    rels = await relationships_store.between(request.app[POOL], current_user(request).id, [target_id])
    return web.json_response(entities.relationship_to_api(rels[target_id]))


@routes.post(r"/api/v1/accounts/{id:\d+}/follow")
@api("write:follows")
async def follow(request: web.Request) -> web.Response:
    target = await account_or_404(request, path_id(request))
    p = await params.read(request)
    follower = current_user(request).account
    try:
        await following.follow(request.app[POOL], request.app[URLS], follower, target)
    except Invalid as exc:
        raise AppError(403, exc.message) from None
    reblogs, notify = p.bool("reblogs", None), p.bool("notify", None)
    languages = p.list("languages", max_items=20) or None  # only posts in these languages reach home
    if reblogs is not None or notify is not None or languages is not None:  # following again changes the options
        await following.set_options(request.app[POOL], follower, target, show_reblogs=reblogs, notify=notify,
                                    languages=languages)
    return await _relationship(request, target.id)


@routes.post(r"/api/v1/accounts/{id:\d+}/unfollow")
@api("write:follows")
async def unfollow(request: web.Request) -> web.Response:
    target = await account_or_404(request, path_id(request))
    await following.unfollow(request.app[POOL], request.app[URLS], current_user(request).account, target)
    return await _relationship(request, target.id)


@routes.post(r"/api/v1/accounts/{id:\d+}/block")
@api("write:blocks")
async def block(request: web.Request) -> web.Response:
    target = await account_or_404(request, path_id(request))
    try:
        await blocking.block(request.app[POOL], request.app[URLS], current_user(request).account, target)
    except Invalid as exc:
        raise AppError(422, exc.message) from None
    return await _relationship(request, target.id)


@routes.post(r"/api/v1/accounts/{id:\d+}/unblock")
@api("write:blocks")
async def unblock(request: web.Request) -> web.Response:
    target = await account_or_404(request, path_id(request))
    await blocking.block(request.app[POOL], request.app[URLS], current_user(request).account, target, undo=True)
    return await _relationship(request, target.id)


@routes.post(r"/api/v1/accounts/{id:\d+}/mute")
@api("write:mutes")
async def mute(request: web.Request) -> web.Response:
    target = await account_or_404(request, path_id(request))
    p = await params.read(request)
    duration = p.int("duration", 0, minimum=0, maximum=muting.MAX_MUTE_SECONDS) or 0
    await muting.mute(request.app[POOL], current_user(request).account, target,
                      notifications=p.bool("notifications", True), seconds=duration or None)
    return await _relationship(request, target.id)


@routes.post(r"/api/v1/accounts/{id:\d+}/unmute")
@api("write:mutes")
async def unmute(request: web.Request) -> web.Response:
    target = await account_or_404(request, path_id(request))
    await muting.unmute(request.app[POOL], current_user(request).account, target)
    return await _relationship(request, target.id)


@routes.get(r"/api/v1/accounts/{id:\d+}/featured_tags")
@api(user=False)
async def featured_tags(request: web.Request) -> web.Response:
    account = await account_or_404(request, path_id(request))
    items = await tags_store.featured(request.app[POOL], account.id)
    return web.json_response([featured_to_api(request, i) for i in items])
