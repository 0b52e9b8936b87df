"""Account actions as the member sees them: a notice citing the rules, one appeal, a decision."""

from aiohttp.test_utils import TestClient

from server.models import Role
from tests.helpers import csrf_token, log_in, make_member, post_status, submit


async def test_limit_warn_appeal_and_decision(client, pool):
    await make_member(pool, "mod", Role.MODERATOR)
    loud = await make_member(pool, "loud")
    await pool.execute("INSERT INTO server_rules (position, text) VALUES (1, 'No shouting')")
    rule_id = await pool.fetchval("SELECT id FROM server_rules")
    member = TestClient(client.server)
    await log_in(member, "loud")
    await post_status(member, "VERY LOUD POST")
    assert "VERY LOUD POST" in await (await client.get("/local")).text()

    await log_in(client, "mod")
    warned = await submit(client, f"/admin/accounts/{loud.id}", {"action": "warn", "rule_ids": str(rule_id)})
    assert warned.status == 303
    assert (await submit(client, f"/admin/accounts/{loud.id}", {"action": "limit", "reason": "shouting",
                                                               "rule_ids": str(rule_id)})).status == 303
    assert "VERY LOUD POST" not in await (await client.get("/local")).text()  # limited: out of public timelines
    assert "VERY LOUD POST" in await (await client.get("/@loud")).text()  # still on the profile

    notices = await (await member.get("/settings/moderation")).text()
    assert "Your account was limited" in notices and "No shouting" in notices and "shouting" in notices
    limit_id = await pool.fetchval("SELECT id FROM account_warnings WHERE action = 'limit'")
    warn_id = await pool.fetchval("SELECT id FROM account_warnings WHERE action = 'warn'")
    assert (await submit(member, f"/settings/moderation/{warn_id}/appeal", {"appeal": "sorry"})).status == 409
    assert (await submit(member, f"/settings/moderation/{limit_id}/appeal", {"appeal": ""})).status == 422
    assert (await submit(member, f"/settings/moderation/{limit_id}/appeal", {"appeal": "I was quoting"})).status == 303
    assert (await submit(member, f"/settings/moderation/{limit_id}/appeal", {"appeal": "again"})).status == 409

    assert "I was quoting" in await (await client.get("/admin/appeals")).text()
    assert (await submit(client, f"/admin/appeals/{limit_id}", {"decision": "approve"})).status == 303
    assert "VERY LOUD POST" in await (await client.get("/local")).text()  # the limit is lifted
    assert "Your appeal was approved" in await (await member.get("/settings/moderation")).text()
    log = [r["action"] for r in await pool.fetch("SELECT action FROM moderation_log ORDER BY id")]
    assert log == ["account: warn", "account: limit", "account: unlimit", "appeal: approved"]
    await log_in(member, "loud")
    assert (await member.get("/admin/appeals")).status == 403
    await member.session.close()


async def test_sensitive_mark_and_email_domain_blocks(client, pool):
    await make_member(pool, "boss", Role.ADMIN)
    target = await make_member(pool, "target")
    await log_in(client, "boss")
    assert (await submit(client, f"/admin/accounts/{target.id}",
                         {"action": "sensitive", "reason": "gore"})).status == 303
    assert await pool.fetchval("SELECT sensitized_at IS NOT NULL FROM accounts WHERE id = $1", target.id) is True
    assert (await submit(client, "/admin/email-domains", {"domain": "spam-mail.example"})).status == 303
    visitor = TestClient(client.server)
    resp = await visitor.post("/signup", data={"username": "newbie", "password": "long enough pw",
                                               "email": "x@eu.spam-mail.example",
                                               "csrf_token": await csrf_token(visitor, "/login")})
    assert resp.status == 422 and "email provider" in await resp.text()
    token = await csrf_token(visitor, "/login")
    ok = await visitor.post("/signup", data={"username": "newbie", "password": "long enough pw",
                                             "email": "x@fine.example", "csrf_token": token},
                            allow_redirects=False)
    assert ok.status == 303
    await visitor.session.close()
    members = TestClient(client.server)
    await log_in(members, "newbie", "long enough pw")
    assert (await submit(members, "/admin/email-domains", {"domain": "other.example"})).status == 403
    await members.session.close()
