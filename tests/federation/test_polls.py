"""Polls across two real Kith instances: votes from another server are counted, the results are sent
back as Update(Question) (a results refresh there, not an edit), and everyone hears when it ends."""

from federation.fetch import resolve_handle
from server.domain import following, polls, posting
from tests.federation.conftest import drain
from tests.helpers import make_member

AS2 = {"Accept": "application/activity+json"}


async def test_a_poll_voted_on_by_remote_accounts_is_sent_back_with_its_counts(instances):
    a, b = instances
    alice = await make_member(a.pool, "alice")
    bob = await make_member(b.pool, "bob")
    carol = await make_member(b.pool, "carol")
    dave = await make_member(a.pool, "dave")
    for member in (bob, carol):
        await following.follow(b.pool, b.fed.urls, member, await resolve_handle(b.fed, f"alice@{a.host}"))
    await drain(a, b)
    poll = posting.NewPoll(["Tomatoes", "Peppers"], expires_in=3600)
    poll_id = await posting.create_post(a.pool, a.fed.urls, alice, posting.NewPost("What next?", poll=poll), 500)
    await drain(a, b)
    copy_id = await b.pool.fetchval("SELECT id FROM statuses WHERE kind = 'question'")

    await polls.vote(b.pool, b.fed.urls, bob, copy_id, [1])
    await polls.vote(b.pool, b.fed.urls, carol, copy_id, [1])
    await polls.vote(a.pool, a.fed.urls, dave, poll_id, [0])
    await drain(a, b)

    # counted here, on every surface
    assert "2 votes" in await (await a.client.get(f"/@alice/{poll_id}")).text()
    question = await (await a.client.get(f"/users/alice/statuses/{poll_id}", headers=AS2)).json(content_type=None)
    assert [o["replies"]["totalItems"] for o in question["oneOf"]] == [1, 2] and question["votersCount"] == 3
    # and sent back: the copy there has the counts, refreshed without becoming an edit
    copy = await b.pool.fetchrow("SELECT poll, edited_at FROM statuses WHERE id = $1", copy_id)
    assert [o["votes"] for o in copy["poll"]["options"]] == [1, 2] and copy["poll"]["voters_count"] == 3
    assert copy["edited_at"] is None
    assert await b.pool.fetchval("SELECT count(*) FROM status_edits") == 0
    assert await b.pool.fetchval("SELECT count(*) FROM notifications WHERE type = 'update'") == 0
    page = await (await b.client.get(f"/@alice@{a.host}/{copy_id}")).text()
    assert "Edited" not in page

    # the poll ends: the final results go out, and its author and every voter are told
    await a.pool.execute("UPDATE statuses SET poll = poll || jsonb_build_object('closed_at', now()::text)"
                         " WHERE id = $1", poll_id)  # time passes
    await drain(a, b)
    closed = await b.pool.fetchval("SELECT poll FROM statuses WHERE id = $1", copy_id)
    assert polls.is_closed(closed)
    notified = {(r["username"], r["type"]) for r in await a.pool.fetch(
        "SELECT a.username, n.type FROM notifications n JOIN accounts a ON a.id = n.account_id")}
    assert {("alice", "poll"), ("dave", "poll")} <= notified
    assert {r["username"] for r in await b.pool.fetch(
        "SELECT a.username FROM notifications n JOIN accounts a ON a.id = n.account_id WHERE n.type = 'poll'")} \
        == {"bob", "carol"}
    await drain(a, b)  # handled once: no second round of notifications
    assert await a.pool.fetchval("SELECT count(*) FROM notifications WHERE type = 'poll'") == 2
