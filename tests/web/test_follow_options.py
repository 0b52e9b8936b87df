"""Per followed account: hide their boosts from the home feed, be notified when they post, only
their posts in some languages; the same options the API's relationship shows (showing_reblogs,
notifying, languages)."""

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


async def test_only_their_posts_in_some_languages(client, pool):
    await make_member(pool, "alice")
    bob = await make_member(pool, "bob")
    urls = client.app[URLS]
    await log_in(client, "alice")
    assert "Only their posts in" not in await (await client.get("/@bob")).text()  # not followed yet
    await submit(client, "/@bob/follow")
    for text, language in (("Guten Morgen aus dem Garten", "de"), ("Good morning from the garden", "en"),
                           ("Good evening", "en")):
        await posting.create_post(pool, urls, bob, posting.NewPost(text, language=language), 500)
    profile = await (await client.get("/@bob")).text()
    assert "Only their posts in" in profile and "> English</label>" in profile and "> German</label>" in profile

    chosen = await submit(client, "/@bob/follow_options", {"languages_form": "on", "languages": "en"}, page="/@bob")
    assert chosen.status == 303
    home = await (await client.get("/")).text()
    assert "Good morning from the garden" in home and "Guten Morgen" not in home
    assert 'value="en" checked' in await (await client.get("/@bob")).text()

    refused = await submit(client, "/@bob/follow_options", {"languages_form": "on", "languages": "not a code"},
                           page="/@bob")
    assert refused.status == 422 and "ISO 639" in await refused.text()
    every = await submit(client, "/@bob/follow_options", {"languages_form": "on"}, page="/@bob")  # none ticked
    assert every.status == 303 and "Guten Morgen" in await (await client.get("/")).text()
    boxes = (await (await client.get("/@bob")).text()).split("Only their posts in")[1].split("</fieldset>")[0]
    assert "checked" not in boxes
