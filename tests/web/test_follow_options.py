"""Per followed account: hide their boosts from the home feed, be notified when they post; the same
options the API's relationship shows (showing_reblogs, notifying)."""

from server.domain import posting, reactions
from server.keys import URLS
from tests.api.conftest import api_token, bearer  # noqa: F401  (fixture)
from tests.helpers import log_in, make_member, submit


async def test_hiding_boosts_and_being_notified(client, pool, api_token):  # noqa: F811
    _, token = await api_token("alice")
    bob = await make_member(pool, "bob")
    carol = await make_member(pool, "carol")
    urls = client.app[URLS]
    await log_in(client, "alice")
    await submit(client, "/@bob/follow")
    carols = await posting.create_post(pool, urls, carol, posting.NewPost("words by carol"), 500)
    await reactions.boost(pool, urls, bob, carols)
    assert "words by carol" in await (await client.get("/")).text()

    profile = await (await client.get("/@bob")).text()
    assert "Hide boosts from @" in profile and "Notify me when @" in profile
    resp = await submit(client, "/@bob/follow_options", {"show_reblogs": "off", "next": "/@bob"})
    assert resp.status == 303 and resp.headers["Location"] == "/@bob"
    home = await (await client.get("/")).text()
    assert "words by carol" not in home
    await posting.create_post(pool, urls, bob, posting.NewPost("a post by bob"), 500)
    assert "a post by bob" in await (await client.get("/")).text()  # only the boosts are hidden
    assert await pool.fetchval("SELECT count(*) FROM notifications WHERE type = 'status'") == 0

    await submit(client, "/@bob/follow_options", {"notify": "on"})
    rel = (await (await client.get("/api/v1/accounts/relationships", params={"id[]": str(bob.id)},
                                   headers=bearer(token))).json())[0]
    assert rel["showing_reblogs"] is False and rel["notifying"] is True
    await posting.create_post(pool, urls, bob, posting.NewPost("news from bob"), 500)
    await posting.create_post(pool, urls, bob, posting.NewPost("only for carol", visibility="direct"), 500)
    notes = await (await client.get("/notifications")).text()
    assert "posted" in notes and "news from bob" in notes and "only for carol" not in notes

    # the API's follow options change the same follow
    resp = await client.post(f"/api/v1/accounts/{bob.id}/follow", json={"reblogs": True, "notify": False},
                             headers=bearer(token))
    assert (await resp.json())["showing_reblogs"] is True and (await resp.json())["notifying"] is False
    assert "words by carol" in await (await client.get("/")).text()
