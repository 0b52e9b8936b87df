"""OAuth 2 as Mastodon apps use it: app registration, tokens, revocation (the authorization page
is server/web/oauth.py)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import UTC, datetime
from urllib.parse import urlsplit

from aiohttp import web

from server.api import entities, params
from server.api.auth import TOKEN, api, current_user, token_hash
from server.client_address import client_ip
from server.domain import account_care, registrations, scopes, two_factor
from server.domain import accounts as accounts_domain
from server.domain.oauth import OOB
from server.errors import AppError, Invalid
from server.keys import CONFIG, POOL, SETTINGS, URLS, VAPID_KEY
from server.store import oauth as oauth_store

routes = web.RouteTableDef()


def _redirect_uris(value: list[str]) -> list[str]:
    uris = [u.strip() for item in value for u in item.split() if u.strip()]
    if not uris:
        raise AppError(422, "Validation failed: Redirect URI can't be blank")
    for uri in uris:
        parts = urlsplit(uri)
        if uri != OOB and (not parts.scheme or parts.fragment or len(uri) > 2000
                           or parts.scheme in ("javascript", "data", "vbscript", "file")):
            raise AppError(422, f"Validation failed: Redirect URI must be an absolute URI: {uri[:100]}")
    return uris


def _app_json(app: oauth_store.App, vapid_key: str, *, secret: bool) -> dict:
    body = {
        "id": str(app.id), "name": app.name, "website": app.website, "scopes": app.scopes,
        "redirect_uri": "\n".join(app.redirect_uris), "redirect_uris": app.redirect_uris, "vapid_key": vapid_key,
    }
    if secret:
        body.update({"client_id": app.client_id, "client_secret": app.client_secret})
    return body


@routes.post("/api/v1/apps")
async def create_app(request: web.Request) -> web.Response:
    p = await params.read(request)
    name = (p.str("client_name", max_len=200) or "").strip()
    if not name:
        raise AppError(422, "Validation failed: Application name can't be blank")
    uris = _redirect_uris(p.list("redirect_uris") or [p.str("redirect_uris", "") or ""])
    try:
        app_scopes = scopes.parse(p.str("scopes", max_len=2000))
    except ValueError as exc:
        raise AppError(422, f"Validation failed: {exc}") from None
    website = (p.str("website", max_len=2000) or "").strip() or None
    app = await oauth_store.insert_app(
        request.app[POOL], secrets.token_urlsafe(32), secrets.token_urlsafe(32), name, website, uris, app_scopes
    )
    return web.json_response(_app_json(app, request.app[VAPID_KEY], secret=True))


@routes.get("/api/v1/apps/verify_credentials")
@api(user=False)
async def verify_app(request: web.Request) -> web.Response:
    if request.get(TOKEN) is None:
        raise AppError(401, "The access token is invalid")
    app = await oauth_store.app_by_id(request.app[POOL], request[TOKEN].app_id)
    assert app is not None
    return web.json_response(_app_json(app, request.app[VAPID_KEY], secret=False))


def _oauth_error(status: int, error: str, description: str) -> web.Response:
    return web.json_response({"error": error, "error_description": description}, status=status)


def _client(request: web.Request, p: params.Params) -> tuple[str, str]:
    """client_id and client_secret from the body, or from HTTP Basic authentication."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("basic "):
        try:
            client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
            return client_id, secret
        except (ValueError, UnicodeDecodeError):
            return "", ""
    return p.str("client_id", "", max_len=200) or "", p.str("client_secret", "", max_len=200) or ""


def _pkce_ok(challenge: str | None, method: str | None, verifier: str | None) -> bool:
    if not challenge:
        return True
    if not verifier:
        return False
    if method == "plain":
        return hmac.compare_digest(challenge, verifier)
    computed = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return hmac.compare_digest(challenge, computed)


async def _issue(request: web.Request, app: oauth_store.App, account_id: int | None, granted: list[str],
                 *, refresh: bool = True) -> web.Response:
    token = secrets.token_urlsafe(32)
    refresh_token = secrets.token_urlsafe(32) if refresh else None
    await oauth_store.insert_token(request.app[POOL], token_hash(token),
                                   token_hash(refresh_token) if refresh_token else None, app.id, account_id, granted)
    body = {"access_token": token, "token_type": "Bearer", "scope": " ".join(granted),
            "created_at": int(datetime.now(UTC).timestamp())}
    if refresh_token:
        body["refresh_token"] = refresh_token
    return web.json_response(body)


@routes.post("/oauth/token")
async def token(request: web.Request) -> web.Response:
    p = await params.read(request)
    client_id, secret = _client(request, p)
    app = await oauth_store.app_by_client_id(request.app[POOL], client_id) if client_id else None
    grant = p.str("grant_type", "", max_len=50)
    if app is None or not hmac.compare_digest(app.client_secret, secret) and not (
            grant == "authorization_code" and not secret and p.str("code_verifier")):
        return _oauth_error(401, "invalid_client", "Client authentication failed due to unknown client, "
                                                   "no client authentication included, or unsupported method.")
    pool = request.app[POOL]
    if grant == "authorization_code":
        found = await oauth_store.take_code(pool, token_hash(p.str("code", "", max_len=200) or ""), app.id)
        if (found is None or not found["fresh"]
                or found["redirect_uri"] != (p.str("redirect_uri") or found["redirect_uri"])
                or not _pkce_ok(found["code_challenge"], found["code_challenge_method"], p.str("code_verifier"))):
            return _oauth_error(400, "invalid_grant", "The provided authorization grant is invalid, expired, "
                                                      "revoked, or does not match the redirection URI.")
        return await _issue(request, app, found["account_id"], list(found["scopes"]))
    try:
        requested = scopes.parse(p.str("scope", max_len=2000) or " ".join(app.scopes))
    except ValueError as exc:
        return _oauth_error(400, "invalid_scope", str(exc))
    if not scopes.subset(requested, app.scopes):
        return _oauth_error(400, "invalid_scope", "The requested scope is not registered for this app.")
    if grant == "client_credentials":
        return await _issue(request, app, None, requested, refresh=False)
    if grant == "refresh_token":
        found = await oauth_store.take_refresh(pool, token_hash(p.str("refresh_token", "", max_len=200) or ""), app.id)
        if found is None:
            return _oauth_error(400, "invalid_grant", "The refresh token is invalid.")
        return await _issue(request, app, found["account_id"], list(found["scopes"]))
    if grant == "password":
        try:
            account_id = await accounts_domain.authenticate(
                pool, p.str("username", "", max_len=200) or "", p.str("password", "", max_len=1000) or "",
                client_ip(request), request.app[CONFIG].login_attempts_per_15min,
                require_confirmed=request.app[CONFIG].require_email_confirmation)
        except AppError as exc:
            if exc.status == 429:
                raise
            return _oauth_error(400, "invalid_grant", "The username or password is wrong.")
        if await two_factor.enabled(pool, account_id):  # a password alone is not enough for this member
            return _oauth_error(400, "invalid_grant", "This account signs in with two factors: use the browser.")
        return await _issue(request, app, account_id, requested)
    return _oauth_error(400, "unsupported_grant_type", "The authorization grant type is not supported.")


@routes.post("/oauth/revoke")
async def revoke(request: web.Request) -> web.Response:
    p = await params.read(request)
    client_id, secret = _client(request, p)
    app = await oauth_store.app_by_client_id(request.app[POOL], client_id) if client_id else None
    if app is None or not hmac.compare_digest(app.client_secret, secret):
        return _oauth_error(403, "unauthorized_client", "You are not authorized to revoke this token")
    await oauth_store.revoke(request.app[POOL], token_hash(p.str("token", "", max_len=200) or ""), app.id)
    return web.json_response({})


@routes.get("/oauth/userinfo")
@routes.post("/oauth/userinfo")
@api("profile")
async def userinfo(request: web.Request) -> web.Response:
    """Who the token's member is, as OpenID Connect's UserInfo (Mastodon 4.4 answers it for `profile`)."""
    user = current_user(request)
    urls = request.app[URLS]
    account = await entities.account_to_api(request.app[POOL], urls, user.account)
    return web.json_response({
        "iss": f"{urls.base}/", "sub": urls.actor(user.account.username), "name": user.account.name,
        "preferred_username": user.account.username, "profile": urls.profile(user.account.username),
        "picture": account["avatar"]})


@routes.post("/api/v1/accounts")
@api("write:accounts", user=False)
async def sign_up(request: web.Request) -> web.Response:
    """In-app sign-up with an app's token (client_credentials), honouring the registration mode; the
    new member's token works once their address is confirmed or their application approved."""
    token = request.get(TOKEN)
    if token is None or token.account_id is not None:
        raise AppError(403, "This method requires an app token (client_credentials)")
    p = await params.read(request)
    if not p.bool("agreement"):
        raise AppError(422, "Validation failed: agreement must be accepted")
    site = await request.app[SETTINGS].current()
    try:
        account, _ = await registrations.sign_up(
            request.app[POOL], site, p.str("username", "", max_len=200) or "",
            p.str("password", "", max_len=1000) or "", p.str("email", max_len=320) or None, urls=request.app[URLS],
            confirm_email=request.app[CONFIG].require_email_confirmation,
            reason=p.str("reason", "", max_len=5000) or "")
    except Invalid as exc:
        raise AppError(422, f"Validation failed: {exc.message}") from None
    app = await oauth_store.app_by_id(request.app[POOL], token.app_id)
    return await _issue(request, app, account.id, list(token.scopes))


@routes.post("/api/v1/emails/confirmations")
@api("write:accounts")
async def resend_confirmation(request: web.Request) -> web.Response:
    """Send the confirmation link again (to a new address, when `email` is given and not yet confirmed)."""
    user = current_user(request)
    if user.awaiting != "confirmation":
        raise AppError(403, "This method is only available while the e-mail is awaiting confirmation")
    site = await request.app[SETTINGS].current()
    await account_care.resend_confirmation(request.app[POOL], request.app[URLS], site.instance_name,
                                           user.account.username)
    return web.json_response({})
