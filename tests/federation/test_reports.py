"""Reports both ways: members report (web and API), Flags are forwarded anonymously, remote Flags
arrive in the queue, moderators note and resolve."""

from federation.fetch import resolve_handle
from server.domain import posting
from server.models import Role
from tests.federation.conftest import drain, follow_across
from tests.helpers import csrf_token, log_in, make_member, submit


async def test_report_forwarded_as_flag_and_handled_by_moderators(instances):
    a, b = instances
    await make_member(a.pool, "mod", Role.MODERATOR)
    alice = await make_member(a.pool, "alice")
    await make_member(b.pool, "bob")
    b_mod = await make_member(b.pool, "bmod", Role.MODERATOR)
    bob_account = await make_member(b.pool, "spammer")
    status_id = await posting.create_post(b.pool, b.fed.urls, bob_account, posting.NewPost("buy now"), 500)
    remote = await resolve_handle(a.fed, f"spammer@{b.host}")
    from federation.fetch import fetch_document
    from federation.ingest import import_note

    doc = await fetch_document(a.fed, f"{b.base}/users/spammer/statuses/{status_id}")
    local_copy = await import_note(a.fed, doc, depth=1)
    await a.pool.execute("INSERT INTO server_rules (position, text) VALUES (1, 'No spam')")
    rule_id = await a.pool.fetchval("SELECT id FROM server_rules")

    await log_in(a.client, "alice")
    form = await (await a.client.get("/report", params={"account_id": remote.id, "status_id": local_copy})).text()
    assert "No spam" in form and f"anonymous copy to {b.host}" in form
    bad = await a.client.post("/report", data={"account_id": remote.id, "category": "violation",
                                               "csrf_token": await csrf_token(a.client)})
    assert bad.status == 422 and "Say which rules were broken" in await bad.text()
    sent = await a.client.post("/report", data={
        "account_id": remote.id, "status_id": local_copy, "category": "violation", "rule_ids": str(rule_id),
        "comment": "obvious spam", "forward": "on", "csrf_token": await csrf_token(a.client)})
    assert sent.status == 200 and "Thank you" in await sent.text()
    await drain(a, b)
    flag = await b.pool.fetchrow(
        "SELECT target_account_id, status_ids, comment, origin_domain, account_id FROM reports")
    assert flag["target_account_id"] == bob_account.id and flag["status_ids"] == [status_id]
    assert flag["comment"] == "obvious spam" and flag["origin_domain"] == a.host
    reporter_uri = await b.pool.fetchval("SELECT uri FROM accounts WHERE id = $1", flag["account_id"])
    assert reporter_uri == f"{a.base}/actor"  # the instance actor, not alice: reporters stay anonymous
    told = await b.pool.fetch("SELECT account_id, type, report_id FROM notifications WHERE type = 'admin.report'")
    assert [tuple(r) for r in told] == [(b_mod.id, "admin.report", await b.pool.fetchval("SELECT id FROM reports"))]

    await log_in(a.client, "mod")
    queue = await (await a.client.get("/admin/reports")).text()
    assert "@spammer@" in queue and "obvious spam" in queue and "buy now" in queue and "@<bdi>alice</bdi>" in queue
    report_id = await a.pool.fetchval("SELECT id FROM reports")
    await a.client.post(f"/admin/reports/{report_id}", data={"note": "checked", "action": "note",
                                                             "csrf_token": await csrf_token(a.client)})
    await a.client.post(f"/admin/reports/{report_id}", data={"action": "resolve",
                                                             "csrf_token": await csrf_token(a.client)})
    assert "No open reports" in await (await a.client.get("/admin/reports")).text()
    resolved = await (await a.client.get("/admin/reports?resolved=1")).text()
    assert "checked" in resolved and "Resolution: resolve" in resolved
    assert await a.pool.fetchval("SELECT action FROM moderation_log") == "report: resolve"
    await log_in(a.client, "alice")
    assert (await a.client.get("/admin/reports")).status == 403
    assert alice.id


async def test_reports_through_the_api(kith):
    import secrets

    from server.api.auth import token_hash
    from server.store import oauth as oauth_store

    alice = await make_member(kith.pool, "alice")
    troll = await make_member(kith.pool, "troll")
    app = await oauth_store.insert_app(kith.pool, "cid", "s", "t", None, ["urn:ietf:wg:oauth:2.0:oob"], ["write"])
    token = secrets.token_urlsafe(16)
    await oauth_store.insert_token(kith.pool, token_hash(token), None, app.id, alice.id, ["write:reports"])
    headers = {"Authorization": f"Bearer {token}"}
    resp = await kith.client.post("/api/v1/reports", data={"account_id": str(troll.id), "comment": "rude",
                                                        "category": "other"}, headers=headers)
    assert resp.status == 200 and (await resp.json())["target_account"]["acct"] == "troll"
    for fields in ({"account_id": str(alice.id)}, {"account_id": str(troll.id), "category": "nonsense"},
                   {"account_id": str(troll.id), "rule_ids[]": "123"},
                   {"account_id": str(troll.id), "status_ids[]": "5"}):
        bad = await kith.client.post("/api/v1/reports", data=fields, headers=headers)
        assert bad.status == 422, fields
    assert await kith.pool.fetchval("SELECT count(*) FROM reports") == 1


async def test_suspending_a_member_hides_them_signs_them_out_and_federates_it(instances):
    a, b = instances
    await make_member(a.pool, "mod", Role.MODERATOR)
    await make_member(a.pool, "boss", Role.ADMIN)
    troll = await make_member(a.pool, "troll")
    bob = await make_member(b.pool, "bob")

    await follow_across(b, bob, a, "troll")
    await posting.create_post(a.pool, a.fed.urls, troll, posting.NewPost("trolling"), 500)
    await drain(a, b)
    assert await b.pool.fetchval("SELECT count(*) FROM statuses WHERE deleted_at IS NULL") == 1

    troll_browser = a.client
    await log_in(troll_browser, "troll")
    from aiohttp.test_utils import TestClient

    mod = TestClient(a.client.server)
    await log_in(mod, "mod")
    page = await (await mod.get("/admin/accounts", params={"q": "troll"})).text()
    assert "@<bdi>troll</bdi>" in page
    empty = await mod.post(f"/admin/accounts/{troll.id}", data={"action": "suspend",
                                                                "csrf_token": await csrf_token(mod)})
    assert empty.status == 422  # a rule or a reason is needed
    done = await submit(mod, f"/admin/accounts/{troll.id}", {"action": "suspend", "reason": "harassment"})
    assert done.status == 303
    boss = await a.pool.fetchval("SELECT account_id FROM users WHERE role = 'admin'")
    refused = await mod.post(f"/admin/accounts/{boss}", data={"action": "suspend", "reason": "x",
                                                             "csrf_token": await csrf_token(mod)})
    assert refused.status == 403
    await mod.session.close()

    assert "trolling" not in await (await a.client.get("/local")).text()
    assert (await a.client.get("/@troll")).status == 404
    assert "What's on your mind?" not in await (await troll_browser.get("/")).text()  # signed out
    # the member may sign in only to read the notice and appeal it
    token = await csrf_token(troll_browser, "/login")
    login = await troll_browser.post("/login", data={"username": "troll", "password": "correct horse battery",
                                                     "csrf_token": token})
    assert login.status == 200 and "Your account was suspended" in await login.text()
    assert str(login.url).endswith("/settings/moderation")
    blocked = await troll_browser.post("/", data={"content": "still here", "csrf_token": token})
    assert blocked.status == 403
    warning_id = await a.pool.fetchval("SELECT id FROM account_warnings")
    appealed = await troll_browser.post(f"/settings/moderation/{warning_id}/appeal",
                                        data={"appeal": "it was a joke", "csrf_token": token}, allow_redirects=False)
    assert appealed.status == 303
    await drain(a, b)
    assert await b.pool.fetchval("SELECT suspended_at IS NOT NULL FROM accounts WHERE uri = $1",
                                 f"{a.base}/users/troll") is True
    assert await b.pool.fetchval("SELECT count(*) FROM statuses WHERE deleted_at IS NULL") == 0
    assert await a.pool.fetchval("SELECT action || ' ' || reason FROM moderation_log") == "account: suspend harassment"
