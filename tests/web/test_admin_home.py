"""The admin area as staff use it: the overview of what waits, one navigation, the account list
with filters and paging, acting straight from a report, and staff notifications."""

import re

from aiohttp.test_utils import TestClient

from server.models import Role
from tests.helpers import csrf_token, log_in, make_member, post_status, submit
from tests.web.test_registrations import set_settings, sign_up

ADMIN_PAGES = ("/admin", "/admin/reports", "/admin/accounts", "/admin/applications", "/admin/appeals",
               "/admin/content-rules", "/admin/domains", "/admin/rules", "/admin/settings")


def counts(page: str) -> dict[str, int]:
    found = re.findall(r'<strong class="count">(\d+)</strong> <span>([^<]+)</span>', page)
    return {label: int(n) for n, label in found}


async def report(client, target_id: int, comment: str, status_id: int | None = None) -> None:
    sent = await client.post("/report", data={"account_id": str(target_id), "category": "other", "comment": comment,
                                              "csrf_token": await csrf_token(client),
                                              **({"status_id": str(status_id)} if status_id else {})})
    assert sent.status == 200


async def test_overview_counts_what_waits_and_staff_are_notified(client, pool):
    await make_member(pool, "boss", Role.ADMIN)
    mod = await make_member(pool, "mod", Role.MODERATOR)
    troll = await make_member(pool, "troll")
    reporter = await make_member(pool, "reporter")
    await log_in(client, "boss")
    assert counts(await (await client.get("/admin")).text()) == {
        "Open reports": 0, "Pending applications": 0, "Held posts": 0, "Open appeals": 0}

    # A report, an application, an appeal and a held post.
    member = TestClient(client.server)
    await log_in(member, "reporter")
    await report(member, troll.id, "spamming replies")
    assert (await set_settings(client, registrations="approval")).status == 303
    visitor = TestClient(client.server)
    assert (await sign_up(visitor, "hopeful", reason="I garden")).status in (200, 303)
    assert (await submit(client, f"/admin/accounts/{troll.id}", {"action": "limit", "reason": "spam"})).status == 303
    await log_in(member, "troll")
    warning_id = await pool.fetchval("SELECT id FROM account_warnings")
    assert (await submit(member, f"/settings/moderation/{warning_id}/appeal", {"appeal": "not spam"})).status == 303
    await pool.execute("INSERT INTO held_activities (rule_name, object) VALUES ('r', '{}'::jsonb)")

    overview = await (await client.get("/admin")).text()
    assert counts(overview) == {"Open reports": 1, "Pending applications": 1, "Held posts": 1, "Open appeals": 1}
    assert 'href="/admin/applications"' in overview and "account: limit" in overview  # the latest actions

    # Both staff are told of each (the moderator through the Staff tab); the reporter and troll are not.
    moderator = TestClient(client.server)
    for staff, client_ in (("boss", client), ("mod", moderator)):
        await log_in(client_, staff)
        staff_tab = await (await client_.get("/notifications?types=staff")).text()
        for told in ("filed a report", "signed up", "appealed a moderation decision"):
            assert told in staff_tab
        report_id = await pool.fetchval("SELECT id FROM reports")
        assert f'href="/admin/reports#report-{report_id}"' in staff_tab and 'href="/admin/appeals"' in staff_tab
        assert "filed a report" not in await (await client_.get("/notifications?types=mentions")).text()
    assert await pool.fetchval("SELECT count(*) FROM notifications WHERE type LIKE 'admin.%' AND account_id = $1",
                               mod.id) == 3
    assert await pool.fetchval("SELECT count(*) FROM notifications WHERE type LIKE 'admin.%'"
                               " AND account_id = ANY($1)", [troll.id, reporter.id]) == 0
    assert (await client.get("/notifications?types=everything")).status == 400

    # Members do not see the Staff tab or the admin area.
    member_tabs = await (await member.get("/notifications")).text()
    assert "?types=staff" not in member_tabs and (await member.get("/admin")).status == 403
    for other in (member, visitor, moderator):
        await other.session.close()


async def test_one_admin_navigation_on_every_admin_page(client, pool):
    await make_member(pool, "boss", Role.ADMIN)
    await make_member(pool, "mod", Role.MODERATOR)
    await log_in(client, "boss")
    for path in ADMIN_PAGES:
        page = await (await client.get(path)).text()
        navs = re.findall(r'<nav class="tabs admin-nav" aria-label="Admin sections">(.*?)</nav>', page, re.S)
        assert len(navs) == 1, path
        assert f'<a href="{path}" aria-current="page">' in navs[0], path
        assert len(re.findall(r"<h1[ >]", page)) == 1, path
    await log_in(client, "mod")
    nav = re.search(r'<nav class="tabs admin-nav".*?</nav>', await (await client.get("/admin")).text(), re.S)[0]
    assert 'href="/admin/reports"' in nav and 'href="/admin/domains"' not in nav  # only what moderators may use
    assert (await client.get("/admin/domains")).status == 403


async def test_account_list_filters_and_pages(client, pool):
    await make_member(pool, "boss", Role.ADMIN)
    await make_member(pool, "helper", Role.MODERATOR)
    sleepy = await make_member(pool, "sleepy")
    for n in range(41):
        await pool.execute(
            "INSERT INTO accounts (username, domain, uri, public_key_pem) VALUES ($1, 'far.example', $2, 'k')",
            f"remote{n:02}", f"https://far.example/users/remote{n:02}")
    await log_in(client, "boss")
    assert (await submit(client, f"/admin/accounts/{sleepy.id}", {"action": "suspend", "reason": "spam"})).status == 303
    remote10 = await pool.fetchval("SELECT id FROM accounts WHERE username = 'remote10'")
    assert (await submit(client, f"/admin/accounts/{remote10}", {"action": "limit", "reason": "spam"})).status == 303

    def handles(page: str) -> list[str]:
        listed = re.search(r'<ul class="people">(.*?)</ul>', page, re.S)[1]
        return re.findall(r'<span class="handle">@(?:<bdi>)?([^<]+)', listed)

    local = handles(await (await client.get("/admin/accounts?origin=local")).text())
    assert sorted(local) == ["boss", "helper", "sleepy"]
    assert handles(await (await client.get("/admin/accounts?role=moderator")).text()) == ["helper"]
    assert handles(await (await client.get("/admin/accounts?status=suspended")).text()) == ["sleepy"]
    assert handles(await (await client.get("/admin/accounts?status=limited")).text()) == ["remote10@far.example"]
    found = handles(await (await client.get("/admin/accounts?q=remote1&origin=remote")).text())
    assert found == [f"remote{n}@far.example" for n in range(19, 9, -1)]

    first = await (await client.get("/admin/accounts?origin=remote")).text()
    assert len(handles(first)) == 40 and handles(first)[0] == "remote40@far.example"
    older = re.search(r'rel="next" class="button secondary" href="\?([^"]+)"', first)[1]
    assert older.startswith("origin=remote&amp;max_id=")  # the filter stays on the next page
    second = await (await client.get("/admin/accounts?" + older.replace("&amp;", "&"))).text()
    assert handles(second) == ["remote00@far.example"] and 'rel="prev"' in second
    assert (await client.get("/admin/accounts?status=gone")).status == 400

    record = await (await client.get(f"/admin/accounts/{sleepy.id}")).text()
    assert "Suspended since" in record and "Lift the suspension" in record and "suspend" in record


async def test_acting_from_a_report_resolves_it(client, pool):
    await make_member(pool, "mod", Role.MODERATOR)
    troll = await make_member(pool, "troll")
    bystander = await make_member(pool, "bystander")
    await make_member(pool, "reporter")
    await log_in(client, "troll")
    await post_status(client, "buy my pills")
    await log_in(client, "reporter")
    await report(client, troll.id, "pill spam", await pool.fetchval("SELECT id FROM statuses"))
    report_id = await pool.fetchval("SELECT id FROM reports")
    await log_in(client, "mod")
    queue = await (await client.get("/admin/reports")).text()
    assert f'name="report_id" value="{report_id}"' in queue and "Apply and resolve the report" in queue

    # The report is about troll: acting on someone else with it changes nothing.
    wrong = await submit(client, f"/admin/accounts/{bystander.id}",
                         {"action": "suspend", "reason": "x", "report_id": str(report_id)})
    assert wrong.status == 409
    assert await pool.fetchval("SELECT suspended_at FROM accounts WHERE id = $1", bystander.id) is None
    assert await pool.fetchval("SELECT resolved_at FROM reports") is None

    done = await submit(client, f"/admin/accounts/{troll.id}",
                        {"action": "suspend", "reason": "spam", "report_id": str(report_id)})
    assert done.status == 303 and done.headers["Location"] == "/admin/reports"
    assert await pool.fetchval("SELECT resolution FROM reports") == "suspend"
    assert await pool.fetchval("SELECT suspended_at IS NOT NULL FROM accounts WHERE id = $1", troll.id)
    assert "No open reports" in await (await client.get("/admin/reports")).text()
    assert "Resolution: suspend" in await (await client.get("/admin/reports?resolved=1")).text()
    record = await (await client.get(f"/admin/accounts/{troll.id}")).text()
    assert "pill spam" in record and "buy my pills" in record
