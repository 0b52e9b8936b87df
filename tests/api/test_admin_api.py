"""Mastodon's admin API, as blocklist-sync scripts and moderation tools call it."""

import secrets

from server.api.auth import token_hash
from server.models import Role
from server.store import oauth as oauth_store
from tests.helpers import make_member

ADMIN_SCOPES = ["admin:read", "admin:write"]


async def token_for(pool, account_id, scopes):
    app = await oauth_store.insert_app(pool, secrets.token_hex(8), "s", "tool", None,
                                       ["urn:ietf:wg:oauth:2.0:oob"], ["read", "write", "admin:read", "admin:write"])
    token = secrets.token_urlsafe(16)
    await oauth_store.insert_token(pool, token_hash(token), None, app.id, account_id, scopes)
    return {"Authorization": f"Bearer {token}"}


async def test_domain_blocks_sync(client, pool):
    boss = await make_member(pool, "boss", Role.ADMIN)
    headers = await token_for(pool, boss.id, ADMIN_SCOPES)
    made = await client.post("/api/v1/admin/domain_blocks", headers=headers,
                             data={"domain": "spam.example", "severity": "silence", "reject_media": "true",
                                   "public_comment": "spam"})
    assert made.status == 200
    body = await made.json()
    assert body["severity"] == "silence" and body["reject_media"] is True and body["domain"] == "spam.example"
    listed = await (await client.get("/api/v1/admin/domain_blocks", headers=headers)).json()
    assert [b["domain"] for b in listed] == ["spam.example"]
    changed = await client.put("/api/v1/admin/domain_blocks/spam.example", headers=headers,
                               data={"severity": "suspend"})
    assert (await changed.json())["severity"] == "suspend"
    bad = await client.post("/api/v1/admin/domain_blocks", headers=headers, data={"domain": "not a domain"})
    assert bad.status == 422
    assert (await client.delete("/api/v1/admin/domain_blocks/spam.example", headers=headers)).status == 200
    assert (await client.delete("/api/v1/admin/domain_blocks/spam.example", headers=headers)).status == 404
    allowed = await client.post("/api/v1/admin/domain_allows", headers=headers, data={"domain": "friends.example"})
    assert (await allowed.json())["domain"] == "friends.example"
    assert [a["domain"] for a in await (await client.get("/api/v1/admin/domain_allows", headers=headers)).json()] \
        == ["friends.example"]


async def test_admin_api_needs_scopes_and_roles(client, pool):
    boss = await make_member(pool, "boss", Role.ADMIN)
    mod = await make_member(pool, "mod", Role.MODERATOR)
    member = await make_member(pool, "member")
    reader = await token_for(pool, boss.id, ["read"])
    assert (await client.get("/api/v1/admin/domain_blocks", headers=reader)).status == 403
    member_admin_scopes = await token_for(pool, member.id, ADMIN_SCOPES)
    for path in ("/api/v1/admin/domain_blocks", "/api/v1/admin/reports", "/api/v1/admin/accounts"):
        assert (await client.get(path, headers=member_admin_scopes)).status == 403, path
    mod_headers = await token_for(pool, mod.id, ADMIN_SCOPES)
    assert (await client.get("/api/v1/admin/reports", headers=mod_headers)).status == 200
    assert (await client.post("/api/v1/admin/domain_blocks", headers=mod_headers,
                              data={"domain": "x.example"})).status == 403  # admin only
    assert await pool.fetchval("SELECT count(*) FROM domain_policies") == 0


async def test_accounts_and_reports(client, pool):
    mod = await make_member(pool, "mod", Role.MODERATOR)
    troll = await make_member(pool, "troll")
    reporter = await make_member(pool, "reporter")
    headers = await token_for(pool, mod.id, ADMIN_SCOPES)
    await pool.execute("INSERT INTO reports (account_id, target_account_id, comment) VALUES ($1, $2, 'rude')",
                       reporter.id, troll.id)
    reports = await (await client.get("/api/v1/admin/reports", headers=headers)).json()
    assert reports[0]["target_account"]["acct"] == "troll" and reports[0]["comment"] == "rude"
    resolved = await client.post(f"/api/v1/admin/reports/{reports[0]['id']}/resolve", headers=headers)
    assert resolved.status == 200
    assert await (await client.get("/api/v1/admin/reports", headers=headers)).json() == []
    found = await (await client.get("/api/v1/admin/accounts", headers=headers, params={"username": "trol"})).json()
    assert [a["username"] for a in found] == ["troll"]
    acted = await client.post(f"/api/v1/admin/accounts/{troll.id}/action", headers=headers,
                              data={"type": "suspend", "text": "abuse"})
    assert acted.status == 200
    assert (await (await client.get(f"/api/v1/admin/accounts/{troll.id}", headers=headers)).json())["suspended"] is True
    again = await client.post(f"/api/v1/admin/accounts/{troll.id}/action", headers=headers,
                              data={"type": "suspend", "text": "abuse"})
    assert again.status == 409
