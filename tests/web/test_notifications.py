"""The notifications page through the member's keyword filters, as the API applies them."""

from tests.helpers import csrf_token, log_in, make_member, post_status


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
