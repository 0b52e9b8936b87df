"""The OAuth authorization page: a signed-in member lets an app act for them (or declines)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit

from aiohttp import web

from server.domain import oauth
from server.domain.oauth import OOB
from server.keys import POOL, USER
from server.web import sessions
from server.web.forms import field
from server.web.middleware import CSP
from server.web.render import render

routes = web.RouteTableDef()
FIELDS = ("client_id", "redirect_uri", "scope", "state", "code_challenge", "code_challenge_method", "response_type")


async def _authorization(request: web.Request, data: Mapping[str, Any]) -> oauth.Authorization:
    return await oauth.check_request(
        request.app[POOL],
        client_id=field(data, "client_id", max_len=200),
        redirect_uri=field(data, "redirect_uri", max_len=2000),
        response_type=field(data, "response_type", max_len=20),
        scope=field(data, "scope", max_len=2000) or None,
        code_challenge=field(data, "code_challenge", max_len=200) or None,
        code_challenge_method=field(data, "code_challenge_method", max_len=10) or None,
    )


def _form_action_csp(redirect_uri: str) -> dict[str, str]:
    """Let the authorize form redirect to the app (browsers apply form-action to redirects)."""
    target = "" if redirect_uri == OOB else f" {urlsplit(redirect_uri).scheme}:"
    return {"Content-Security-Policy": CSP.replace("form-action 'self'", f"form-action 'self'{target}")}


def _back_to_app(redirect_uri: str, query: dict[str, str]) -> str:
    return f"{redirect_uri}{'&' if '?' in redirect_uri else '?'}{urlencode(query)}"


@routes.get("/oauth/authorize")
async def authorize_page(request: web.Request) -> web.Response:
    granted = await _authorization(request, request.query)
    if request[USER] is None:
        raise web.HTTPSeeOther("/login?" + urlencode({"next": request.path_qs}))
    fields = {k: v for k, v in request.query.items() if k in FIELDS}
    fields["redirect_uri"] = granted.redirect_uri
    response = render(request, "oauth/authorize.html", {"app": granted.app, "scopes": granted.scopes,
                                                        "fields": fields, "oob": granted.redirect_uri == OOB})
    response.headers.update(_form_action_csp(granted.redirect_uri))
    return response


@routes.post("/oauth/authorize")
async def authorize(request: web.Request) -> web.Response:
    user = sessions.require_user(request)
    form = await request.post()
    granted = await _authorization(request, form)
    state = field(form, "state", max_len=2000)
    if field(form, "decision", max_len=10) == "deny":
        if granted.redirect_uri == OOB:
            return render(request, "oauth/code.html", {"app": granted.app, "code": None})
        query = {"error": "access_denied", "error_description": "The user denied the request."}
        raise web.HTTPSeeOther(_back_to_app(granted.redirect_uri, {**query, **({"state": state} if state else {})}))
    code = await oauth.grant_code(
        request.app[POOL], granted, user.id, code_challenge=field(form, "code_challenge", max_len=200) or None,
        code_challenge_method=field(form, "code_challenge_method", max_len=10) or None,
    )
    if granted.redirect_uri == OOB:
        return render(request, "oauth/code.html", {"app": granted.app, "code": code})
    query = {"code": code, **({"state": state} if state else {})}
    response = web.HTTPSeeOther(_back_to_app(granted.redirect_uri, query))
    response.headers.update(_form_action_csp(granted.redirect_uri))
    raise response
