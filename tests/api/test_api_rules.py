"""Request-level rules of the client API: scopes, errors, rate limits, OAuth corner cases."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import secrets

from server.api.auth import token_hash
from server.store import oauth as oauth_store
from tests.helpers import make_member, submit


async def make_token(pool, account_id: int | None, scopes: list[str]) -> str:
    app = await oauth_store.insert_app(pool, secrets.token_hex(8), "secret", "Rules test", None,
                                       ["urn:ietf:wg:oauth:2.0:oob"], ["read", "write", "follow", "push"])
    token = secrets.token_urlsafe(16)
    await oauth_store.insert_token(pool, token_hash(token), None, app.id, account_id, scopes)
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_scopes_are_enforced(client, pool):
    alice = await make_member(pool, "alice")
    reader = await make_token(pool, alice.id, ["read"])
    narrow = await make_token(pool, alice.id, ["read:accounts"])
    follow = await make_token(pool, alice.id, ["follow"])
    resp = await client.post("/api/v1/statuses", data={"status": "hi"}, headers=bearer(reader))
    assert resp.status == 403 and (await resp.json())["error"] == "This action is outside the authorized scopes"
    assert (await client.get("/api/v1/accounts/verify_credentials", headers=bearer(narrow))).status == 200
    assert (await client.get("/api/v1/timelines/home", headers=bearer(narrow))).status == 403
    assert (await client.get("/api/v1/follow_requests", headers=bearer(follow))).status == 200  # legacy follow
    assert (await client.get("/api/v1/timelines/home", headers=bearer(follow))).status == 403
    assert await pool.fetchval("SELECT count(*) FROM statuses") == 0


async def test_missing_and_bad_tokens_are_401(client, pool):
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"}):
        resp = await client.get("/api/v1/accounts/verify_credentials", headers=headers)
        assert resp.status == 401 and "error" in await resp.json()
    app_only = await make_token(pool, None, ["read"])
    resp = await client.get("/api/v1/timelines/home", headers=bearer(app_only))
    assert resp.status == 422 and "authenticated user" in (await resp.json())["error"]


async def test_invalid_parameters_are_422_and_nothing_is_created(client, pool):
    alice = await make_member(pool, "alice")
    token = await make_token(pool, alice.id, ["read", "write"])
    cases = [
        {"status": "x" * 501},
        {"status": "hi", "visibility": "everyone"},
        {"status": "hi", "media_ids[]": ["1", "2", "3", "4", "5"]},
        {"status": "hi", "poll[options][]": ["only"], "poll[expires_in]": "3600"},
        {"status": "hi", "poll[options][]": ["a", "b"], "poll[expires_in]": "10"},
        {"status": "hi", "in_reply_to_id": "999"},
        {"status": "hi", "media_ids[]": ["12345"]},
        {"status": ""},
        {"status": "hi", "language": "not a language"},
    ]
    for fields in cases:
        resp = await client.post("/api/v1/statuses", data=fields, headers=bearer(token))
        assert resp.status == 422, (fields, resp.status)
        assert (await resp.json())["error"].startswith("Validation failed"), fields
    resp = await client.post("/api/v1/statuses", json={"status": "hi", "poll": {"options": "nope"}},
                             headers=bearer(token))
    assert resp.status == 422
    assert await pool.fetchval("SELECT count(*) FROM statuses") == 0


async def test_unknown_and_invisible_things_are_404(client, pool):
    alice = await make_member(pool, "alice")
    bob = await make_member(pool, "bob")
    token = await make_token(pool, alice.id, ["read", "write"])
    bob_token = await make_token(pool, bob.id, ["read", "write"])
    resp = await client.post("/api/v1/statuses", data={"status": "secret", "visibility": "direct"},
                             headers=bearer(token))
    secret = (await resp.json())["id"]
    for path in (f"/api/v1/statuses/{secret}", f"/api/v1/statuses/{secret}/context", "/api/v1/statuses/1",
                 "/api/v1/accounts/1", "/api/v1/polls/1"):
        assert (await client.get(path, headers=bearer(bob_token))).status == 404, path
    assert (await client.delete(f"/api/v1/statuses/{secret}", headers=bearer(bob_token))).status == 404
    assert (await client.post(f"/api/v1/statuses/{secret}/favourite", headers=bearer(bob_token))).status == 404


async def test_unsupported_features_answer_empty_lists(client, pool):
    alice = await make_member(pool, "alice")
    token = await make_token(pool, alice.id, ["read"])
    for path in ("/api/v1/trends", "/api/v1/suggestions", "/api/v2/suggestions", "/api/v1/announcements",
                 "/api/v1/custom_emojis", "/api/v1/followed_tags", "/api/v1/endorsements", "/api/v1/instance/rules"):
        resp = await client.get(path, headers=bearer(token))
        assert resp.status == 200 and await resp.json() == [], path


async def test_rate_limit_headers_and_429(aiohttp_client, config, pool):
    from server.app import make_app

    client = await aiohttp_client(make_app(dataclasses.replace(config, api_rate_limit=3)))
    for remaining in (2, 1, 0):
        resp = await client.get("/api/v1/instance")
        assert resp.status == 200 and resp.headers["X-RateLimit-Remaining"] == str(remaining)
        assert resp.headers["X-RateLimit-Limit"] == "3" and resp.headers["X-RateLimit-Reset"].endswith("Z")
    resp = await client.get("/api/v1/instance")
    assert resp.status == 429 and (await resp.json())["error"] == "Too many requests"
    assert (await client.get("/")).status == 200  # the web UI is not counted


async def test_pkce_and_code_reuse(client, pool):
    """Authorization code with PKCE (S256): the verifier must match and a code works once."""
    from tests.helpers import csrf_from, log_in

    await make_member(pool, "alice")
    app = (await (await client.post("/api/v1/apps", data={
        "client_name": "PKCE app", "redirect_uris": "com.example.app:/oauth", "scopes": "read write"})).json())
    verifier = secrets.token_urlsafe(40)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    await log_in(client, "alice")
    query = {"client_id": app["client_id"], "redirect_uri": "com.example.app:/oauth", "response_type": "code",
             "scope": "read", "code_challenge": challenge, "code_challenge_method": "S256", "state": "xyz"}
    page = await client.get("/oauth/authorize", params=query)
    text = await page.text()
    assert "PKCE app" in text and "form-action 'self' com.example.app:" in page.headers["Content-Security-Policy"]
    oversized = await client.post("/oauth/authorize", allow_redirects=False, data={
        **query, "state": "x" * 2001, "csrf_token": csrf_from(text), "decision": "approve"})
    assert oversized.status == 400 and "too long" in await oversized.text()  # refused, never cut short
    assert await pool.fetchval("SELECT count(*) FROM oauth_codes") == 0
    resp = await client.post("/oauth/authorize", data={**query, "csrf_token": csrf_from(text), "decision": "approve"},
                             allow_redirects=False)
    location = resp.headers["Location"]
    assert location.startswith("com.example.app:/oauth?code=") and location.endswith("&state=xyz")
    code = location.split("code=")[1].split("&")[0]
    fields = {"grant_type": "authorization_code", "client_id": app["client_id"], "code": code,
              "redirect_uri": "com.example.app:/oauth"}
    wrong = await client.post("/oauth/token", data={**fields, "code_verifier": "wrong" * 10})
    assert wrong.status == 400 and (await wrong.json())["error"] == "invalid_grant"
    # the failed attempt used the code up: a stolen code cannot be retried
    again = await client.post("/oauth/token", data={**fields, "code_verifier": verifier})
    assert again.status == 400

    resp = await client.post("/oauth/authorize", data={**query, "csrf_token": csrf_from(text), "decision": "approve"},
                             allow_redirects=False)
    code = resp.headers["Location"].split("code=")[1].split("&")[0]
    good = await client.post("/oauth/token", data={**fields, "code": code, "code_verifier": verifier})
    assert good.status == 200
    body = await good.json()
    assert body["token_type"] == "Bearer" and body["scope"] == "read"
    refreshed = await client.post("/oauth/token", data={
        "grant_type": "refresh_token", "client_id": app["client_id"], "client_secret": app["client_secret"],
        "refresh_token": body["refresh_token"]})
    assert refreshed.status == 200
    assert (await client.get("/api/v1/accounts/verify_credentials", headers=bearer(body["access_token"]))).status == 401
    new_token = (await refreshed.json())["access_token"]
    assert (await client.get("/api/v1/accounts/verify_credentials", headers=bearer(new_token))).status == 200
    revoke = await client.post("/oauth/revoke", data={"client_id": app["client_id"],
                                                      "client_secret": app["client_secret"], "token": new_token})
    assert revoke.status == 200
    assert (await client.get("/api/v1/accounts/verify_credentials", headers=bearer(new_token))).status == 401


async def test_oauth_rejects_bad_apps_and_redirects(client, pool):
    resp = await client.post("/api/v1/apps", data={"client_name": "x", "redirect_uris": "javascript:alert(1)"})
    assert resp.status == 422
    resp = await client.post("/api/v1/apps", data={"client_name": "x", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
                                                   "scopes": "read admin:everything"})
    assert resp.status == 422
    app = await (await client.post("/api/v1/apps", data={"client_name": "x",
                                                         "redirect_uris": "urn:ietf:wg:oauth:2.0:oob"})).json()
    resp = await client.get("/oauth/authorize", params={"client_id": app["client_id"], "response_type": "code",
                                                        "redirect_uri": "https://evil.example/cb"})
    assert resp.status == 400 and "redirect URI does not match" in await resp.text()
    resp = await client.get("/oauth/authorize", params={"client_id": app["client_id"], "response_type": "code",
                                                        "redirect_uri": "urn:ietf:wg:oauth:2.0:oob", "scope": "write"})
    assert resp.status == 400
    token = await client.post("/oauth/token", data={"grant_type": "client_credentials", "client_id": app["client_id"],
                                                    "client_secret": "wrong"})
    assert token.status == 401 and (await token.json())["error"] == "invalid_client"


async def test_member_sees_and_revokes_authorized_apps(client, pool):
    from tests.helpers import log_in

    alice = await make_member(pool, "alice")
    token = await make_token(pool, alice.id, ["read"])
    await log_in(client, "alice")
    page = await (await client.get("/settings/apps")).text()
    assert "Rules test" in page and "<code>read</code>" in page
    app_id = await pool.fetchval("SELECT id FROM oauth_apps")
    resp = await submit(client, f"/settings/apps/{app_id}/revoke")
    assert resp.status == 303
    assert (await client.get("/api/v1/accounts/verify_credentials", headers=bearer(token))).status == 401
    assert "No apps are authorized" in await (await client.get("/settings/apps")).text()
