"""The web UI across two instances: search and follow, favourite, boost, reply, follow requests."""

import re
from urllib.parse import parse_qs, urlsplit

from aiohttp.test_utils import TestClient

from tests.federation.conftest import drain
from tests.helpers import csrf_token, log_in, make_member, post_status, submit


async def test_search_follow_react_and_reply(instances):
    a, b = instances
    await make_member(a.pool, "alice")
    await make_member(b.pool, "bob")
    await log_in(a.client, "alice")
    await log_in(b.client, "bob")

    page = await (await a.client.get("/search", params={"q": f"@bob@{b.host}"})).text()
    assert f"@bob@{b.host}" in page and f'action="/@bob@{b.host}/follow"' in page
    resp = await submit(a.client, f"/@bob@{b.host}/follow", page="/search")
    assert resp.status == 303
    # bob is not locked: Following at once, as Mastodon shows it, before bob's server has answered
    assert await a.pool.fetchval("SELECT state FROM follows") == "pending"
    sent = await (await a.client.get(f"/@bob@{b.host}")).text()
    assert '<p class="hint" id="follow-state">Following</p>' in sent and ">Unfollow</button>" in sent
    assert "Requested" not in sent and "Cancel follow request" not in sent
    await drain(a, b)
    accepted = await (await a.client.get(f"/@bob@{b.host}")).text()
    assert '<p class="hint" id="follow-state">Following</p>' in accepted and ">Unfollow</button>" in accepted
    assert "followed you" in await (await b.client.get("/notifications")).text()

    assert await post_status(b.client, "A post from B") == 303
    await drain(a, b)
    home = await (await a.client.get("/")).text()
    assert "A post from B" in home
    local_id = int(re.search(rf'href="/@bob@{re.escape(b.host)}/(\d+)"', home).group(1))

    await submit(a.client, f"/statuses/{local_id}/favourite", {"next": "/"})
    await submit(a.client, f"/statuses/{local_id}/boost", {"next": "/"})
    await drain(a, b)
    notes = await (await b.client.get("/notifications")).text()
    assert "favourited your post" in notes and "boosted your post" in notes
    assert await b.pool.fetchval("SELECT count(*) FROM favourites") == 1

    thread = await (await a.client.get(f"/@bob@{b.host}/{local_id}")).text()
    assert f"@bob@{b.host} </textarea>" in thread
    resp = await submit(a.client, "/", {
        "content": f"@bob@{b.host} a reply from A", "visibility": "public", "in_reply_to_id": str(local_id),
        "next": f"/@bob@{b.host}/{local_id}",
    }, page=f"/@bob@{b.host}/{local_id}")
    assert resp.status == 303 and resp.headers["Location"] == f"/@bob@{b.host}/{local_id}"
    await drain(a, b)
    original = await b.pool.fetchval("SELECT id FROM statuses WHERE uri IS NULL AND reblog_of_id IS NULL")
    reply = await b.pool.fetchrow("SELECT in_reply_to_id, content FROM statuses WHERE content LIKE '%a reply from A%'")
    assert reply["in_reply_to_id"] == original
    bob_thread = await (await b.client.get(f"/@bob/{original}")).text()
    assert "a reply from A" in bob_thread

    await submit(a.client, f"/statuses/{local_id}/unfavourite", {"next": "/"})
    await submit(a.client, f"/statuses/{local_id}/unboost", {"next": "/"})
    await drain(a, b)
    assert await b.pool.fetchval("SELECT count(*) FROM favourites") == 0
    assert await b.pool.fetchval(
        "SELECT count(*) FROM statuses WHERE reblog_of_id IS NOT NULL AND deleted_at IS NULL") == 0


async def test_locked_account_approves_remote_follow(instances):
    a, b = instances
    await make_member(a.pool, "carol")
    await make_member(b.pool, "bob")
    await log_in(a.client, "carol")
    await log_in(b.client, "bob")
    resp = await submit(b.client, "/settings/profile",
                        {"display_name": "Bob B.", "note": "I approve followers", "locked": "on"},
                        page="/settings/profile")
    assert resp.status == 303
    await submit(a.client, f"/@bob@{b.host}/follow", page="/search")
    await drain(a, b)
    assert await a.pool.fetchval("SELECT state FROM follows") == "pending"
    waiting = await (await a.client.get(f"/@bob@{b.host}")).text()
    assert "Requested: waiting for approval." in waiting and ">Cancel follow request</button>" in waiting
    assert 'id="follow-state">Following<' not in waiting
    notes = await (await b.client.get("/notifications")).text()
    assert "asked to follow you" in notes
    follower_id = await b.pool.fetchval("SELECT account_id FROM follows")
    resp = await submit(b.client, f"/follow_requests/{follower_id}/accept", page="/notifications")
    assert resp.status == 303
    await drain(a, b)
    assert await a.pool.fetchval("SELECT state FROM follows") == "accepted"
    profile = await (await a.client.get(f"/@bob@{b.host}")).text()
    assert "Bob B." in profile and "Locked" in profile
    assert '<p class="hint" id="follow-state">Following</p>' in profile and ">Unfollow</button>" in profile


async def test_profile_update_reaches_followers(instances):
    a, b = instances
    await make_member(a.pool, "alice")
    await make_member(b.pool, "bob")
    await log_in(a.client, "alice")
    await log_in(b.client, "bob")
    await submit(a.client, f"/@bob@{b.host}/follow", page="/search")
    await drain(a, b)
    await submit(b.client, "/settings/profile", {"display_name": "Robert", "note": "new bio"}, page="/settings/profile")
    await drain(a, b)
    assert await a.pool.fetchval("SELECT display_name FROM accounts WHERE domain IS NOT NULL") == "Robert"
    bad = await submit(b.client, "/settings/profile", {"display_name": "x" * 31}, page="/settings/profile")
    assert bad.status == 422


async def test_block_is_federated_and_hides_posts_both_ways(instances):
    a, b = instances
    await make_member(a.pool, "alice")
    await make_member(b.pool, "bob")
    await log_in(a.client, "alice")
    await log_in(b.client, "bob")
    await submit(b.client, f"/@alice@{a.host}/follow", page="/search")
    await drain(a, b)
    await post_status(a.client, "alice before the block")
    await drain(a, b)
    assert "alice before the block" in await (await b.client.get("/")).text()

    resp = await submit(a.client, f"/@bob@{b.host}/block", page=f"/@bob@{b.host}")
    assert resp.status == 303
    await drain(a, b)
    assert await a.pool.fetchval("SELECT count(*) FROM follows") == 0
    assert await b.pool.fetchval("SELECT count(*) FROM follows") == 0
    assert await b.pool.fetchval("SELECT count(*) FROM blocks") == 1
    assert "alice before the block" not in await (await b.client.get("/")).text()
    assert "alice before the block" not in await (await b.client.get(f"/@alice@{a.host}")).text()
    assert "Unblock @<bdi>bob@" in await (await a.client.get(f"/@bob@{b.host}")).text()

    await submit(a.client, f"/@bob@{b.host}/unblock", page=f"/@bob@{b.host}")
    await drain(a, b)
    assert await b.pool.fetchval("SELECT count(*) FROM blocks") == 0


async def test_search_by_url_brings_the_thread(instances):
    """Looking up a post by URL fetches its ancestors and its replies from their servers."""
    a, b = instances
    await make_member(a.pool, "alice")
    await make_member(b.pool, "bob")
    await make_member(b.pool, "carol")
    await log_in(a.client, "alice")
    await log_in(b.client, "bob")
    await post_status(b.client, "the root post")
    root = await b.pool.fetchval("SELECT id FROM statuses")
    token = await csrf_token(b.client)
    await b.client.post("/", data={"content": "the middle reply", "in_reply_to_id": str(root), "csrf_token": token})
    middle = await b.pool.fetchval("SELECT id FROM statuses WHERE source_text = 'the middle reply'")
    carol = TestClient(b.client.server)  # a second browser on instance b
    await log_in(carol, "carol")
    token = await csrf_token(carol)
    await carol.post("/", data={"content": "a reply to the middle", "in_reply_to_id": str(middle), "csrf_token": token})
    await carol.session.close()

    page = await (await a.client.get("/search", params={"q": f"{b.base}/users/bob/statuses/{middle}"})).text()
    assert "the middle reply" in page
    stored = {r["content"] for r in await a.pool.fetch("SELECT content FROM statuses")}
    assert any("the root post" in c for c in stored)  # the ancestor
    assert any("a reply to the middle" in c for c in stored)  # the reply
    local_middle = await a.pool.fetchval("SELECT id FROM statuses WHERE content LIKE '%the middle reply%'")
    page = await (await a.client.get(f"/@bob@{b.host}/{local_middle}")).text()
    thread = page[page.index("<main"):]
    assert thread.index("the root post") < thread.index("the middle reply") < thread.index("a reply to the middle")



async def test_follow_from_your_own_server_through_the_subscribe_template(instances):
    """A visitor of a's profile types their address on b; a finds b's subscribe template by WebFinger
    and sends them there; b (signed in) shows a's member to follow."""
    a, b = instances
    await make_member(a.pool, "alice")
    await make_member(b.pool, "bob")
    jrd = await (await a.client.get("/.well-known/webfinger", params={"resource": f"acct:alice@{a.host}"})).json()
    template = next(link["template"] for link in jrd["links"] if link["rel"] == "http://ostatus.org/schema/1.0/subscribe")
    assert template == f"{a.base}/authorize_interaction?uri={{uri}}"

    profile = await (await a.client.get("/@alice")).text()  # a visitor
    assert 'action="/interact"' in profile
    resp = await submit(a.client, "/interact", {"handle": f"bob@{b.host}", "uri": f"{a.base}/users/alice"},
                        page="/@alice")
    assert resp.status == 303
    sent_to = urlsplit(resp.headers["Location"])
    assert f"{sent_to.scheme}://{sent_to.netloc}{sent_to.path}" == f"{b.base}/authorize_interaction"
    assert parse_qs(sent_to.query) == {"uri": [f"{a.base}/users/alice"]}
    target = resp.headers["Location"].removeprefix(b.base)
    signed_out = await b.client.get(target, allow_redirects=False)
    assert signed_out.headers["Location"].startswith("/login?next=")
    await log_in(b.client, "bob")
    found = await b.client.get(target)
    page = await found.text()
    assert found.status == 200 and f'action="/@alice@{a.host}/follow"' in page

    nowhere = await submit(a.client, "/interact", {"handle": "not an address", "uri": f"{a.base}/users/alice"},
                           page="/@alice")
    assert nowhere.status == 422 and "name@your.server" in await nowhere.text()
    elsewhere = await submit(a.client, "/interact", {"handle": f"bob@{b.host}", "uri": "https://evil.example/x"},
                             page="/@alice")
    assert elsewhere.status == 400
