"""Member tools in the web UI: keyword filters (warn and hide), muting for a while, hiding a domain."""

from aiohttp.test_utils import TestClient

from server.domain import posting
from tests.federation.conftest import drain, follow_across
from tests.helpers import log_in, make_member, post_status, submit


async def test_filters_mute_and_hidden_domains(instances):
    a, b = instances
    alice = await make_member(a.pool, "alice")
    await make_member(a.pool, "chatty")
    bob = await make_member(b.pool, "bob")
    await log_in(a.client, "alice")
    chatty = TestClient(a.client.server)
    await log_in(chatty, "chatty")
    await submit(a.client, "/@chatty/follow", {})
    await post_status(chatty, "talking about spoilers for the finale")
    await post_status(chatty, "my lunch was a sandwich")

    assert (await submit(a.client, "/settings/filters", {"title": "Finale", "keywords": "finale", "context": "home",
                                                       "action": "warn"})).status == 303
    home = await (await a.client.get("/")).text()
    assert "<summary>Filtered: Finale</summary>" in home and "sandwich" in home
    filter_id = await a.pool.fetchval("SELECT id FROM filters")
    await submit(a.client, f"/settings/filters/{filter_id}/delete", {})
    await submit(a.client, "/settings/filters", {"title": "Food", "keywords": "sandwich, soup", "context": "home",
                                               "action": "hide"})
    home = await (await a.client.get("/")).text()
    assert "sandwich" not in home and "finale" in home
    bad = await submit(a.client, "/settings/filters",
                       {"title": "", "keywords": "x", "context": "home", "action": "hide"})
    assert bad.status == 422
    # The same limits as the API's: a 256-character title is kept whole, longer ones, keywords over
    # 200 characters and more than 100 keywords are refused, and nothing is written.
    filters_before = await a.pool.fetchval("SELECT count(*) FROM filters")
    for fields, message in (({"title": "t" * 257, "keywords": "x"}, "Title is too long"),
                            ({"title": "x", "keywords": "k" * 201}, "Keyword is too long"),
                            ({"title": "x", "keywords": ",".join(f"k{i}" for i in range(101))}, "at most 100"),
                            ({"title": "x", "keywords": "x", "context": "everywhere"}, "not a valid context")):
        bad = await submit(a.client, "/settings/filters", {"context": "home", "action": "hide", **fields})
        page = await bad.text()
        assert bad.status == 422 and message in page and 'role="alert"' in page, fields
        assert f'value="{fields["title"]}"' in page  # the form comes back as typed
    assert await a.pool.fetchval("SELECT count(*) FROM filters") == filters_before
    long_title = await submit(a.client, "/settings/filters", {"title": "t" * 256, "keywords": "zzz", "context": "home",
                                                            "action": "warn"})
    assert long_title.status == 303
    assert await a.pool.fetchval("SELECT title FROM filters WHERE title LIKE 'ttt%'") == "t" * 256

    assert (await submit(a.client, "/@chatty/mute", {"duration": "3600"})).status == 303
    assert "finale" not in await (await a.client.get("/")).text()
    expires = await a.pool.fetchval("SELECT expires_at > now() + interval '50 minutes' FROM mutes")
    assert expires is True
    assert "Unmute @<bdi>chatty</bdi>" in await (await a.client.get("/@chatty")).text()
    await submit(a.client, "/@chatty/unmute", {})
    self_mute = await submit(a.client, "/@alice/mute", {"duration": ""})
    assert self_mute.status == 422 and "cannot mute yourself" in await self_mute.text()
    assert await a.pool.fetchval("SELECT count(*) FROM mutes") == 0
    assert "finale" in await (await a.client.get("/")).text()
    await chatty.session.close()

    await follow_across(a, alice, b, "bob")
    await posting.create_post(b.pool, b.fed.urls, bob, posting.NewPost("hello from b"), 500)
    await drain(a, b)
    assert "hello from b" in await (await a.client.get("/")).text()
    resp = await submit(a.client, "/settings/domains", {"domain": b.host, "next": f"/@bob@{b.host}"},
                        page=f"/@bob@{b.host}")
    assert resp.status == 303 and resp.headers["Location"] == f"/@bob@{b.host}"
    assert "hello from b" not in await (await a.client.get("/")).text()
    assert await a.pool.fetchval("SELECT count(*) FROM follows WHERE account_id = $1", alice.id) == 1  # only chatty
    page = await (await a.client.get("/settings/filters")).text()
    assert b.host in page
