"""Announcements: an admin writes, publishes, edits, takes back and deletes them (each logged);
members see the ones they have not dismissed above their home feed, react, and dismiss."""

import re

from aiohttp.test_utils import TestClient

from server.domain.announcements import is_unicode_emoji
from server.models import Role
from server.store import domains as domains_store
from server.store import emojis as emojis_store
from tests.api.conftest import bearer, make_token
from tests.helpers import log_in, make_member, submit


def ids(page: str) -> list[str]:
    return re.findall(r'action="/admin/announcements/(\d+)"', page)


async def test_an_admin_announces_and_members_react_and_dismiss(client, pool):
    await make_member(pool, "root", Role.ADMIN)
    await make_member(pool, "mod", Role.MODERATOR)
    await make_member(pool, "alice")
    admin = TestClient(client.server)
    await log_in(admin, "root")
    page = "/admin/announcements"
    made = await submit(admin, page, {"text": "Maintenance on Sunday, see https://status.example #downtime",
                                      "starts_at": "2030-06-02T09:00", "ends_at": "2030-06-02T11:00",
                                      "publish": "on"}, page=page)
    assert made.status == 303
    draft = await submit(admin, page, {"text": "Not ready yet"}, page=page)
    assert draft.status == 303
    draft_id, published_id = ids(await (await admin.get(page)).text())  # newest first
    refused = await submit(admin, page, {"text": "  "}, page=page)
    assert refused.status == 422 and "Write the announcement" in await refused.text()
    backwards = await submit(admin, page, {"text": "x", "starts_at": "2030-06-02T11:00", "ends_at": "2030-06-01T09:00"},
                             page=page)
    assert backwards.status == 422 and "end comes before the start" in await backwards.text()

    moderator = TestClient(client.server)
    await log_in(moderator, "mod")
    assert (await moderator.get(page)).status == 403  # admins only
    await moderator.session.close()

    await log_in(client, "alice")
    home = await (await client.get("/")).text()
    assert "Maintenance on Sunday" in home and "Not ready yet" not in home
    assert '<a href="https://status.example" rel="nofollow noopener">status.example</a>' in home
    assert 'class="mention hashtag"' in home
    assert "2030-06-02 09:00 UTC" in home
    reacted = await submit(client, f"/announcements/{published_id}/reactions", {"name": "🎉", "next": "/"})
    assert reacted.status == 303
    assert re.search(r'aria-pressed="true">🎉 <span class="count">1</span>', await (await client.get("/")).text())
    for bad in ("hello", "🎉 and words", ":nosuchemoji:"):
        wrong = await submit(client, f"/announcements/{published_id}/reactions", {"name": bad})
        assert wrong.status == 422, bad
    await submit(client, f"/announcements/{published_id}/reactions", {"name": "🎉", "remove": "on"})
    assert 'aria-pressed="true"' not in await (await client.get("/")).text()
    assert (await submit(client, f"/announcements/{draft_id}/reactions", {"name": "🎉"})).status == 404  # a draft

    assert (await submit(client, f"/announcements/{published_id}/dismiss", {"next": "/"})).status == 303
    home = await (await client.get("/")).text()
    assert "Maintenance on Sunday" not in home and 'href="/announcements">Announcements (1)' in home
    assert "Maintenance on Sunday" in await (await client.get("/announcements")).text()  # still there to re-read

    edited = await submit(admin, f"{page}/{published_id}", {"action": "save", "text": "Maintenance moved to Monday",
                                                            "starts_at": "", "ends_at": ""}, page=page)
    assert edited.status == 303
    assert (await submit(admin, f"{page}/{draft_id}", {"action": "publish"}, page=page)).status == 303
    assert "Not ready yet" in await (await client.get("/")).text()
    assert (await submit(admin, f"{page}/{draft_id}", {"action": "unpublish"}, page=page)).status == 303
    assert (await submit(admin, f"{page}/{published_id}", {"action": "delete"}, page=page)).status == 303
    assert (await submit(admin, f"{page}/{published_id}", {"action": "delete"}, page=page)).status == 404
    assert (await submit(admin, f"{page}/{draft_id}", {"action": "shout"}, page=page)).status == 400
    assert "Announcements (" not in await (await client.get("/")).text()
    actions = [entry["action"] for entry in await domains_store.recent_log(pool)]
    assert actions[:6] == ["announcement: deleted", "announcement: unpublished", "announcement: published",
                           "announcement: edited", "announcement: drafted", "announcement: published"]
    await admin.session.close()


def test_what_counts_as_an_emoji():
    for emoji in ("👍", "❤️", "👩‍🌾", "👍🏽", "🇫🇷", "1️⃣", "#️⃣"):
        assert is_unicode_emoji(emoji), emoji
    for text in ("a", "ok", "1", "👍 ", "👍a", "", "→", "👍" * 17):
        assert not is_unicode_emoji(text), text


async def test_a_custom_emoji_reaction_reaches_apps_with_its_image(client, pool):
    await make_member(pool, "root", Role.ADMIN)
    _, token = await make_token(pool, "alice")
    await emojis_store.insert(pool, "blobcat", "emoji/blobcat.png", "image/png", "")
    await log_in(client, "root")
    assert (await submit(client, "/admin/announcements", {"text": "Hello", "publish": "on"},
                         page="/admin/announcements")).status == 303
    [announcement_id] = ids(await (await client.get("/admin/announcements")).text())
    put = await client.put(f"/api/v1/announcements/{announcement_id}/reactions/:blobcat:", headers=bearer(token))
    assert put.status == 200
    [item] = await (await client.get("/api/v1/announcements", headers=bearer(token))).json()
    assert item["reactions"] == [{"name": "blobcat", "count": 1, "me": True,
                                  "url": item["reactions"][0]["url"], "static_url": item["reactions"][0]["url"]}]
    assert item["reactions"][0]["url"].endswith("/media/emoji/blobcat.png")
    home = await (await client.get("/")).text()
    assert ">:blobcat: <span class=\"count\">1</span>" in home


async def test_out_of_range_input_gets_a_clear_error(client, pool):
    await make_member(pool, "root", Role.ADMIN)
    _, token = await make_token(pool, "alice")
    await log_in(client, "root")
    page = "/admin/announcements"
    for when in ("0001-01-01T00:00", "9999-12-31T23:59"):
        refused = await submit(client, page, {"text": "x", "starts_at": when}, page=page)
        assert refused.status == 422 and "between 1970 and 9000" in await refused.text()
    too_big = "9" * 19  # fits the route, not a bigint
    assert (await submit(client, f"/announcements/{too_big}/dismiss")).status == 400
    assert (await submit(client, f"/admin/accounts/{too_big}/two_factor/disable", page=page)).status == 400
    assert (await client.post(f"/api/v1/announcements/{too_big}/dismiss", headers=bearer(token))).status == 404
    assert (await client.get(f"/api/v1/statuses/{too_big}", headers=bearer(token))).status == 404
    assert (await client.get("/directory?offset=²")).status == 400
    for cursor in ("²", too_big):  # a digit int() refuses, and a number beyond 64 bits
        refused = await client.get(f"/local?max_id={cursor}")
        assert refused.status == 400 and "max_id must be a post id" in await refused.text()
