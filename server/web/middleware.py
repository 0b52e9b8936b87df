"""Middlewares for every response: security headers, error pages, the session and CSRF checks."""

from __future__ import annotations

import functools
import logging
from urllib.parse import urlsplit

import asyncpg
from aiohttp import web

from server.config import Config
from server.db.pool import UNAVAILABLE
from server.errors import AppError
from server.keys import CONFIG, CSRF_NEW_COOKIE, NAV_COUNTS, POOL, SETTINGS, SITE, USER
from server.media import uploads
from server.store import home_feed
from server.store import markers as markers_store
from server.store import notifications as notifications_store
from server.web import csrf, sessions
from server.web.render import render

log = logging.getLogger(__name__)

# Strict: nothing inline (the one optional script is a file of ours), nothing from other origins
# but images from the media bucket when there is one (security_headers_for). Remote images arrive
# through our own media paths once federation caches them.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "interest-cohort=()",
}
# Machine-to-machine paths authenticate by token or signature, not cookies, and answer JSON.
NON_BROWSER_PREFIXES = (
    "/api/", "/oauth/token", "/oauth/revoke", "/inbox", "/users/", "/actor", "/.well-known/", "/nodeinfo/",
    "/media/", "/health", "/ready", "/metrics",
)


# Forms that carry files, and how large their whole body may be (each file is then checked on its own,
# so that one too large comes back as a message on the same form).
UPLOAD_FORMS = {
    "/settings/profile": 2 * uploads.IMAGE_LIMIT + 5 * uploads.MIB,  # avatar and header
    "/": max(4 * uploads.IMAGE_LIMIT, uploads.AV_LIMIT) + 5 * uploads.MIB,  # a post's images or video
    "/settings/import": 513 * uploads.MIB,  # a CSV, or a Mastodon archive (archive_import.MAX_ARCHIVE_BYTES)
}
NOT_PAGES = ("/avatars/", "/remote/", "/static/")  # pictures and files: no navigation to count for
SUSPENDED_MAY = ("/settings/moderation", "/logout", "/static/", "/about", "/avatars/", "/remote/")


def is_browser_path(path: str) -> bool:
    return not path.startswith(NON_BROWSER_PREFIXES)


@functools.cache
def security_headers_for(cfg: Config) -> dict[str, str]:
    """The headers, with the media bucket's public origin allowed for images when media is there."""
    if cfg.media_storage != "s3":
        return SECURITY_HEADERS
    parts = urlsplit(cfg.s3_public_url)
    origin = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"
    return {**SECURITY_HEADERS, "Content-Security-Policy": CSP.replace("img-src 'self'", f"img-src 'self' {origin}")}


@web.middleware
async def security_headers(request: web.Request, handler):
    headers = security_headers_for(request.app[CONFIG])
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        exc.headers.update({k: v for k, v in headers.items() if k not in exc.headers})
        raise
    for key, value in headers.items():
        response.headers.setdefault(key, value)
    return response


def _error_response(request: web.Request, status: int, message: str) -> web.Response:
    if not is_browser_path(request.path):
        return web.json_response({"error": message}, status=status)
    return render(request, "errors/error.html", {"status": status, "message": message}, status=status)


@web.middleware
async def errors(request: web.Request, handler):
    """Every failure becomes a rendered page (or JSON off the browser paths), never a traceback."""
    try:
        response = await handler(request)
    except AppError as exc:
        response = _error_response(request, exc.status, exc.message)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        messages = {
            404: "There is nothing here.",
            405: "That method is not allowed here.",
            413: "That request is too large.",
        }
        response = _error_response(request, exc.status, messages.get(exc.status, exc.reason))
    except asyncpg.DataError as exc:  # a value PostgreSQL cannot take (an id beyond 64 bits): the input's fault
        log.info("a value out of range on %s %s: %s", request.method, request.path, exc)
        response = _error_response(request, 400, "A value in this request is out of range.")
    except UNAVAILABLE as exc:  # nothing was stored: the client (a peer's inbox delivery too) tries again
        log.warning("database unavailable on %s %s: %r", request.method, request.path, exc)
        response = _error_response(request, 503, "The database is unavailable for a moment; please try again.")
        response.headers["Retry-After"] = "10"
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        response = _error_response(request, 500, "Something went wrong on our side. It has been logged.")
    new_cookie = request.get(CSRF_NEW_COOKIE)
    if new_cookie:
        sessions.set_cookie(request, response, csrf.COOKIE, new_cookie, 365 * 86400)
    return response


async def _nav_counts(pool: asyncpg.Pool, account_id: int) -> dict[str, int]:
    """What the navigation counts for a member: home posts since the read marker, unread notifications."""
    marker = await markers_store.last_read(pool, account_id, "home")
    return {
        "home": await home_feed.unread_count(pool, account_id, marker) if marker else 0,
        "notifications": await notifications_store.unread_count(pool, account_id),
    }


@web.middleware
async def session_and_csrf(request: web.Request, handler):
    """Load the signed-in user and refuse any browser form without a valid CSRF token."""
    if not is_browser_path(request.path):
        request[USER] = None
        return await handler(request)
    await sessions.load_user(request)
    user = request[USER]
    if user is not None and user.account.suspended_at is not None and not request.path.startswith(SUSPENDED_MAY):
        # A suspended member may only read the notice, appeal it, and sign out.
        if request.method == "GET":
            raise web.HTTPSeeOther("/settings/moderation")
        raise AppError(403, "Your account is suspended. Read the notice and appeal at /settings/moderation.")
    request[SITE] = await request.app[SETTINGS].current()
    if user is not None and not request.path.startswith(NOT_PAGES):  # a refused form re-renders a page too
        request[NAV_COUNTS] = await _nav_counts(request.app[POOL], user.id)
    csrf.browser_id(request)
    unrouted = request.match_info.http_exception is not None  # becomes a 404/405 page
    if request.method not in ("GET", "HEAD", "OPTIONS") and not unrouted:
        if user is not None and request.path in UPLOAD_FORMS and request.content_type == "multipart/form-data":
            # A form with files: a member's body may be larger (parts go to temporary files as they arrive).
            request = request.clone(client_max_size=UPLOAD_FORMS[request.path])
        form = await request.post()
        token = form.get(csrf.FIELD)
        if not isinstance(token, str) or not csrf.check(request, token):
            raise AppError(403, "This form has expired or did not come from this site. Go back, reload and try again.")
    return await handler(request)
