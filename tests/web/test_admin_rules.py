"""Server rules: written by admins, published on /about, at sign-up, to apps and in NodeInfo."""

from server.models import Role
from tests.helpers import csrf_token, log_in, make_member, submit


async def test_admin_writes_rules_that_everyone_sees(client, pool):
    await make_member(pool, "admin1", Role.ADMIN)
    await log_in(client, "admin1")
    for text, hint in (("Be kind", "No harassment, ever."), ("No spam", "")):
        resp = await submit(client, "/admin/rules", {"text": text, "hint": hint}, page="/admin/rules")
        assert resp.status == 303
    rule_ids = [r["id"] for r in await pool.fetch("SELECT id FROM server_rules ORDER BY position")]
    # move "No spam" first
    resp = await submit(client, f"/admin/rules/{rule_ids[1]}",
                        {"text": "No spam", "hint": "Ads count as spam.", "position": "0"}, page="/admin/rules")
    assert resp.status == 303
    bad = await client.post("/admin/rules", data={"text": "", "csrf_token": await csrf_token(client, "/admin/rules")})
    assert bad.status == 422

    visitor = await client.get("/about")
    page = await visitor.text()
    assert page.index("No spam") < page.index("Be kind") and "Ads count as spam." in page
    await client.post("/logout", data={"csrf_token": await csrf_token(client)})
    assert "Be kind" in await (await client.get("/signup")).text()
    rules = await (await client.get("/api/v1/instance/rules")).json()
    assert [r["text"] for r in rules] == ["No spam", "Be kind"]
    assert [r["text"] for r in (await (await client.get("/api/v2/instance")).json())["rules"]] == ["No spam", "Be kind"]
    nodeinfo = await (await client.get("/nodeinfo/2.1")).json(content_type=None)
    assert [r["text"] for r in nodeinfo["metadata"]["rules"]] == ["No spam", "Be kind"]
    log = [r["action"] for r in await pool.fetch("SELECT action FROM moderation_log ORDER BY id")]
    assert log == ["rule: added", "rule: added", "rule: changed"]
    public_log = await (await client.get("/about/log")).text()
    assert public_log.count("rule: added") == 2 and "admin1" not in public_log


async def test_members_cannot_touch_rules(client, pool):
    await make_member(pool, "member")
    await log_in(client, "member")
    assert (await client.get("/admin/rules")).status == 403
    resp = await client.post("/admin/rules", data={"text": "Mine now", "csrf_token": await csrf_token(client)})
    assert resp.status == 403
    assert await pool.fetchval("SELECT count(*) FROM server_rules") == 0
