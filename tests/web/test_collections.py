"""The daily list pages: bookmarks, favourites, follow requests, mutes and blocks (with undo),
followers and following, pinned posts and "follows you" on profiles."""

import re

from server.domain import marks, posting
from server.keys import URLS
from tests.helpers import log_in, make_member, submit


def handles_on(page: str) -> list[str]:
    return re.findall(r'<a class="person" href="/@([\w@.:-]+)"', page)


async def test_bookmarks_and_favourites_list_what_was_marked(client, pool):
    alice = await make_member(pool, "alice")
    bob = await make_member(pool, "bob")
    ids = [await posting.create_post(pool, client.app[URLS], bob, posting.NewPost(f"bob {n}"), 500) for n in range(3)]
    await log_in(client, "alice")
    assert "Bookmark a post to keep it here" in await (await client.get("/bookmarks")).text()
    for status_id in (ids[0], ids[2]):
        resp = await submit(client, f"/statuses/{status_id}/bookmark", {"next": f"/@bob#status-{status_id}"})
        assert resp.status == 303 and resp.headers["Location"] == f"/@bob#status-{status_id}"
    await submit(client, f"/statuses/{ids[1]}/favourite", {"next": "/"})
    page = await (await client.get("/bookmarks")).text()
    assert "bob 2" in page and "bob 0" in page and "bob 1" not in page
    assert page.index("bob 2") < page.index("bob 0")  # the latest bookmark first
    assert f'action="/statuses/{ids[0]}/unbookmark"' in page  # shown as bookmarked, to undo
    favourites = await (await client.get("/favourites")).text()
    assert "bob 1" in favourites and "bob 0" not in favourites
    await submit(client, f"/statuses/{ids[0]}/unbookmark", {"next": "/bookmarks"})
    assert "bob 0" not in await (await client.get("/bookmarks")).text()
    assert await pool.fetchval("SELECT count(*) FROM bookmarks WHERE account_id = $1", alice.id) == 1
    # a post you cannot see cannot be bookmarked
    hidden = await posting.create_post(pool, client.app[URLS], bob, posting.NewPost("secret", visibility="direct"), 500)
    assert (await submit(client, f"/statuses/{hidden}/bookmark", {"next": "/"})).status == 404


async def test_follow_requests_mutes_and_blocks_each_with_their_undo(client, pool):
    alice = await make_member(pool, "alice")
    await pool.execute("UPDATE accounts SET locked = true WHERE id = $1", alice.id)
    for name in ("bob", "carol"):
        await make_member(pool, name)
        await log_in(client, name)
        await submit(client, "/@alice/follow")
    await log_in(client, "alice")
    requests = await (await client.get("/follow_requests")).text()
    assert handles_on(requests) == ["carol", "bob"]
    bob_id = await pool.fetchval("SELECT id FROM accounts WHERE username = 'bob'")
    resp = await submit(client, f"/follow_requests/{bob_id}/accept", {"next": "/follow_requests"})
    assert resp.headers["Location"] == "/follow_requests"
    assert handles_on(await (await client.get("/follow_requests")).text()) == ["carol"]
    assert handles_on(await (await client.get("/@alice/followers")).text()) == ["bob"]

    await submit(client, "/@bob/mute", {"duration": ""})
    await submit(client, "/@carol/block")
    mutes = await (await client.get("/mutes")).text()
    blocks = await (await client.get("/blocks")).text()
    assert handles_on(mutes) == ["bob"] and handles_on(blocks) == ["carol"]
    assert handles_on(await (await client.get("/follow_requests")).text()) == []  # the block ended carol's request
    resp = await submit(client, "/@bob/unmute", {"next": "/mutes"})
    assert resp.headers["Location"] == "/mutes"
    await submit(client, "/@carol/unblock", {"next": "/blocks"})
    assert "You have not muted anyone." in await (await client.get("/mutes")).text()
    assert "You have not blocked anyone." in await (await client.get("/blocks")).text()


async def test_profiles_show_pinned_posts_follows_you_and_their_lists(client, pool):
    alice = await make_member(pool, "alice")
    await make_member(pool, "bob")
    urls = client.app[URLS]
    pinned = await posting.create_post(pool, urls, alice, posting.NewPost("my pinned intro"), 500)
    await posting.create_post(pool, urls, alice, posting.NewPost("a later post"), 500)
    await marks.pin(pool, alice, pinned)
    await log_in(client, "alice")
    await submit(client, "/@bob/follow")
    await log_in(client, "bob")
    profile = await (await client.get("/@alice")).text()
    assert 'aria-label="Pinned posts"' in profile
    assert profile.index("my pinned intro") < profile.index("a later post")
    assert "Follows you" in profile
    assert "Follows you" not in await (await client.get("/@bob")).text()
    assert handles_on(await (await client.get("/@alice/following")).text()) == ["bob"]
    assert handles_on(await (await client.get("/@bob/followers")).text()) == ["alice"]


async def test_hidden_follow_lists_stay_hidden_from_others(aiohttp_client, config, pool):
    from dataclasses import replace

    from server.app import make_app

    client = await aiohttp_client(make_app(replace(config, hide_follow_lists=True)))
    await make_member(pool, "alice")
    await make_member(pool, "bob")
    await log_in(client, "alice")
    await submit(client, "/@bob/follow")
    assert "This list is private." in await (await client.get("/@bob/followers")).text()
    await log_in(client, "bob")
    assert handles_on(await (await client.get("/@bob/followers")).text()) == ["alice"]  # the owner sees it
