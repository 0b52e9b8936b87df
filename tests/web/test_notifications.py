"""The notifications page through the member's keyword filters, as the API applies them; the
notification policy's filters, and the notifications they hold back, to accept or dismiss."""

from aiohttp.test_utils import TestClient

from server.store import notifications as notifications_store
from tests.helpers import csrf_token, log_in, make_member, post_status, submit


async def test_notifications_page_applies_keyword_filters(aiohttp_client, client, config, pool):
    from server.app import make_app

    await make_member(pool, "alice")
    await make_member(pool, "bob")
    bob = await aiohttp_client(make_app(config))
    await log_in(bob, "bob")
    await log_in(client, "alice")
    for title, words, action in (("Spoilers", "finale", "hide"), ("Food", "soup", "warn")):
        token = await csrf_token(client, "/settings/filters")
        resp = await client.post("/settings/filters", data={
            "csrf_token": token, "title": title, "keywords": words, "context": "notifications", "action": action,
        }, allow_redirects=False)
        assert resp.status == 303
    for text in ("@alice the finale was great", "@alice soup is ready", "@alice hello there"):
        assert await post_status(bob, text) == 303

    page = await (await client.get("/notifications")).text()
    assert "hello there" in page
    assert "finale" not in page
    assert page.count("mentioned you") == 2
    assert '<summary>Filtered: Food</summary>' in page and "soup is ready" in page
    assert page.index("Filtered: Food") < page.index("soup is ready")


async def test_filtered_notifications_wait_to_be_accepted_or_dismissed(client, pool):
    alice = await make_member(pool, "alice")
    await make_member(pool, "bob")
    await make_member(pool, "carol")
    await log_in(client, "alice")
    assert "Nothing is filtered now." in await (await client.get("/notifications/requests")).text()
    requests = "/notifications/requests"
    choices = {"for_not_following": "filter", "for_private_mentions": "drop"}
    saved = await submit(client, "/notifications/policy", choices, page=requests)
    assert saved.status == 303 and saved.headers["Location"] == "/notifications/requests"
    chosen = await notifications_store.policy(pool, alice.id)
    assert (chosen["for_not_following"], chosen["for_private_mentions"], chosen["for_new_accounts"]) == (
        "filter", "drop", "accept")
    form = await (await client.get("/notifications/requests")).text()
    assert '<option value="filter" selected>Filter</option>' in form
    refused = await submit(client, "/notifications/policy", {"for_not_following": "maybe"}, page=requests)
    assert refused.status == 422 and await notifications_store.policy(pool, alice.id) == chosen

    others = {}
    for name in ("bob", "carol"):
        others[name] = TestClient(client.server)
        await log_in(others[name], name)
    for name, text in (("bob", "@alice hello from bob"), ("bob", "@alice bob again"), ("carol", "@alice carol here")):
        assert await post_status(others[name], text) == 303
    page = await (await client.get("/notifications")).text()
    assert "hello from bob" not in page and "carol here" not in page
    assert "3 filtered notifications</strong> from 2 people" in page
    waiting = await (await client.get("/notifications/requests")).text()
    assert "@bob" in waiting and "2 notifications" in waiting and "bob again" in waiting and "carol here" in waiting

    senders = {r["account"].username: r["account"].id for r in await notifications_store.requests(pool, alice.id)}
    bob_id, carol_id = senders["bob"], senders["carol"]
    accepted = await submit(client, f"/notifications/requests/{bob_id}/accept", page="/notifications/requests")
    assert accepted.status == 303
    page = await (await client.get("/notifications")).text()
    assert "hello from bob" in page and "bob again" in page and "carol here" not in page
    assert await post_status(others["bob"], "@alice accepted now") == 303  # bob passes from now on
    assert "accepted now" in await (await client.get("/notifications")).text()

    dismissed = await submit(client, f"/notifications/requests/{carol_id}/dismiss", page="/notifications/requests")
    assert dismissed.status == 303
    assert "Nothing is filtered now." in await (await client.get("/notifications/requests")).text()
    assert "carol here" not in await (await client.get("/notifications")).text()
    again = await submit(client, f"/notifications/requests/{carol_id}/dismiss", page="/notifications/requests")
    assert again.status == 404
    for other in others.values():
        await other.session.close()
