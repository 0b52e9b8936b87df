"""Every activity Kith sends carries `published`: GoToSocial refuses those without it (400)."""

from datetime import datetime

from federation.fetch import fetch_actor
from server.domain import blocking, following, posting, reactions, reports
from tests.federation.conftest import drain
from tests.federation.test_inbox_hostile import PUBLIC, create, follow, note
from tests.helpers import make_member

AS2 = {"Accept": "application/activity+json"}


async def test_every_activity_sent_has_published_and_gotosocial_accepts_it(kith, remote):
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


async def test_a_composed_reply_sends_the_note_its_id_serves(kith, remote):
    """create_post hands federation what it built (no read-back): the Note sent must be the stored one."""
    import io

    from PIL import Image

    from server.keys import URLS
    from server.media import uploads

    urls = kith.app[URLS]
    alice = await make_member(kith.pool, "alice")
    await make_member(kith.pool, "bob")
    gts, follower = remote.add_actor("gts"), remote.add_actor("fan")
    await follow(kith, remote, follower, alice)
    await kith.pool.execute("INSERT INTO tags (name) VALUES ('Kith')")  # stored spelling wins over '#kith'
    parent = note(remote, gts, 1, content="<p>@alice hi</p>", cc=[f"{kith.base}/users/alice"],
                  tag=[{"type": "Mention", "href": f"{kith.base}/users/alice"}])
    assert (await remote.post(gts, f"{kith.base}/inbox", create(gts, parent))).status == 202
    await drain(kith)
    parent_id = await kith.pool.fetchval("SELECT id FROM statuses WHERE uri = $1", parent["id"])
    picture = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 40, 40)).save(picture, "PNG")
    media = await uploads.create(kith.pool, urls.storage, alice.id, picture.getvalue(), None, "a red square", (0, 0))

    async def resolve(mention):
        return await fetch_actor(kith.fed, gts.id) if mention.username == "gts" else None

    post_id = await posting.create_post(kith.pool, urls, alice, posting.NewPost(
        f"@bob @gts@{remote.host} @alice #kith #Zebra #apple", in_reply_to_id=parent_id, media_ids=[media["id"]],
    ), 500, resolve)
    await drain(kith)

    sent = [r for r in remote.received if r.activity["type"] == "Create"]
    assert [r.path for r in sent] == ["/inbox"]  # the parent's author and the follower share one inbox
    served = await (await kith.client.get(f"/users/alice/statuses/{post_id}", headers=AS2)).json(content_type=None)
    served.pop("@context", None)
    assert sent[0].activity["object"] == served
    assert served["inReplyTo"] == parent["id"]
    assert [t["name"] for t in served["tag"]] == ["@bob", f"@gts@{remote.host}", "#apple", "#Kith", "#Zebra"]
    assert [a["name"] for a in served["attachment"]] == ["a red square"]
