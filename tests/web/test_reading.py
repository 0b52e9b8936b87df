"""Keeping one's place in the home feed: the read marker (the API's `home` marker), the divider above
what was read, the count in the navigation, Newer/Older pages, catching up person by person."""

import re

from server.domain import posting
from server.keys import URLS
from tests.api.conftest import api_token, bearer  # noqa: F401  (fixture)
from tests.helpers import log_in, make_member, submit


async def post(client, pool, author, text: str) -> int:
    return await posting.create_post(pool, client.app[URLS], author, posting.NewPost(text), 500)


def ids_on(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'<article class="status[^"]*" id="status-(\d+)"', page)]


async def test_new_posts_sit_above_the_read_marker_until_marked_read(client, pool, api_token):  # noqa: F811
    alice, alice_token = await api_token("alice")
    bob = await make_member(pool, "bob")
    carol = await make_member(pool, "carol")
    await log_in(client, "alice")
    for target in ("bob", "carol"):
        assert (await submit(client, f"/@{target}/follow")).status == 303
    seen = await post(client, pool, bob, "read before")
    first = await (await client.get("/")).text()  # a first visit starts the marker at the newest post
    assert 'id="read-marker"' not in first and "new post" not in first

    news = [await post(client, pool, bob, f"bob new {n}") for n in range(3)] + [await post(client, pool, carol, "hi")]
    home = await (await client.get("/")).text()
    assert "4 new posts" in home
    assert re.search(r'href="/"[^>]*>.*?<span class="nav-count"[^>]*>4</span>', home, re.S), "count in the navigation"
    marker_at = home.index('id="read-marker"')
    assert all(home.index(f'id="status-{i}"') < marker_at for i in news)
    assert home.index(f'id="status-{seen}"') > marker_at

    catch_up = await (await client.get("/catch-up")).text()
    counts = dict(re.findall(r'href="/catch-up/@(\w+)".*?aria-label="(\d+) new post', catch_up, re.S))
    assert counts == {"carol": "1", "bob": "3"}
    assert list(counts) == ["carol", "bob"]  # whoever posted last first
    bobs = await (await client.get("/catch-up/@bob")).text()
    assert ids_on(bobs) == news[:3]  # just bob's, oldest first
    assert "read before" not in bobs

    # Mark as read moves the API's marker too; the divider and the counts go.
    assert (await submit(client, "/markers/home", {"last_read_id": str(news[-1]), "next": "/"})).status == 303
    markers = await (await client.get("/api/v1/markers", params={"timeline[]": "home"},
                                      headers=bearer(alice_token))).json()
    assert markers["home"]["last_read_id"] == str(news[-1])
    home = await (await client.get("/")).text()
    assert 'id="read-marker"' not in home and "new post" not in home and 'class="nav-count"' not in home
    assert "You are all caught up." in await (await client.get("/catch-up")).text()
    # Marking an older page read never moves the marker back.
    assert (await submit(client, "/markers/home", {"last_read_id": str(seen), "next": "/"})).status == 303
    assert await pool.fetchval("SELECT last_read_id FROM markers WHERE account_id = $1", alice.id) == news[-1]
    # What an app sets, the pages follow.
    resp = await client.post("/api/v1/markers", json={"home": {"last_read_id": str(seen)}}, headers=bearer(alice_token))
    assert resp.status == 200
    assert "4 new posts" in await (await client.get("/")).text()


async def test_newer_and_older_pages_and_actions_return_to_the_same_place(client, pool):
    alice = await make_member(pool, "alice")
    await log_in(client, "alice")
    ids = [await post(client, pool, alice, f"post {n}") for n in range(45)]
    top = await (await client.get("/")).text()
    assert ids_on(top) == ids[::-1][:20] and "Newer posts" not in top
    older = re.search(r'href="\?max_id=(\d+)">Older posts', top).group(1)
    second = await (await client.get(f"/?max_id={older}")).text()
    assert ids_on(second) == ids[::-1][20:40]
    newer = re.search(r'href="\?min_id=(\d+)">Newer posts', second).group(1)
    back = await (await client.get(f"/?min_id={newer}")).text()
    assert ids_on(back) == ids[::-1][:20]  # the page just newer than the second one is the first one
    assert "Newer posts" not in back  # nothing newer than the top

    # Favouriting on page 2 comes back to page 2, at the post.
    target = ids_on(second)[3]
    form = re.search(rf'action="/statuses/{target}/favourite".*?name="next" value="([^"]+)"', second, re.S).group(1)
    resp = await submit(client, f"/statuses/{target}/favourite", {"next": form.replace("&amp;", "&")})
    assert resp.headers["Location"] == f"/?max_id={older}#status-{target}"


async def test_the_federated_timeline_lists_only_other_servers_posts(client, pool):
    alice = await make_member(pool, "alice")
    await post(client, pool, alice, "a local post")
    page = await (await client.get("/public")).text()
    assert "<h1>Federated timeline</h1>" in page and "a local post" not in page
    assert "No public posts from other servers yet." in page
