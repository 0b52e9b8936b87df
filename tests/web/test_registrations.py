"""Registration modes and instance settings, as an admin sets them in /admin/settings."""

from aiohttp.test_utils import TestClient

from server.models import Role
from tests.helpers import csrf_token, log_in, make_member, submit


async def set_settings(client, **changes):
    fields = {"instance_name": "Kith", "instance_description": "d", "contact_email": "", "registrations": "open",
              "invites_by": "staff", "max_post_chars": "500", "federation_mode": "blocklist",
              "languages": "en", "public_log": "anonymous", **changes}
    return await submit(client, "/admin/settings", {**fields})


async def sign_up(client, username, **extra):
    return await client.post("/signup", data={"username": username, "password": "long enough pw",
                                              "csrf_token": await csrf_token(client, "/login"), **extra})


async def test_settings_are_admin_only_and_apply_at_once(client, pool):
    await make_member(pool, "admin1", Role.ADMIN)
    await make_member(pool, "mod", Role.MODERATOR)
    await log_in(client, "mod")
    assert (await client.get("/admin/settings")).status == 403
    assert (await set_settings(client, instance_name="Taken over")).status == 403
    await log_in(client, "admin1")
    bad = await set_settings(client, max_post_chars="0")
    assert bad.status == 422 and "between 1 and 100000" in await bad.text()
    assert (await set_settings(client, instance_name="Gardeners", max_post_chars="1000")).status == 303
    assert "<title>Kith" not in await (await client.get("/about")).text()
    assert (await (await client.get("/api/v1/instance")).json())["title"] == "Gardeners"
    assert (await (await client.get("/nodeinfo/2.1")).json(content_type=None))["metadata"]["nodeName"] == "Gardeners"
    assert "Up to 1000 characters" in await (await client.get("/")).text()
    assert await pool.fetchval("SELECT target FROM moderation_log") == \
        "instance_description, instance_name, max_post_chars"


async def test_approval_mode(client, pool):
    await make_member(pool, "admin1", Role.ADMIN)
    await log_in(client, "admin1")
    await set_settings(client, registrations="approval")
    visitor = TestClient(client.server)
    no_reason = await sign_up(visitor, "hopeful")
    assert no_reason.status == 422 and "why you want to join" in await no_reason.text()
    applied = await sign_up(visitor, "hopeful", reason="I grow tomatoes")
    assert applied.status == 200 and "sent to the moderators" in await applied.text()
    login = await visitor.post("/login", data={"username": "hopeful", "password": "long enough pw",
                                               "csrf_token": await csrf_token(visitor, "/login")})
    assert login.status == 403 and "waiting for a moderator" in await login.text()
    queue = await (await client.get("/admin/applications")).text()
    assert "I grow tomatoes" in queue
    hopeful = await pool.fetchval("SELECT id FROM accounts WHERE username = 'hopeful'")
    await client.post(f"/admin/applications/{hopeful}", data={"decision": "approve",
                                                              "csrf_token": await csrf_token(client)})
    await log_in(visitor, "hopeful", "long enough pw")
    assert "What's on your mind?" in await (await visitor.get("/")).text()
    await visitor.session.close()


async def test_invite_mode(client, pool):
    await make_member(pool, "admin1", Role.ADMIN)
    await make_member(pool, "member")
    await log_in(client, "admin1")
    await set_settings(client, registrations="invite", invites_by="staff")
    member = TestClient(client.server)
    await log_in(member, "member")
    assert "only staff can invite" in await (await member.get("/settings/invites")).text()
    made = await member.post("/settings/invites", data={"csrf_token": await csrf_token(member)})
    assert made.status == 403
    await client.post("/settings/invites", data={"max_uses": "1", "days": "7", "csrf_token": await csrf_token(client)})
    code = await pool.fetchval("SELECT code FROM invites")
    visitor = TestClient(client.server)
    assert "by invitation" in await (await visitor.get("/signup")).text()
    refused = await sign_up(visitor, "stranger")
    assert refused.status == 403
    ok = await sign_up(visitor, "invited", invite=code)
    assert ok.status == 200 and "What's on your mind?" in await ok.text()
    used_up = await sign_up(TestClient(client.server), "second", invite=code)
    assert used_up.status == 403
    assert await pool.fetchval("SELECT count(*) FROM accounts WHERE username IN ('stranger', 'second')") == 0
    for c in (member, visitor):
        await c.session.close()


async def test_languages_and_public_log_settings(client, pool):
    await make_member(pool, "admin1", Role.ADMIN)
    await log_in(client, "admin1")
    bad = await set_settings(client, languages="english please")
    assert bad.status == 422 and "ISO 639" in await bad.text()
    assert (await set_settings(client, languages="en,pt-BR", public_log="full")).status == 303
    assert (await (await client.get("/api/v2/instance")).json())["languages"] == ["en", "pt-BR"]
    assert "by @admin1" in await (await client.get("/about/log")).text()
    await set_settings(client, public_log="anonymous")
    assert "by @admin1" not in await (await client.get("/about/log")).text()
    await set_settings(client, public_log="off")
    assert (await client.get("/about/log")).status == 404
