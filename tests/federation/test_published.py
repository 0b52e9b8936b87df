"""Every activity Kith sends carries `published`: GoToSocial refuses those without it (400)."""

from datetime import datetime

from federation.fetch import fetch_actor
from server.domain import blocking, following, posting, reactions, reports
from tests.federation.conftest import drain
from tests.federation.test_inbox_hostile import PUBLIC, create, follow, note
from tests.helpers import make_member

AS2 = {"Accept": "application/activity+json"}


async def test_every_activity_sent_has_published_and_gotosocial_accepts_it(instances, remote):
    kith, _ = instances
    urls = kith.fed.urls
    remote.strict_published = True
    alice = await make_member(kith.pool, "alice")
    gts = remote.add_actor("gts")
    await follow(kith, remote, gts, alice)  # -> Accept
    gts_account = await fetch_actor(kith.fed, gts.id)

    post_id = await posting.create_post(kith.pool, urls, alice, posting.NewPost("first version"), 500)  # Create
    await posting.edit_post(kith.pool, urls, alice, post_id, posting.NewPost("second version"), 500)  # Update
    await reactions.boost(kith.pool, urls, alice, post_id)  # Announce
    await drain(kith)
    boost_id, boosted_at = await kith.pool.fetchrow(
        "SELECT id, created_at FROM statuses WHERE reblog_of_id = $1", post_id)
    served = await (await kith.client.get(f"/users/alice/statuses/{boost_id}", headers=AS2)).json(content_type=None)
    await reactions.boost(kith.pool, urls, alice, post_id, undo=True)  # Undo Announce
    await posting.delete_post(kith.pool, urls, alice, post_id)  # Delete

    mention = note(remote, gts, 1, content="<p>@alice hi</p>",
                   tag=[{"type": "Mention", "href": f"{kith.base}/users/alice"}], cc=[f"{kith.base}/users/alice"])
    assert (await remote.post(gts, f"{kith.base}/inbox", create(gts, mention))).status == 202
    await drain(kith)
    remote_post = await kith.pool.fetchval("SELECT id FROM statuses WHERE uri = $1", mention["id"])
    await reactions.favourite(kith.pool, urls, alice, remote_post)  # Like
    await reactions.favourite(kith.pool, urls, alice, remote_post, undo=True)  # Undo Like
    await reports.file_report(kith.pool, urls, alice, gts_account, status_ids=[remote_post], comment="spam",
                              category="spam", rule_ids=[], forward=True)  # Flag
    await following.follow(kith.pool, urls, alice, gts_account)  # Follow
    await following.unfollow(kith.pool, urls, alice, gts_account)  # Undo Follow
    await blocking.block(kith.pool, urls, alice, gts_account)  # Block
    await blocking.block(kith.pool, urls, alice, gts_account, undo=True)  # Undo Block
    await drain(kith)

    sent = {r.activity["id"]: r.activity for r in remote.received}
    kinds = sorted(a["type"] for a in sent.values())
    assert kinds == sorted(["Accept", "Create", "Update", "Announce", "Undo", "Delete", "Like", "Undo", "Flag",
                            "Follow", "Undo", "Block", "Undo"]), kinds
    for activity in sent.values():
        assert datetime.fromisoformat(activity["published"]).tzinfo is not None, activity["type"]
        if activity["type"] == "Undo":
            assert "published" in activity["object"]
    assert await kith.pool.fetchval("SELECT count(*) FROM deliveries WHERE state <> 'done'") == 0

    announce = next(a for a in sent.values() if a["type"] == "Announce")
    assert datetime.fromisoformat(announce["published"]) == boosted_at.replace(
        microsecond=boosted_at.microsecond // 1000 * 1000)  # the time of the boost, to the millisecond
    assert served == announce  # the same document at its own id, however often it is rendered
    undo_announce = next(a for a in sent.values() if a["type"] == "Undo" and a["object"]["type"] == "Announce")
    assert undo_announce["object"] == {k: v for k, v in announce.items() if k != "@context"}
    create_ = next(a for a in sent.values() if a["type"] == "Create")
    update = next(a for a in sent.values() if a["type"] == "Update")
    assert create_["published"] == create_["object"]["published"]
    assert update["published"] == update["object"]["updated"]  # an edit is published when it was made
    assert PUBLIC in announce["to"]
