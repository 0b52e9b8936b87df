"""Faces on our pages: each account's avatar from our own origin, and a generated one for accounts
without a picture (a coloured disc with the first letter of the name), so no page loads an image
from another server."""

from __future__ import annotations

import hashlib

from aiohttp import web
from markupsafe import escape

from federation import media_cache
from federation.runtime import FEDERATION
from server.keys import CONFIG, POOL, USER
from server.media import images
from server.media.storage import storage_for
from server.models import Account
from server.store import accounts as accounts_store
from server.store import cards as cards_store
from server.store import media as media_store
from server.store import statuses as statuses_store
from server.store.media_cache import CachedPicture
from server.urls import DEFAULT_PICTURES, Urls

routes = web.RouteTableDef()

CACHED = "public, max-age=86400"
UNAVAILABLE = "/static/unavailable.svg"  # what shows where another server's picture cannot be had
# Hues that keep white text readable (WCAG AA for large text) on the disc.
HUES = (200, 160, 120, 30, 0, 330, 290, 260, 230)


def avatar_src(account: Account, urls: Urls) -> str:
    """Where a page loads the account's avatar: its upload if it is ours, another server's through
    our cache, else the generated one. Never another server's address."""
    if account.is_local and account.avatar_url and account.avatar_url.startswith("/media/"):
        return urls.picture(account.avatar_url).removeprefix(urls.base)
    if not account.is_local and account.avatar_url:
        return f"/remote/avatars/{account.id}"
    return f"/avatars/{account.id}.svg"


def header_src(account: Account, urls: Urls) -> str | None:
    if account.is_local and account.header_url and account.header_url.startswith("/media/"):
        return urls.picture(account.header_url).removeprefix(urls.base)
    if not account.is_local and account.header_url:
        return f"/remote/headers/{account.id}"
    return None


def generated_avatar(account: Account) -> str:
    """An SVG disc in a colour fixed by the handle, with the name's first letter."""
    digest = hashlib.sha256(account.handle().lower().encode()).digest()
    hue = HUES[digest[0] % len(HUES)]
    letter = next((c for c in account.name if c.isalnum()), "?").upper()
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 96 96" width="96" height="96">'
        f'<rect width="96" height="96" fill="hsl({hue} 45% 36%)"/>'
        '<text x="48" y="50" dominant-baseline="middle" text-anchor="middle" fill="#fff"'
        ' font-family="system-ui, sans-serif" font-size="46" font-weight="600">'
        f"{escape(letter)}</text></svg>"
    )


@routes.get(r"/avatars/{account_id:\d{1,19}}.svg")
async def generated(request: web.Request) -> web.Response:
    account = await accounts_store.get_by_id(request.app[POOL], int(request.match_info["account_id"]))
    if account is None:
        raise web.HTTPNotFound()
    return web.Response(text=generated_avatar(account), content_type="image/svg+xml",
                        headers={"Cache-Control": "public, max-age=86400"})


def _serve(request: web.Request, key: str, content_type: str) -> web.StreamResponse:
    """A stored file: from the bucket when there is one, else from our disk."""
    storage = storage_for(request.app[CONFIG])
    public = storage.url(key)
    if public is not None:
        raise web.HTTPFound(public)
    return web.FileResponse(storage.path(key), headers={"Content-Type": content_type, "Cache-Control": CACHED})


async def _remote_account(request: web.Request) -> Account:
    account = await accounts_store.get_by_id(request.app[POOL], int(request.match_info["account_id"]))
    if account is None or account.is_local or account.suspended_at is not None:
        raise web.HTTPNotFound()
    return account


async def _profile_picture(request: web.Request, kind: str) -> web.StreamResponse:
    """Another server's avatar (its small rendition) or header, through our cache."""
    account = await _remote_account(request)
    url = account.avatar_url if kind == "avatar" else account.header_url
    found = await media_cache.picture(request.app[FEDERATION], storage_for(request.app[CONFIG]), url) if url else None
    if found is None:  # apps ask for the default PNG (Urls.profile_picture): many cannot draw SVG
        if request.query.get("fallback") == "default":
            raise web.HTTPFound(DEFAULT_PICTURES[kind])
        raise web.HTTPFound(f"/avatars/{account.id}.svg" if kind == "avatar" else UNAVAILABLE)
    return serve_cached(request, found, small=kind == "avatar")


@routes.get(r"/remote/avatars/{account_id:\d{1,19}}")
async def remote_avatar(request: web.Request) -> web.StreamResponse:
    return await _profile_picture(request, "avatar")


@routes.get(r"/remote/headers/{account_id:\d{1,19}}")
async def remote_header(request: web.Request) -> web.StreamResponse:
    return await _profile_picture(request, "header")


@routes.get(r"/remote/media/{media_id:\d{1,19}}")
async def remote_media(request: web.Request) -> web.StreamResponse:
    return await _attachment(request, small=False)


@routes.get(r"/remote/media/{media_id:\d{1,19}}/small")
async def remote_media_small(request: web.Request) -> web.StreamResponse:
    return await _attachment(request, small=True)


async def _attachment(request: web.Request, *, small: bool) -> web.StreamResponse:
    """An image attached to another server's post, if the viewer may see the post."""
    pool = request.app[POOL]
    media = await media_store.remote(pool, int(request.match_info["media_id"]))
    viewer = request[USER]
    if media is None or media.kind != "image" or media.status_id is None \
            or await statuses_store.get_visible(pool, media.status_id, viewer.id if viewer else None) is None:
        raise web.HTTPNotFound()
    found = await media_cache.picture(request.app[FEDERATION], storage_for(request.app[CONFIG]), media.url)
    if found is None:
        raise web.HTTPFound(UNAVAILABLE)
    return serve_cached(request, found, small=small)


def serve_cached(request: web.Request, found: CachedPicture, *, small: bool) -> web.StreamResponse:
    """A cached picture of another server: its small rendition (when it has one) or the original."""
    key = (found.thumb_path if small else None) or found.file_path
    mime = found.mime_type if key == found.file_path else images.PREVIEW_TYPES[key.rsplit(".", 1)[1]]
    return _serve(request, key, mime)


@routes.get(r"/remote/cards/{card_id:\d{1,19}}")
async def card_image(request: web.Request) -> web.StreamResponse:
    """A link card's image, through our cache (its small rendition)."""
    card = await cards_store.get(request.app[POOL], int(request.match_info["card_id"]))
    found = await media_cache.picture(request.app[FEDERATION], storage_for(request.app[CONFIG]), card.image_url) \
        if card and card.image_url else None
    if found is None:
        raise web.HTTPNotFound()
    return serve_cached(request, found, small=True)
