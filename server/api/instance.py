"""/api/v1/instance and /api/v2/instance: what apps read first, and what some crash without."""

from __future__ import annotations

import hashlib
import html

from aiohttp import web

from federation.nodeinfo import VERSION
from server.api import entities
from server.api.auth import api
from server.domain import moderation, scopes
from server.errors import AppError
from server.keys import POOL, SETTINGS, URLS, VAPID_KEY
from server.store import accounts as accounts_store
from server.store import domains as domains_store
from server.store import rules as rules_store
from server.store import statuses as statuses_store
from server.text.languages import language_name

routes = web.RouteTableDef()
# Clients (Mastodon.py among them) read features off a Mastodon-compatible version string.
MASTODON_VERSION = f"4.3.0 (compatible; Kith {VERSION})"
MEDIA_TYPES = ["image/jpeg", "image/png", "image/gif", "image/webp", "video/mp4", "video/webm",
               "audio/mpeg", "audio/ogg", "audio/wav", "audio/mp4"]


def _configuration(max_chars: int) -> dict:
    return {
        "urls": {"streaming": None},
        "accounts": {"max_featured_tags": 10, "max_pinned_statuses": 5},
        "statuses": {"max_characters": max_chars, "max_media_attachments": 4, "characters_reserved_per_url": 23},
        "media_attachments": {"supported_mime_types": MEDIA_TYPES, "image_size_limit": 16 * 1024 * 1024,
                              "image_matrix_limit": 40_000_000, "video_size_limit": 40 * 1024 * 1024,
                              "video_frame_rate_limit": 60, "video_matrix_limit": 8_294_400,
                              "description_limit": 1500},
        "polls": {"max_options": 4, "max_characters_per_option": 50, "min_expiration": 300,
                  "max_expiration": 2_592_000},
        "translation": {"enabled": False},
    }


async def _contact(request: web.Request) -> dict | None:
    pool = request.app[POOL]
    admin = await accounts_store.first_admin(pool)
    return (await entities.account_to_api(pool, request.app[URLS], admin)) if admin else None


@routes.get("/api/v1/instance")
@routes.get("/api/v1/instance/")
@api(user=False)
async def v1(request: web.Request) -> web.Response:
    site, urls, pool = await request.app[SETTINGS].current(), request.app[URLS], request.app[POOL]
    configuration = _configuration(site.max_post_chars)
    configuration["urls"]["streaming"] = urls.base.replace("http", "ws", 1)
    return web.json_response({
        "uri": urls.host, "title": site.instance_name, "short_description": site.instance_description,
        "description": site.instance_description, "email": site.contact_email, "version": MASTODON_VERSION,
        "urls": {"streaming_api": urls.base.replace("http", "ws", 1)},
        "stats": {"user_count": await accounts_store.count_local_users(pool),
                  "status_count": await statuses_store.count_local(pool),
                  "domain_count": await accounts_store.count_domains(pool)},
        "thumbnail": None, "languages": site.language_list, "registrations": site.registrations in ("open", "approval"),
        "approval_required": site.registrations == "approval", "invites_enabled": site.registrations == "invite",
        "configuration": configuration, "contact_account": await _contact(request), "rules": await _rules(request),
    })


@routes.get("/api/v2/instance")
@routes.get("/api/v2/instance/")
@api(user=False)
async def v2(request: web.Request) -> web.Response:
    site, urls = await request.app[SETTINGS].current(), request.app[URLS]
    configuration = _configuration(site.max_post_chars)
    configuration["urls"]["streaming"] = urls.base.replace("http", "ws", 1)
    configuration["vapid"] = {"public_key": request.app[VAPID_KEY]}
    return web.json_response({
        "domain": urls.host, "title": site.instance_name, "version": MASTODON_VERSION,
        "source_url": f"{urls.base}/about", "description": site.instance_description,
        "usage": {"users": {"active_month": await accounts_store.count_active_users(request.app[POOL], 30)}},
        "thumbnail": {"url": f"{urls.base}/static/header.png"}, "icon": [], "languages": site.language_list,
        "configuration": configuration,
        "registrations": {"enabled": site.registrations in ("open", "approval"),
                          "approval_required": site.registrations == "approval", "message": None, "url": None},
        "api_versions": {"mastodon": 2},
        "contact": {"email": site.contact_email, "account": await _contact(request)},
        "rules": await _rules(request),
    })


@routes.get("/api/v1/instance/peers")
@api(user=False)
async def peers(request: web.Request) -> web.Response:
    return web.json_response(await accounts_store.known_domains(request.app[POOL]))


async def _rules(request: web.Request) -> list[dict]:
    return [r.public() for r in await rules_store.all_rules(request.app[POOL])]


@routes.get("/api/v1/instance/rules")
@api(user=False)
async def rules(request: web.Request) -> web.Response:
    return web.json_response(await _rules(request))


@routes.get("/api/v1/instance/activity")
@api(user=False)
async def activity(request: web.Request) -> web.Response:
    return web.json_response(await statuses_store.weekly_activity(request.app[POOL]))


@routes.get("/api/v1/instance/extended_description")
@api(user=False)
async def extended_description(request: web.Request) -> web.Response:
    site = await request.app[SETTINGS].current()
    return web.json_response({"updated_at": None, "content": f"<p>{html.escape(site.instance_description)}</p>"})


@routes.get("/api/v1/instance/translation_languages")
@api(user=False)
async def translation_languages(request: web.Request) -> web.Response:
    return web.json_response({})


@routes.get("/api/v1/instance/languages")
@api(user=False)
async def languages(request: web.Request) -> web.Response:
    """The instance's languages (Mastodon lists those it knows; here, the ones the admins set)."""
    site = await request.app[SETTINGS].current()
    return web.json_response([{"code": code, "name": language_name(code)} for code in site.language_list])


@routes.get("/api/v1/instance/domain_blocks")
@api(user=False)
async def domain_blocks(request: web.Request) -> web.Response:
    """What this instance limits or suspends, as /about/moderation publishes it (obfuscated where chosen)."""
    policies = await domains_store.all_policies(request.app[POOL])
    return web.json_response([{
        "domain": moderation.obfuscated(p.domain) if p.obfuscate else p.domain,
        "digest": hashlib.sha256(p.domain.encode()).hexdigest(),
        "severity": "silence" if p.severity == "limit" else p.severity, "comment": p.public_comment or None,
    } for p in policies if p.severity in ("limit", "suspend")])


@routes.get("/.well-known/oauth-authorization-server")
async def oauth_metadata(request: web.Request) -> web.Response:
    """RFC 8414 metadata, as Mastodon 4.3 publishes it, so apps find the endpoints and scopes. Not in
    local-testing mode: RFC 8414 requires https, and apps (Mastodon.py) refuse to sign in to an
    http:// authorization server they are told of, where they would use the usual paths without it."""
    base = request.app[URLS].base
    if not base.startswith("https://"):
        raise AppError(404, "Not published in local-testing mode (http)")
    return web.json_response({
        "issuer": f"{base}/", "service_documentation": f"{base}/about",
        "authorization_endpoint": f"{base}/oauth/authorize", "token_endpoint": f"{base}/oauth/token",
        "revocation_endpoint": f"{base}/oauth/revoke", "app_registration_endpoint": f"{base}/api/v1/apps",
        "scopes_supported": sorted(scopes.KNOWN), "response_types_supported": ["code"],
        "response_modes_supported": ["query", "fragment", "form_post"],
        "grant_types_supported": ["authorization_code", "password", "client_credentials", "refresh_token"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
    })


def _paragraphs(text: str) -> str:
    return "".join(f"<p>{html.escape(p.strip())}</p>" for p in text.split("\n\n") if p.strip())


@routes.get("/api/v1/instance/privacy_policy")
@api(user=False)
async def privacy_policy(request: web.Request) -> web.Response:
    site = await request.app[SETTINGS].current()
    return web.json_response({"updated_at": None, "content": _paragraphs(site.privacy_policy)})


@routes.get("/api/v1/instance/terms_of_service")
@api(user=False)
async def terms_of_service(request: web.Request) -> web.Response:
    site = await request.app[SETTINGS].current()
    if not site.terms_of_service.strip():
        raise AppError(404, "Record not found")
    return web.json_response({"effective_date": None, "effective": True, "content": _paragraphs(site.terms_of_service),
                              "succeeded_by": None})
