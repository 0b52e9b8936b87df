"""Followed hashtags: a public post carrying one, from this instance or arriving from another,
enters the follower's home timeline; unlisted ones and unfollowed tags do not."""

from server.domain import posting
from tests.api.conftest import bearer, make_token
from tests.federation.conftest import drain
from tests.federation.test_inbox_hostile import create, note

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


async def test_a_followed_hashtag_brings_posts_home(kith, remote):
    alice, token = await make_token(kith.pool, "alice")
    headers = bearer(token)
    shown = await (await kith.client.get("/api/v1/tags/Gardening", headers=headers)).json()
    assert shown["name"] == "gardening" and shown["following"] is False
    followed = await kith.client.post("/api/v1/tags/Gardening/follow", headers=headers)
    assert followed.status == 200 and (await followed.json())["following"] is True
    listed = await (await kith.client.get("/api/v1/followed_tags", headers=headers)).json()
    assert [t["name"] for t in listed] == ["gardening"]
    assert (await kith.client.post("/api/v1/tags/not%20a%20tag/follow", headers=headers)).status == 422

    # A stranger on another server posts with the tag; alice follows neither them nor anyone there.
    mallory = remote.add_actor("mallory")
    tagged = note(remote, mallory, 1, content="<p>tomatoes! #gardening</p>",
                  tag=[{"type": "Hashtag", "name": "#gardening", "href": f"{remote.base}/tags/gardening"}])
    quiet = note(remote, mallory, 2, content="<p>quietly #gardening</p>", to=[f"{mallory.id}/followers"],
                 cc=[PUBLIC], tag=[{"type": "Hashtag", "name": "#gardening", "href": f"{remote.base}/tags/gardening"}])
    for post in (tagged, quiet):
        assert (await remote.post(mallory, f"{kith.base}/inbox", create(mallory, post))).status == 202
    await drain(kith)
    # And a local member posts with it too.
    local = (await make_token(kith.pool, "carol"))[0]
    await posting.create_post(kith.pool, kith.fed.urls, local, posting.NewPost("my #Gardening diary"), 500)

    home = await (await kith.client.get("/api/v1/timelines/home", headers=headers)).json()
    contents = [s["content"] for s in home]
    assert any("tomatoes" in c for c in contents) and any("diary" in c for c in contents)
    assert not any("quietly" in c for c in contents)  # unlisted posts stay out, as on Mastodon

    await kith.client.post("/api/v1/tags/gardening/unfollow", headers=headers)
    await posting.create_post(kith.pool, kith.fed.urls, local, posting.NewPost("more #gardening"), 500)
    home = await (await kith.client.get("/api/v1/timelines/home", headers=headers)).json()
    assert not any("more" in s["content"] for s in home) and alice.id
