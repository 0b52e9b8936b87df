"""The figures an admin checks at a glance on /admin: members, activity, posts, disk, backlog."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from federation import queue
from server.keys import CONFIG, POOL
from server.media import usage
from server.store import accounts as accounts_store
from server.store import stats as stats_store


async def figures(request: web.Request) -> dict[str, Any]:
    pool, cfg = request.app[POOL], request.app[CONFIG]
    per_day = await stats_store.local_posts_per_day(pool, 7)
    backlog = await queue.backlog(pool)
    return {
        "members": await accounts_store.count_local_users(pool),
        "active": await accounts_store.count_active_users(pool, 30),
        "per_day": per_day,
        "busiest": max([posts for _, posts in per_day] + [1]),
        "database_bytes": await stats_store.database_bytes(pool),
        "disk": await usage.disk_use(cfg),
        "min_free_gb": cfg.min_free_disk_gb,
        "backlog": sum(depth for depth, _ in backlog.values()),
    }
