"""make_app(config): the whole aiohttp application; nothing happens at import time."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

from aiohttp import web

from federation import nodeinfo, web_push
from federation import routes as federation_routes
from federation import runtime as federation_runtime
from federation.inbox import receive
from federation.runtime import FEDERATION
from federation.workers import run_forever
from server.api import accounts as api_accounts
from server.api import admin as api_admin
from server.api import announcements as api_announcements
from server.api import conversations as api_conversations
from server.api import filters as api_filters
from server.api import instance as api_instance
from server.api import lists as api_lists
from server.api import media, misc, oauth, polls, ratelimit, timelines
from server.api import notifications as api_notifications
from server.api import reports as api_reports
from server.api import scheduled as api_scheduled
from server.api import statuses as api_statuses
from server.api import tags as api_tags
from server.api.streaming import endpoints as api_streaming
from server.config import Config
from server.db.embedded import start_embedded
from server.db.migrate import migrate
from server.db.pool import create_pool
from server.domain import instance
from server.keys import CONFIG, DSN, POOL, SECRET, SETTINGS, URLS, VAPID_KEY
from server.media.storage import storage_for
from server.routing import with_trailing_slashes
from server.store import settings as settings_store
from server.urls import Urls
from server.web import (
    account_care,
    admin,
    admin_accounts,
    admin_operations,
    announcements,
    auth,
    collections,
    compose,
    content_rules,
    conversations,
    directory,
    emoji,
    exports,
    feeds,
    health,
    imports,
    lists,
    member_tools,
    middleware,
    moving,
    notifications,
    observe,
    pictures,
    posts,
    profiles,
    reports,
    search,
    settings,
    two_factor,
)
from server.web import oauth as web_oauth

log = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
MAX_BODY = 1024 * 1024  # forms and activities; media uploads stream their parts under their own limits


def database_url(cfg: Config) -> str:
    """The configured URL, or the embedded server's (started if needed) when none is set."""
    return cfg.database_url or start_embedded(cfg.data_dir)


async def _database(app: web.Application):
    dsn = database_url(app[CONFIG])
    pool = await create_pool(dsn)
    async with pool.acquire() as conn:
        await migrate(conn)
    app[POOL] = pool
    app[DSN] = dsn
    app[SECRET] = (await settings_store.get_or_create_secret(pool, "web_secret")).encode()
    app[SETTINGS] = instance.Settings(pool, app[CONFIG])
    app[VAPID_KEY] = web_push.public_key(await web_push.vapid_pem(pool))
    yield
    await pool.close()


async def _federation(app: web.Application):
    fed = await federation_runtime.start(app[CONFIG], app[URLS], app[POOL])
    app[FEDERATION] = fed
    task = asyncio.create_task(run_forever(fed, app[DSN])) if app[CONFIG].workers else None
    yield
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    await fed.close()


def make_app(cfg: Config) -> web.Application:
    app = web.Application(
        client_max_size=MAX_BODY,
        middlewares=[observe.observe, middleware.security_headers, middleware.errors, ratelimit.rate_limit,
                     middleware.session_and_csrf],
    )
    app[CONFIG] = cfg
    app[URLS] = Urls(cfg.base_url, storage_for(cfg))
    ratelimit.setup(app)
    app.cleanup_ctx.append(_database)
    app.cleanup_ctx.append(_federation)
    app.cleanup_ctx.append(api_streaming.streaming_ctx)
    app.on_shutdown.append(api_streaming.close_streams)  # else open streams hold shutdown for its timeout
    tables = (nodeinfo.routes, federation_routes.routes, receive.routes, auth.routes, feeds.routes, posts.routes,
              profiles.routes, search.routes, notifications.routes, settings.routes, admin.routes,
              admin_accounts.routes, admin_operations.routes, reports.routes, content_rules.routes,
              member_tools.routes, oauth.routes,
              api_accounts.routes, api_statuses.routes,
              timelines.routes, api_notifications.routes, api_instance.routes, misc.routes, polls.routes,
              media.routes, api_streaming.routes, api_lists.routes, api_filters.routes, api_conversations.routes,
              api_reports.routes, api_admin.routes, web_oauth.routes, pictures.routes,
              collections.routes, compose.routes,
              conversations.routes, lists.routes, emoji.routes, account_care.routes,
              two_factor.routes, exports.routes, imports.routes, moving.routes, api_tags.routes,
              api_scheduled.routes, health.routes, directory.routes, api_announcements.routes, announcements.routes)
    app.add_routes(with_trailing_slashes(tables))
    app.router.add_static("/static/", STATIC_DIR, append_version=True)
    return app
