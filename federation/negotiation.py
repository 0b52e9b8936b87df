"""Content negotiation: the same URLs serve HTML to browsers and AS2 JSON to servers."""

from __future__ import annotations

from typing import Any

from aiohttp import web

AS2_TYPES = ("application/activity+json", "application/ld+json")
AS2_CONTENT_TYPE = 'application/activity+json; charset=utf-8'


def wants_as2(request: web.Request) -> bool:
    """True for `application/activity+json` or `application/ld+json; profile=...activitystreams`."""
    accept = request.headers.get("Accept", "").lower()
    return any(kind in accept for kind in AS2_TYPES)


def as2_response(doc: dict[str, Any], *, status: int = 200) -> web.Response:
    import json

    return web.Response(
        text=json.dumps(doc, ensure_ascii=False),
        status=status,
        headers={"Content-Type": AS2_CONTENT_TYPE, "Vary": "Accept"},
    )
