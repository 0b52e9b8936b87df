"""Faces on our pages: each account's avatar from our own origin, and a generated one for accounts
without a picture (a coloured disc with the first letter of the name), so no page loads an image
from another server."""

from __future__ import annotations

import hashlib

from aiohttp import web
from markupsafe import escape

from server.keys import POOL
from server.models import Account
from server.store import accounts as accounts_store
from server.urls import Urls

routes = web.RouteTableDef()

# Hues that keep white text readable (WCAG AA for large text) on the disc.
HUES = (200, 160, 120, 30, 0, 330, 290, 260, 230)


def avatar_src(account: Account, urls: Urls) -> str:
    """Where a page loads the account's avatar: its upload if it is ours, else the generated one.

    Remote pictures are not loaded from their servers (they reach our pages once the media cache
    holds them)."""
    if account.is_local and account.avatar_url and account.avatar_url.startswith("/media/"):
        return urls.picture(account.avatar_url).removeprefix(urls.base)
    return f"/avatars/{account.id}.svg"


def header_src(account: Account, urls: Urls) -> str | None:
    if account.is_local and account.header_url and account.header_url.startswith("/media/"):
        return urls.picture(account.header_url).removeprefix(urls.base)
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
