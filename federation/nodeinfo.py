"""NodeInfo 2.0 and 2.1 (https://nodeinfo.diaspora.software/): what software this is and its usage."""

from __future__ import annotations

import json

from aiohttp import web

from server.keys import POOL, SETTINGS, URLS
from server.store import accounts as accounts_store
from server.store import rules as rules_store
from server.store import statuses as statuses_store

VERSION = "0.1.0"
SCHEMAS = ("2.0", "2.1")
routes = web.RouteTableDef()


@routes.get("/.well-known/nodeinfo")
async def well_known(request: web.Request) -> web.Response:
    base = request.app[URLS].base
    links = [
        {"rel": f"http://nodeinfo.diaspora.software/ns/schema/{v}", "href": f"{base}/nodeinfo/{v}"} for v in SCHEMAS
    ]
    return web.json_response({"links": links})


@routes.get(r"/nodeinfo/{version:2\.[01]}")
async def document(request: web.Request) -> web.Response:
    version = request.match_info["version"]
    site = await request.app[SETTINGS].current()
    pool = request.app[POOL]
    software = {"name": "kith", "version": VERSION}
    if version == "2.1":
        software["homepage"] = request.app[URLS].base
    body = {
        "version": version,
        "software": software,
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": []},
        "openRegistrations": site.registrations in ("open", "approval"),
        "usage": {
            "users": {
                "total": await accounts_store.count_local_users(pool),
                "activeMonth": await accounts_store.count_active_users(pool, 30),
                "activeHalfyear": await accounts_store.count_active_users(pool, 180),
            },
            "localPosts": await statuses_store.count_local(pool),
        },
        "metadata": {
            "nodeName": site.instance_name, "nodeDescription": site.instance_description,
            "rules": [r.public() for r in await rules_store.all_rules(pool)],
        },
    }
    profile = f"http://nodeinfo.diaspora.software/ns/schema/{version}#"
    return web.Response(
        text=json.dumps(body), headers={"Content-Type": f'application/json; profile="{profile}"; charset=utf-8'}
    )
