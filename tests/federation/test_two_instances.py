"""Two Kith instances follow, post, delete and answer each other over real signed HTTP."""

from federation.fetch import resolve_handle
from server.domain import following, posting
from tests.federation.conftest import drain
from tests.helpers import make_member


async def test_follow_post_and_delete_across_instances(instances):
    a, b = instances
    alice = await make_member(a.pool, "alice")
    bob = await make_member(b.pool, "bob")

    remote_bob = await resolve_handle(a.fed, f"bob@{b.host}")
    assert remote_bob.uri == f"{b.base}/users/bob" and remote_bob.domain == b.host
    state = await following.follow(a.pool, a.fed.urls, alice, remote_bob)
    assert state == "pending"
    await drain(a, b)
    assert await a.pool.fetchval("SELECT state FROM follows") == "accepted"
    follower = await b.pool.fetchrow(
        "SELECT a.uri, f.state FROM follows f JOIN accounts a ON a.id = f.account_id WHERE f.target_account_id = $1",
        bob.id,
    )
    assert follower["uri"] == f"{a.base}/users/alice" and follower["state"] == "accepted"

    status_id = await posting.create_post(b.pool, b.fed.urls, bob, posting.NewPost("Hello from B #fedi"), 500)
    await posting.create_post(b.pool, b.fed.urls, bob, posting.NewPost("only for followers", visibility="private"), 500)
    await drain(a, b)
    rows = await a.pool.fetch(
        "SELECT s.uri, s.visibility, s.content FROM home_feed h JOIN statuses s ON s.id = h.status_id"
        " WHERE h.account_id = $1 ORDER BY s.id", alice.id,
    )
    assert [(r["visibility"], "Hello from B" in r["content"] or "only for followers" in r["content"]) for r in rows] \
        == [("public", True), ("private", True)]
    assert rows[0]["uri"] == f"{b.base}/users/bob/statuses/{status_id}"

    await posting.delete_post(b.pool, b.fed.urls, bob, status_id)
    await drain(a, b)
    assert await a.pool.fetchval(
        "SELECT deleted_at IS NOT NULL FROM statuses WHERE uri = $1", rows[0]["uri"]
    ) is True

    await following.unfollow(a.pool, a.fed.urls, alice, remote_bob)
    await drain(a, b)
    assert await b.pool.fetchval("SELECT count(*) FROM follows") == 0


async def test_mentions_reach_the_other_instance_and_notify(instances):
    a, b = instances
    await make_member(a.pool, "alice")
    bob = await make_member(b.pool, "bob")

    async def resolve(mention):
        return await resolve_handle(b.fed, f"{mention.username}@{mention.domain}")

    await posting.create_post(b.pool, b.fed.urls, bob, posting.NewPost(f"hi @alice@{a.host}", visibility="direct"),
                              500, resolve)
    await drain(a, b)
    note = await a.pool.fetchrow("SELECT id, visibility, content FROM statuses WHERE uri IS NOT NULL")
    assert note["visibility"] == "direct"
    assert f'href="{a.base}/@alice"' in note["content"]
    kinds = [r["type"] for r in await a.pool.fetch("SELECT type FROM notifications")]
    assert kinds == ["mention"]


async def test_poll_votes_travel_both_ways(instances):
    from server.domain import polls

    a, b = instances
    alice = await make_member(a.pool, "alice")
    bob = await make_member(b.pool, "bob")
    remote_bob = await resolve_handle(a.fed, f"bob@{b.host}")
    await following.follow(a.pool, a.fed.urls, alice, remote_bob)
    await drain(a, b)
    question = posting.NewPost("Tea or coffee?", poll=posting.NewPoll(["tea", "coffee"], 3600))
    status_id = await posting.create_post(b.pool, b.fed.urls, bob, question, 500)
    await drain(a, b)
    copy = await a.pool.fetchrow("SELECT id, kind, poll FROM statuses WHERE uri IS NOT NULL")
    assert copy["kind"] == "question" and [o["title"] for o in copy["poll"]["options"]] == ["tea", "coffee"]
    await polls.vote(a.pool, a.fed.urls, alice, copy["id"], [1])
    await drain(a, b)
    assert [r["choice"] for r in await b.pool.fetch("SELECT choice FROM poll_votes WHERE status_id = $1",
                                                   status_id)] == [1]
