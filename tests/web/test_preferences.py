"""A member's own preferences: compose defaults (the web form and apps start from them), the time
zone pages show times in, and hiding their followers and following lists."""

import re

from tests.api.conftest import api_token, bearer  # noqa: F401
from tests.helpers import csrf_token, log_in, make_member, post_status, submit
from tests.web.test_profile_settings import send

AS2 = {"Accept": "application/activity+json"}


async def test_compose_defaults_and_time_zone(client, pool):
    await make_member(pool, "alice")
    await log_in(client, "alice")
    assert await post_status(client, "before the change") == 303
    page = await (await client.get("/")).text()
    assert re.search(r'<time [^>]*title="\d{4}-\d\d-\d\d \d\d:\d\d UTC"', page)

    refused = await submit(client, "/settings/preferences", {"visibility": "unlisted", "sensitive": "on",
                                                             "language": "en", "time_zone": "Mars/Olympus"})
    body = await refused.text()
    assert refused.status == 422 and "Choose a time zone from the list" in body
    assert '<option value="unlisted" selected>' in body  # what was chosen stays chosen
    assert await pool.fetchval("SELECT default_visibility FROM users") == "public"  # nothing saved
    assert (await submit(client, "/settings/preferences", {"visibility": "direct", "time_zone": "UTC"})).status == 422

    saved = await submit(client, "/settings/preferences", {"visibility": "unlisted", "sensitive": "on",
                                                           "language": "en", "time_zone": "Asia/Tokyo",
                                                           "expand_spoilers": "on"})
    assert saved.status == 303
    compose = await (await client.get("/compose")).text()
    assert re.search(r'<option value="unlisted" selected', compose)
    assert re.search(r'<input type="checkbox" name="sensitive" checked>', compose)
    page = await (await client.get("/")).text()
    assert re.search(r'<time [^>]*title="\d{4}-\d\d-\d\d \d\d:\d\d JST"', page)  # the member's zone
    assert await post_status(client, "behind a warning", spoiler_text="spoilers") == 303
    assert '<details class="cw" open>' in await (await client.get("/")).text()  # opened, as chosen
    assert "JST" in await (await client.get("/local")).text()
    await client.post("/logout", data={"csrf_token": await csrf_token(client)})
    assert "JST" not in await (await client.get("/local")).text()  # visitors see UTC


async def test_apps_read_and_set_the_same_defaults(client, pool, api_token):  # noqa: F811
    _, token = await api_token("bob")
    prefs = await (await client.get("/api/v1/preferences", headers=bearer(token))).json()
    assert prefs["posting:default:visibility"] == "public" and prefs["posting:default:sensitive"] is False
    changed = await client.patch("/api/v1/accounts/update_credentials", headers=bearer(token),
                                 data={"source[privacy]": "private", "source[sensitive]": "true"})
    assert changed.status == 200
    source = (await changed.json())["source"]
    assert source["privacy"] == "private" and source["sensitive"] is True
    posted = await (await client.post("/api/v1/statuses", headers=bearer(token), data={"status": "hi"})).json()
    assert posted["visibility"] == "private" and posted["sensitive"] is True  # the defaults apply
    bad = await client.patch("/api/v1/accounts/update_credentials", headers=bearer(token),
                             data={"display_name": "Bobby", "source[privacy]": "everyone"})
    assert bad.status == 422 and "default visibility" in (await bad.json())["error"]
    assert await pool.fetchval("SELECT display_name FROM accounts WHERE username = 'bob'") == ""  # not half-applied
    await log_in(client, "bob")
    assert '<option value="private" selected>' in await (await client.get("/settings/preferences")).text()


async def test_hidden_follow_lists(client, pool, api_token):  # noqa: F811
    alice, _ = await api_token("alice")
    carol, carol_token = await api_token("carol")
    await log_in(client, "carol")
    await submit(client, "/@alice/follow", page="/@alice")
    await log_in(client, "alice")
    saved = await send(client, {"display_name": "", "note": "", "hide_collections": "on"})
    assert saved.status == 303
    own = await (await client.get("/@alice/followers")).text()
    assert "@<bdi>carol</bdi>" in own  # the owner still sees them

    await log_in(client, "carol")
    others = await (await client.get("/@alice/followers")).text()
    assert "This list is private." in others and "@<bdi>carol</bdi></span>" not in others.split("<main")[1]
    listed = await (await client.get(f"/api/v1/accounts/{alice.id}/followers", headers=bearer(carol_token))).json()
    assert listed == []
    collection = await (await client.get("/users/alice/followers", headers=AS2)).json()
    assert collection["totalItems"] == 1 and "first" not in collection
    creds = await (await client.get("/api/v1/accounts/verify_credentials",
                                    headers=bearer((await api_token("alice"))[1]))).json()
    assert creds["source"]["hide_collections"] is True
