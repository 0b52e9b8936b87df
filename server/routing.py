"""Every route also answers with a trailing slash, as Rails (so Mastodon) does.

Clients rely on it: Mastodon.py sends `POST /api/v1/admin/domain_blocks/`, `POST /api/v1/reports/`
and `GET /api/v1/instance/`. A redirect would not do (not every client re-sends a POST body), so
each route is registered a second time with the slash, same handler, same pattern.
"""

from __future__ import annotations

from collections.abc import Iterable

from aiohttp import web


def with_trailing_slashes(tables: Iterable[web.RouteTableDef]) -> list[web.RouteDef]:
    """The routes of `tables`, each followed by its twin ending in `/` (unless it has one already)."""
    defs = [d for table in tables for d in table if isinstance(d, web.RouteDef)]
    taken = {(d.method, d.path) for d in defs}
    out: list[web.RouteDef] = []
    for d in defs:
        out.append(d)
        slashed = d.path + "/"
        if not d.path.endswith("/") and (d.method, slashed) not in taken:
            kwargs = {k: v for k, v in d.kwargs.items() if k != "name"}  # a name belongs to one route
            out.append(web.RouteDef(d.method, slashed, d.handler, kwargs))
            taken.add((d.method, slashed))
    return out
