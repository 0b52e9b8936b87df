"""Mastodon's admin API for moderation tools and blocklist-sync scripts: domain blocks and allows,
accounts (list, approve, reject, act) and reports (list, resolve). admin:* scopes, and the
token's member must have the staff role the same action needs in /admin."""

from __future__ import annotations

import hashlib

from aiohttp import web

from server.api import entities, params
from server.api.auth import api, current_user
from server.api.common import NOT_FOUND, account_or_404, path_id
from server.domain import account_actions, moderation, registrations
from server.domain import reports as reports_domain
from server.errors import AppError, NotFound
from server.keys import POOL, URLS
from server.models import Role, User
from server.store import accounts as accounts_store
from server.store import domains as domains_store
from server.store import registrations as registrations_store
from server.store import reports as reports_store
from server.store.domains import DomainAllow, DomainPolicy

routes = web.RouteTableDef()


def _staff(request: web.Request, *roles: Role) -> User:
    user = current_user(request)
    if user.role not in (roles or (Role.ADMIN, Role.MODERATOR)):
        raise AppError(403, "This action is not allowed")
    return user


def _block_json(p: DomainPolicy) -> dict:
    return {"id": p.domain, "domain": p.domain, "digest": hashlib.sha256(p.domain.encode()).hexdigest(),
            "created_at": entities.iso(p.created_at) if p.created_at else None,
            "severity": moderation.mastodon_severity(p.severity),
            "reject_media": p.reject_media, "reject_reports": p.reject_reports, "private_comment": p.private_comment,
            "public_comment": p.public_comment, "obfuscate": p.obfuscate}


async def _policy(request: web.Request, domain: str) -> DomainPolicy:
    found = [p for p in await domains_store.all_policies(request.app[POOL]) if p.domain == domain]
    if not found:
        raise AppError(404, NOT_FOUND)
    return found[0]


@routes.get("/api/v1/admin/domain_blocks")
@api("admin:read:domain_blocks")
async def domain_blocks(request: web.Request) -> web.Response:
    _staff(request, Role.ADMIN)
    return web.json_response([_block_json(p) for p in await domains_store.all_policies(request.app[POOL])])


@routes.get("/api/v1/admin/domain_blocks/{domain}")
@api("admin:read:domain_blocks")
async def domain_block(request: web.Request) -> web.Response:
    _staff(request, Role.ADMIN)
    return web.json_response(_block_json(await _policy(request, request.match_info["domain"])))


async def _save_block(request: web.Request, domain: str, current: DomainPolicy | None) -> web.Response:
    user = _staff(request, Role.ADMIN)
    p = await params.read(request)
    base = current or DomainPolicy(domain)
    policy = DomainPolicy(
        domain=domain, severity=p.str("severity", base.severity, max_len=20) or "suspend",
        reject_media=p.bool("reject_media", base.reject_media),
        reject_reports=p.bool("reject_reports", base.reject_reports),
        public_comment=p.str("public_comment", base.public_comment, max_len=2000) or "",
        private_comment=p.str("private_comment", base.private_comment, max_len=2000) or "",
        obfuscate=p.bool("obfuscate", base.obfuscate),
    )
    await moderation.set_domain_policy(request.app[POOL], policy, user.id, "admin API")
    return web.json_response(_block_json(await _policy(request, moderation.normalise_domain(domain))))


@routes.post("/api/v1/admin/domain_blocks")
@api("admin:write:domain_blocks")
async def create_domain_block(request: web.Request) -> web.Response:
    p = await params.read(request)
    domain = p.str("domain", "", max_len=300) or ""
    if not domain:
        raise AppError(422, "Validation failed: domain is required")
    return await _save_block(request, domain, None)


@routes.put("/api/v1/admin/domain_blocks/{domain}")
@api("admin:write:domain_blocks")
async def update_domain_block(request: web.Request) -> web.Response:
    current = await _policy(request, request.match_info["domain"])
    return await _save_block(request, current.domain, current)


@routes.delete("/api/v1/admin/domain_blocks/{domain}")
@api("admin:write:domain_blocks")
async def delete_domain_block(request: web.Request) -> web.Response:
    user = _staff(request, Role.ADMIN)
    if not await moderation.remove_domain_policy(request.app[POOL], request.match_info["domain"], user.id, "admin API"):
        raise AppError(404, NOT_FOUND)
    return web.json_response({})


def _allow_json(allow: DomainAllow) -> dict:
    return {"id": allow.domain, "domain": allow.domain, "created_at": entities.iso(allow.created_at)}


@routes.get("/api/v1/admin/domain_allows")
@api("admin:read:domain_allows")
async def domain_allows(request: web.Request) -> web.Response:
    _staff(request, Role.ADMIN)
    return web.json_response([_allow_json(a) for a in await domains_store.allows(request.app[POOL])])


@routes.post("/api/v1/admin/domain_allows")
@api("admin:write:domain_allows")
async def create_domain_allow(request: web.Request) -> web.Response:
    user = _staff(request, Role.ADMIN)
    p = await params.read(request)
    domain = moderation.normalise_domain(p.str("domain", "", max_len=300) or "")
    await moderation.allow_domain(request.app[POOL], domain, user.id)
    return web.json_response(_allow_json(next(a for a in await domains_store.allows(request.app[POOL])
                                              if a.domain == domain)))


@routes.delete("/api/v1/admin/domain_allows/{domain}")
@api("admin:write:domain_allows")
async def delete_domain_allow(request: web.Request) -> web.Response:
    user = _staff(request, Role.ADMIN)
    if not await moderation.allow_domain(request.app[POOL], request.match_info["domain"], user.id, allowed=False):
        raise AppError(404, NOT_FOUND)
    return web.json_response({})


async def _admin_account(request: web.Request, account) -> dict:
    state = await registrations_store.application_state(request.app[POOL], account.id)
    return {"id": str(account.id), "username": account.username, "domain": account.domain,
            "created_at": entities.iso(account.created_at), "email": None, "ip": None, "confirmed": True,
            "suspended": account.suspended_at is not None, "silenced": False, "disabled": False,
            "approved": state in (None, "approved"), "locale": None, "invite_request": None,
            "account": await entities.account_to_api(request.app[POOL], request.app[URLS], account)}


@routes.get("/api/v1/admin/accounts")
@api("admin:read:accounts")
async def accounts(request: web.Request) -> web.Response:
    _staff(request)
    p = params.Params(request.query)
    pool = request.app[POOL]
    if p.bool("pending"):
        found = [item["account"] for item in await registrations_store.pending(pool)]
    else:
        found = await accounts_store.search_accounts(pool, p.str("username", "", max_len=100) or "", 100,
                                                     include_suspended=True)
    return web.json_response([await _admin_account(request, a) for a in found])


@routes.get(r"/api/v1/admin/accounts/{id:\d+}")
@api("admin:read:accounts")
async def account(request: web.Request) -> web.Response:
    _staff(request)
    found = await accounts_store.get_by_id(request.app[POOL], path_id(request))
    if found is None:
        raise AppError(404, NOT_FOUND)
    return web.json_response(await _admin_account(request, found))


async def _decide(request: web.Request, approve: bool) -> web.Response:
    user = _staff(request)
    target = await account_or_404(request, path_id(request))
    await registrations.decide(request.app[POOL], user.id, target, approve)
    return web.json_response(await _admin_account(request, target))


@routes.post(r"/api/v1/admin/accounts/{id:\d+}/approve")
@api("admin:write:accounts")
async def approve(request: web.Request) -> web.Response:
    return await _decide(request, True)


@routes.post(r"/api/v1/admin/accounts/{id:\d+}/reject")
@api("admin:write:accounts")
async def reject(request: web.Request) -> web.Response:
    return await _decide(request, False)


@routes.post(r"/api/v1/admin/accounts/{id:\d+}/action")
@api("admin:write:accounts")
async def action(request: web.Request) -> web.Response:
    """type=suspend (or none), text = the reason; the same action as /admin/accounts."""
    user = _staff(request)
    target = await accounts_store.get_by_id(request.app[POOL], path_id(request))
    if target is None:
        raise AppError(404, NOT_FOUND)
    p = await params.read(request)
    kind = p.str("type", "none", max_len=20)
    if kind == "none":
        return web.json_response({})
    if kind != "suspend":
        raise AppError(422, f"Validation failed: the action {kind!r} is not supported here")
    rule_ids = [int(r) for r in p.list("rule_ids", max_items=50) if r.isdigit() and len(r) <= 19]
    try:
        await account_actions.act(request.app[POOL], request.app[URLS], user.id, target, "suspend", rule_ids,
                                  p.str("text", "", max_len=2000) or "admin API")
    except NotFound as exc:
        raise AppError(409, exc.message) from None
    return web.json_response({})


@routes.get("/api/v1/admin/reports")
@api("admin:read:reports")
async def reports(request: web.Request) -> web.Response:
    _staff(request)
    resolved = params.Params(request.query).bool("resolved")
    items = await reports_store.page(request.app[POOL], resolved=resolved)
    targets = await entities.accounts_to_api(request.app[POOL], request.app[URLS], [i["target"] for i in items])
    return web.json_response([entities.report_to_api(i, targets[i["target"].id]) for i in items])


@routes.post(r"/api/v1/admin/reports/{id:\d+}/resolve")
@api("admin:write:reports")
async def resolve(request: web.Request) -> web.Response:
    user = _staff(request)
    report_id = path_id(request)
    await reports_domain.handle(request.app[POOL], user.id, report_id, ending="resolve")
    return web.json_response({"id": str(report_id), "action_taken": True})



@routes.post(r"/api/v1/admin/reports/{id:\d+}/assign_to_self")
@api("admin:write:reports")
async def assign(request: web.Request) -> web.Response:
    user = _staff(request)
    report_id = path_id(request)
    await reports_domain.assign(request.app[POOL], user.id, report_id)
    return web.json_response({"id": str(report_id), "assigned_account": {"id": str(user.id)}})
