"""What one member's requests may learn or change about others: counts, notifications, follow lists."""

from __future__ import annotations

from dataclasses import replace

from server.app import make_app
from server.domain import following, posting
from server.keys import URLS
from tests.api.conftest import bearer


async def test_replies_count_counts_only_replies_the_viewer_may_see(client, pool, api_token):
    alice, alice_token = await api_token("alice")
    bob, bob_token = await api_token("bob")
    carol, _ = await api_token("carol")
    urls = client.app[URLS]
    post_id = await posting.create_post(pool, urls, alice, posting.NewPost("a question"), 500)
    await posting.create_post(pool, urls, bob, posting.NewPost("@alice my private answer", visibility="private",
                                                               in_reply_to_id=post_id), 500)
    await posting.create_post(pool, urls, carol, posting.NewPost("@alice a public answer", in_reply_to_id=post_id), 500)

    visitor = await (await client.get(f"/api/v1/statuses/{post_id}")).json()
    assert visitor["replies_count"] == 1
    as_bob = await (await client.get(f"/api/v1/statuses/{post_id}", headers=bearer(bob_token))).json()
    assert as_bob["replies_count"] == 2  # his own reply too
    as_alice = await (await client.get(f"/api/v1/statuses/{post_id}", headers=bearer(alice_token))).json()
    assert as_alice["replies_count"] == 2  # she is mentioned in it
    page = await (await client.get(f"/@alice/{post_id}")).text()
    assert '<span class="sr">Reply</span><span class="count">1</span>' in page  # what a visitor may count


async def test_dismissing_someone_elses_notification_is_404(client, pool, api_token):
    alice, alice_token = await api_token("alice")
    bob, bob_token = await api_token("bob")
    await following.follow(pool, client.app[URLS], bob, alice)
    [notification] = await pool.fetch("SELECT id FROM notifications WHERE account_id = $1", alice.id)
    for path in (f"/api/v1/notifications/{notification['id']}/dismiss", "/api/v1/notifications/999999/dismiss"):
        assert (await client.post(path, headers=bearer(bob_token))).status == 404, path
    old_form = await client.post("/api/v1/notifications/dismiss", headers=bearer(bob_token),
                                 data={"id": str(notification["id"])})
    assert old_form.status == 404
    assert await pool.fetchval("SELECT count(*) FROM notifications WHERE account_id = $1", alice.id) == 1
    mine = await client.post("/api/v1/notifications/dismiss", headers=bearer(alice_token),
                             data={"id": str(notification["id"])})
    assert mine.status == 200
    assert await pool.fetchval("SELECT count(*) FROM notifications WHERE account_id = $1", alice.id) == 0


async def test_hidden_follow_lists_are_hidden_in_the_api_too(aiohttp_client, config, pool, api_token):
    hidden = await aiohttp_client(make_app(replace(config, hide_follow_lists=True)))
    alice, alice_token = await api_token("alice")
    bob, bob_token = await api_token("bob")
    await following.follow(pool, hidden.app[URLS], bob, alice)
    for path in (f"/api/v1/accounts/{alice.id}/followers", f"/api/v1/accounts/{bob.id}/following"):
        assert await (await hidden.get(path)).json() == [], path
    assert await (await hidden.get(f"/api/v1/accounts/{alice.id}/followers", headers=bearer(bob_token))).json() == []
    own = await (await hidden.get(f"/api/v1/accounts/{alice.id}/followers", headers=bearer(alice_token))).json()
    assert [a["username"] for a in own] == ["bob"]
    own = await (await hidden.get(f"/api/v1/accounts/{bob.id}/following", headers=bearer(bob_token))).json()
    assert [a["username"] for a in own] == ["alice"]
