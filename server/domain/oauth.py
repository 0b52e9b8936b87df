"""Granting apps access: checking an authorization request and issuing its one-time code.

The authorization page (server/web/oauth.py) asks a signed-in member; the token endpoint
(server/api/oauth.py) exchanges the code. Errors here are shown on the page, never redirected
to an app that may not be who it says.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg

from server.domain import scopes
from server.errors import AppError
from server.store import oauth as oauth_store

OOB = "urn:ietf:wg:oauth:2.0:oob"
CODE_LIFETIME = timedelta(minutes=10)


def token_hash(token: str) -> bytes:
    """What is stored of a token or code: its SHA-256, never the secret itself."""
    return hashlib.sha256(token.encode()).digest()


@dataclass(frozen=True)
class Authorization:
    app: oauth_store.App
    redirect_uri: str
    scopes: list[str]


async def check_request(pool: asyncpg.Pool, *, client_id: str, redirect_uri: str, response_type: str,
                        scope: str | None, code_challenge: str | None,
                        code_challenge_method: str | None) -> Authorization:
    """The app, where to send the member back, and the scopes asked for; AppError 400 saying why not."""
    app = await oauth_store.app_by_client_id(pool, client_id)
    if app is None:
        raise AppError(400, "Unknown client: this app is not registered here.")
    redirect_uri = redirect_uri or (app.redirect_uris[0] if len(app.redirect_uris) == 1 else "")
    if redirect_uri not in app.redirect_uris:
        raise AppError(400, "The redirect URI does not match the one this app registered.")
    if (response_type or "code") != "code":
        raise AppError(400, "Only response_type=code is supported.")
    try:
        requested = scopes.parse(scope or " ".join(app.scopes))
    except ValueError as exc:
        raise AppError(400, f"Invalid scope: {exc}") from None
    if not scopes.subset(requested, app.scopes):
        raise AppError(400, "The app asked for more than it registered for.")
    if code_challenge and code_challenge_method not in (None, "S256", "plain"):
        raise AppError(400, "code_challenge_method must be S256 (or plain)")
    return Authorization(app, redirect_uri, requested)


async def grant_code(pool: asyncpg.Pool, authorization: Authorization, account_id: int, *,
                     code_challenge: str | None, code_challenge_method: str | None) -> str:
    """A one-time code the app exchanges for a token within CODE_LIFETIME."""
    code = secrets.token_urlsafe(32)
    await oauth_store.insert_code(
        pool, token_hash(code), authorization.app.id, account_id, authorization.redirect_uri, authorization.scopes,
        code_challenge, code_challenge_method, datetime.now(UTC) + CODE_LIFETIME,
    )
    return code
