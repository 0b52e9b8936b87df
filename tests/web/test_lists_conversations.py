"""/lists and /conversations on the web: lists made, filled from profiles and read; direct messages
grouped by thread, unread until opened."""

import re

from server.domain import posting
from server.keys import URLS
from tests.helpers import log_in, make_member, submit


async def test_lists_made_filled_from_a_profile_read_and_removed(client, pool):
    await make_member(pool, "alice")
    bob = await make_member(pool, "bob")
    carol = await make_member(pool, "carol")
    await log_in(client, "alice")
    for name in ("bob", "carol"):
        await submit(client, f"/@{name}/follow")
    refused = await submit(client, "/lists", {"title": "", "replies_policy": "list"})
    assert refused.status == 422 and "Title can&#39;t be blank" in await refused.text()
    made = await submit(client, "/lists", {"title": "Gardeners", "replies_policy": "list", "exclusive": "on"})
    list_id = int(made.headers["Location"].rsplit("/", 1)[1])
    profile = await (await client.get("/@bob")).text()
    assert 'action="/lists/add"' in profile and ">Gardeners</option>" in profile
    resp = await submit(client, "/lists/add", {"list_id": str(list_id), "account_id": str(bob.id), "next": "/@bob"})
    assert resp.headers["Location"] == "/@bob"
    assert "Remove from “Gardeners”" in await (await client.get("/@bob")).text()
    urls = client.app[URLS]
    await posting.create_post(pool, urls, bob, posting.NewPost("tomatoes are red"), 500)
    await posting.create_post(pool, urls, carol, posting.NewPost("carol is not on the list"), 500)
    page = await (await client.get(f"/lists/{list_id}")).text()
    assert "tomatoes are red" in page and "carol is not on the list" not in page
    home = await (await client.get("/")).text()
    assert "tomatoes are red" not in home and "carol is not on the list" in home  # exclusive: bob leaves Home
    await submit(client, f"/lists/{list_id}", {"title": "Growers", "replies_policy": "none"})
    assert "<h1>Growers</h1>" in await (await client.get(f"/lists/{list_id}")).text()
    await submit(client, f"/lists/{list_id}/members/remove", {"account_id": str(bob.id)})
    assert "tomatoes are red" not in await (await client.get(f"/lists/{list_id}")).text()
    assert "tomatoes are red" in await (await client.get("/")).text()
    not_followed = await submit(client, "/lists/add", {"list_id": str(list_id), "account_id": str(
        (await make_member(pool, "dave")).id)})
    assert not_followed.status == 422 and "must be followed" in await not_followed.text()
    await submit(client, f"/lists/{list_id}/delete")
    assert "No lists yet." in await (await client.get("/lists")).text()


async def test_direct_messages_grouped_by_thread_unread_until_opened(client, pool):
    alice = await make_member(pool, "alice")
    bob = await make_member(pool, "bob")
    urls = client.app[URLS]
    first = await posting.create_post(pool, urls, bob, posting.NewPost("@alice just for you", visibility="direct"),
                                      500)
    await posting.create_post(pool, urls, alice, posting.NewPost("@bob thanks", visibility="direct",
                                                                  in_reply_to_id=first), 500)
    last = await posting.create_post(pool, urls, bob, posting.NewPost("@alice you are welcome", visibility="direct",
                                                                       in_reply_to_id=first), 500)
    await posting.create_post(pool, urls, bob, posting.NewPost("a public post"), 500)
    await log_in(client, "alice")
    page = await (await client.get("/conversations")).text()
    rows = re.findall(r'<li( class="unread")?>\s*<a class="person" href="/conversations/(\d+)"', page)
    assert rows == [(' class="unread"', str(first))]  # one thread, its newest message is bob's
    assert "you are welcome" in page and "a public post" not in page
    opened = await client.get(f"/conversations/{first}", allow_redirects=False)
    assert opened.headers["Location"] == f"/@bob/{last}#status-{last}"
    assert 'class="unread"' not in await (await client.get("/conversations")).text()
