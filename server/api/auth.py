"""Bearer tokens and scopes for the client API."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from server.domain import scopes
from server.domain.oauth import token_hash
from server.errors import AppError, Invalid
from server.keys import CONFIG, POOL
from server.models import User
from server.store import oauth as oauth_store

TOKEN = web.RequestKey("api_token", oauth_store.Token)
API_USER = web.RequestKey("api_user", User)


async def _authenticate(request: web.Request) -> tuple[oauth_store.Token | None, User | None]:
    header = request.headers.get("Authorization", "")
    if not header:
        return None, None
    kind, _, token = header.partition(" ")
    if kind.lower() != "bearer" or not token or len(token) > 200:
        raise AppError(401, "The access token is invalid")
    found_with_user = await oauth_store.token_and_user(request.app[POOL], token_hash(token.strip()))
    if found_with_user is None:
        raise AppError(401, "The access token is invalid")
    found, user = found_with_user
    if found.account_id and (user is None or user.account.suspended_at is not None):
        raise AppError(401, "Your login is currently disabled")
    if user is not None and user.awaiting == "approval":
        raise AppError(403, "Your login is currently pending approval")
    if user is not None and user.awaiting == "confirmation" and request.app[CONFIG].require_email_confirmation \
            and request.path != "/api/v1/emails/confirmations":
        raise AppError(403, "Your login is missing a confirmed e-mail address")
    return found, user


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def api(scope: str | None = None, *, user: bool = True) -> Callable[[Handler], Handler]:
    """Guard an endpoint: a token is needed when `user` is set (or when `scope` is given), and it
    must grant `scope`. Without a token, public endpoints still run with no user."""

    def wrap(handler: Handler) -> Handler:
        async def guarded(request: web.Request) -> web.StreamResponse:
            token, who = await _authenticate(request)
            if token is None and (user or scope):
                raise AppError(401, "The access token is invalid")
            if user and who is None:
                raise AppError(422, "This method requires an authenticated user")
            if token is not None and scope and not scopes.grants(token.scopes, scope):
                raise AppError(403, "This action is outside the authorized scopes")
            if token is not None:
                request[TOKEN] = token
            if who is not None:
                request[API_USER] = who
            try:
                return await handler(request)
            except Invalid as exc:  # a rule of the domain refused the write: Mastodon's wording
                raise AppError(422, f"Validation failed: {exc.message}") from None

        guarded.__name__ = handler.__name__
        guarded.__doc__ = handler.__doc__
        return guarded

    return wrap


def current_user(request: web.Request) -> User:
    return request[API_USER]


def maybe_user(request: web.Request) -> User | None:
    return request.get(API_USER)
