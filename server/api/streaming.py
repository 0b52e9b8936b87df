"""The streaming API (being written)."""

from __future__ import annotations

from aiohttp import web

routes = web.RouteTableDef()


async def streaming_ctx(app: web.Application):
    yield
