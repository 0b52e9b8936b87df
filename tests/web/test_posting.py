"""Composing, deleting and reading posts, and who may see them on every page."""

import re

from aiohttp.test_utils import TestClient

from tests.helpers import csrf_token, log_in, make_member, post_status


async def new_client(aiohttp_client, client: TestClient) -> TestClient:
    """A second browser (its own cookies) on the same app."""
    return await aiohttp_client(client.server)


async def test_compose_and_read_back(client, logged_in, pool):
    assert await post_status(client, "Hello #Kith from https://example.com/x, see\nnext line") == 303
    home = await (await client.get("/")).text()
    assert '<a href="https://example.com/x" rel="nofollow noopener">example.com/x</a>' in home
    assert 'class="mention hashtag"' in home and "#<span>Kith</span>" in home
    assert "see<br>next line" in home
    status_id = await pool.fetchval("SELECT id FROM statuses")
    page = await client.get(f"/@alice/{status_id}")
    assert page.status == 200
    assert "example.com/x" in await page.text()


async def test_markup_is_escaped(client, logged_in, pool):
    await post_status(client, '<script>alert(1)</script><img src=x onerror=alert(2)> "quoted"',
                      spoiler_text="<b>cw</b>")
    home = await (await client.get("/")).text()
    assert "<script>alert(1)" not in home and "<img src=x" not in home
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in home
    assert "&lt;b&gt;cw&lt;/b&gt;" in home


async def test_bad_posts_are_refused_and_nothing_is_stored(client, logged_in, pool):
    for content, visibility, message in [
        ("", "public", "cannot be empty"),
        ("   \n  ", "public", "cannot be empty"),
        ("x" * 501, "public", "at most 500 characters"),
        ("fine", "everyone", "Visibility must be one of"),
    ]:
        token = await csrf_token(client, "/")
        resp = await client.post("/", data={"content": content, "visibility": visibility, "csrf_token": token})
        assert resp.status == 422
        page = await resp.text()
        assert message in page
        assert 'role="alert"' in page
    # the text typed is kept in the form for correction
    token = await csrf_token(client, "/")
    resp = await client.post("/", data={"content": "y" * 501, "visibility": "private", "csrf_token": token})
    page = await resp.text()
    assert "y" * 501 in page and '<option value="private" selected>' in page
    assert await pool.fetchval("SELECT count(*) FROM statuses") == 0
    assert await post_status(client, "x" * 500) == 303


async def test_visitors_cannot_post(client, pool):
    token = await csrf_token(client, "/login")
    resp = await client.post("/", data={"content": "hi", "csrf_token": token}, allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"] == "/login"
    assert await pool.fetchval("SELECT count(*) FROM statuses") == 0


async def test_feed_is_chronological_with_keyset_pagination(client, logged_in, pool):
    for i in range(25):
        await post_status(client, f"post number {i}")
    first = await (await client.get("/")).text()
    numbers = [int(n) for n in re.findall(r"post number (\d+)", first)]
    assert numbers == list(range(24, 4, -1))
    older = re.search(r'href="\?max_id=(\d+)">Older posts', first)
    assert older
    second = await (await client.get(f"/?max_id={older.group(1)}")).text()
    assert [int(n) for n in re.findall(r"post number (\d+)", second)] == [4, 3, 2, 1, 0]
    assert "Older posts" not in second
    assert (await client.get("/?max_id=abc")).status == 400


async def test_follow_brings_posts_into_the_feed(aiohttp_client, client, pool):
    await make_member(pool, "alice")
    await make_member(pool, "bob")
    bob = await new_client(aiohttp_client, client)
    await log_in(bob, "bob")
    await post_status(bob, "bob before the follow")
    await log_in(client, "alice")
    await post_status(client, "alice's own")
    assert "bob before the follow" not in await (await client.get("/")).text()

    token = await csrf_token(client, "/@bob")
    resp = await client.post("/@bob/follow", data={"csrf_token": token}, allow_redirects=False)
    assert resp.status == 303
    profile = await (await client.get("/@bob")).text()
    assert re.search(r'id="followers-count">1<', profile) and "Unfollow" in profile
    await post_status(bob, "bob after the follow")
    home = await (await client.get("/")).text()
    assert home.index("bob after the follow") < home.index("alice's own") < home.index("bob before the follow")

    token = await csrf_token(client, "/@bob")
    await client.post("/@bob/unfollow", data={"csrf_token": token})
    assert "bob after the follow" not in await (await client.get("/")).text()
    assert re.search(r'id="followers-count">0<', await (await client.get("/@bob")).text())


async def test_visibility_on_every_page(aiohttp_client, client, pool):
    """Public, unlisted, followers-only and direct posts each appear exactly where they should."""
    await make_member(pool, "alice")
    await make_member(pool, "bob")  # follows alice
    await make_member(pool, "carol")  # mentioned in the direct post
    await make_member(pool, "dave")  # a stranger
    bob = await new_client(aiohttp_client, client)
    await log_in(bob, "bob")
    token = await csrf_token(bob, "/@alice")
    await bob.post("/@alice/follow", data={"csrf_token": token})

    await log_in(client, "alice")
    for visibility in ("public", "unlisted", "private"):
        await post_status(client, f"alice {visibility} post", visibility)
    await post_status(client, "alice direct post to @carol", "direct")
    ids = {r["visibility"]: r["id"] for r in await pool.fetch("SELECT id, visibility FROM statuses")}

    visitor = await new_client(aiohttp_client, client)
    carol = await new_client(aiohttp_client, client)
    await log_in(carol, "carol")
    dave = await new_client(aiohttp_client, client)
    await log_in(dave, "dave")

    async def seen(who: TestClient, path: str) -> set[str]:
        text = await (await who.get(path)).text()
        return {v for v in ("public", "unlisted", "private", "direct") if f"alice {v} post" in text}

    assert await seen(visitor, "/") == {"public"}
    assert await seen(visitor, "/local") == {"public"}
    assert await seen(visitor, "/@alice") == {"public", "unlisted"}
    assert await seen(dave, "/@alice") == {"public", "unlisted"}
    assert await seen(bob, "/@alice") == {"public", "unlisted", "private"}
    assert await seen(bob, "/") == {"public", "unlisted", "private"}
    assert await seen(carol, "/") == {"direct"}
    assert await seen(dave, "/") == set()
    assert await seen(client, "/") == {"public", "unlisted", "private", "direct"}

    for who, allowed in [(visitor, {"public", "unlisted"}), (dave, {"public", "unlisted"}),
                         (bob, {"public", "unlisted", "private"}), (carol, {"public", "unlisted", "direct"})]:
        for visibility, status_id in ids.items():
            resp = await who.get(f"/@alice/{status_id}")
            assert resp.status == (200 if visibility in allowed else 404), (visibility, allowed)


async def test_delete_own_post_only(aiohttp_client, client, pool):
    await make_member(pool, "alice")
    await make_member(pool, "bob")
    await log_in(client, "alice")
    await post_status(client, "to be deleted")
    status_id = await pool.fetchval("SELECT id FROM statuses")
    bob = await new_client(aiohttp_client, client)
    await log_in(bob, "bob")
    token = await csrf_token(bob, "/")
    resp = await bob.post(f"/@alice/{status_id}/delete", data={"csrf_token": token})
    assert resp.status == 404
    assert (await client.get(f"/@alice/{status_id}")).status == 200

    token = await csrf_token(client, "/")
    resp = await client.post(f"/@alice/{status_id}/delete", data={"csrf_token": token}, allow_redirects=False)
    assert resp.status == 303
    assert (await client.get(f"/@alice/{status_id}")).status == 404
    assert "to be deleted" not in await (await client.get("/")).text()


async def test_hashtag_page_lists_public_posts_with_the_tag(client, logged_in, pool):
    await post_status(client, "public #Gardening")
    await post_status(client, "quiet #gardening", "private")
    await post_status(client, "other #cooking")
    page = await (await client.get("/tags/GARDENING")).text()
    assert page.count('class="status"') == 1
    assert "public <a" in page and "<span>Gardening</span>" in page
    assert "quiet" not in page and "other" not in page
