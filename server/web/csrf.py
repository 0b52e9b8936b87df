"""CSRF protection for every form: an HMAC of a per-browser random cookie.

Visitors get the cookie too, so login and sign-up forms are protected as well; an attacker's
page can neither read the cookie nor compute the HMAC without the instance secret.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from aiohttp import web

from server.keys import CSRF_BROWSER_ID, CSRF_NEW_COOKIE, SECRET

COOKIE = "kith_csrf"
FIELD = "csrf_token"


def browser_id(request: web.Request) -> str:
    """The browser's CSRF cookie value, minting one (set on the response by the middleware) if absent."""
    value = request.get(CSRF_BROWSER_ID)
    if value is None:
        value = request.cookies.get(COOKIE, "")
        if not (16 <= len(value) <= 64 and value.isalnum()):
            value = secrets.token_hex(16)
            request[CSRF_NEW_COOKIE] = value
        request[CSRF_BROWSER_ID] = value
    return value


def csrf_token(request: web.Request) -> str:
    return hmac.new(request.app[SECRET], browser_id(request).encode(), hashlib.sha256).hexdigest()


def check(request: web.Request, submitted: str) -> bool:
    return bool(submitted) and hmac.compare_digest(submitted, csrf_token(request))
