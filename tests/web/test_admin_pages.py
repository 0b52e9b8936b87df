"""Admin pages a new admin tripped on: the report queue's posts, page titles, the settings form."""

import re

from server.models import Role
from tests.helpers import csrf_token, log_in, make_member, post_status
from tests.web.test_registrations import set_settings


def title_of(page: str) -> str:
    return re.search(r"<title>(.*?)</title>", page, re.S).group(1)


async def test_report_queue_shows_the_post_without_actions_the_moderator_cannot_take(client, pool):
    """A followers-only post is reported by a follower; the moderator reads it but is not offered
    Favourite/Boost/Reply, which answered 'Not found' because the post is not visible to them."""
    await make_member(pool, "mod", Role.MODERATOR)
    await make_member(pool, "alice")
    bob = await make_member(pool, "bob")
    await log_in(client, "bob")
    assert await post_status(client, "for my followers only", visibility="private") == 303
    status_id = await pool.fetchval("SELECT id FROM statuses")
    await log_in(client, "alice")
    await client.post("/@bob/follow", data={"csrf_token": await csrf_token(client, "/@bob")})
    sent = await client.post("/report", data={
        "account_id": str(bob.id), "status_id": str(status_id), "category": "other", "comment": "rude",
        "csrf_token": await csrf_token(client)})
    assert sent.status == 200

    await log_in(client, "mod")
    queue = await (await client.get("/admin/reports")).text()
    assert "for my followers only" in queue and "rude" in queue
    assert f"/statuses/{status_id}/" not in queue and ">Favourite<" not in queue and "#reply" not in queue
    favourite = await client.post(f"/statuses/{status_id}/favourite",
                                  data={"csrf_token": await csrf_token(client), "next": "/admin/reports"})
    assert favourite.status == 404  # why the page must not offer it


async def test_applications_page_title_is_plain_text(client, pool):
    await make_member(pool, "admin1", Role.ADMIN)
    await log_in(client, "admin1")
    page = await (await client.get("/admin/applications")).text()
    assert title_of(page) == "Applications · Admin · Kith"
    assert page.count('id="email-domains"') == 1


async def test_invalid_post_length_comes_back_as_typed(client, pool):
    await make_member(pool, "admin1", Role.ADMIN)
    await log_in(client, "admin1")
    for typed in ("12abc", "0", "-5"):
        bad = await set_settings(client, max_post_chars=typed, languages="en, de")
        page = await bad.text()
        assert bad.status == 422 and "between 1 and 100000" in page
        assert f'name="max_post_chars" inputmode="numeric" value="{typed}" aria-invalid="true"' in page
        assert 'value="en, de"' in page
        assert 'value="-1"' not in page
    assert 'value="500"' in await (await client.get("/admin/settings")).text()


async def test_privacy_policy_and_terms_are_written_by_admins(client, pool):
    await make_member(pool, "admin1", Role.ADMIN)
    await log_in(client, "admin1")
    assert "have not written one yet" in await (await client.get("/privacy-policy")).text()
    assert (await client.get("/api/v1/instance/terms_of_service")).status == 404
    saved = await set_settings(client, privacy_policy="We keep little.\n\nWe sell <nothing>.",
                               terms_of_service="Be kind.", instance_name="Gardeners")
    assert saved.status == 303
    policy = await (await client.get("/privacy-policy")).text()
    assert "<p>We keep little.</p>" in policy and "<p>We sell &lt;nothing&gt;.</p>" in policy
    assert 'href="/terms"' in policy and "<p>Be kind.</p>" in await (await client.get("/terms")).text()
    api = await (await client.get("/api/v1/instance/privacy_policy")).json()
    assert api["content"] == "<p>We keep little.</p><p>We sell &lt;nothing&gt;.</p>"
    assert (await (await client.get("/api/v1/instance/terms_of_service")).json())["content"] == "<p>Be kind.</p>"
    too_long = await set_settings(client, privacy_policy="x" * 50_001)
    assert too_long.status == 422 and "at most 50,000 characters" in await too_long.text()
