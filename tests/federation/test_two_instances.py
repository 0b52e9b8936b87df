"""Two Kith instances follow, post, delete and answer each other over real signed HTTP."""

import io
import re

from PIL import Image

from federation.fetch import resolve_handle
from server.domain import following, posting
from tests.federation.conftest import drain, follow_across
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
    await follow_across(a, alice, b, "bob")
    question = posting.NewPost("Tea or coffee?", poll=posting.NewPoll(["tea", "coffee"], 3600))
    status_id = await posting.create_post(b.pool, b.fed.urls, bob, question, 500)
    await drain(a, b)
    copy = await a.pool.fetchrow("SELECT id, kind, poll FROM statuses WHERE uri IS NOT NULL")
    assert copy["kind"] == "question" and [o["title"] for o in copy["poll"]["options"]] == ["tea", "coffee"]
    await polls.vote(a.pool, a.fed.urls, alice, copy["id"], [1])
    await drain(a, b)
    assert [r["choice"] for r in await b.pool.fetch("SELECT choice FROM poll_votes WHERE status_id = $1",
                                                   status_id)] == [1]


async def test_attachments_federate_as_documents(instances):
    import secrets

    from aiohttp import FormData

    from server.api.auth import token_hash
    from server.store import oauth as oauth_store
    from tests.helpers import log_in

    a, b = instances
    alice = await make_member(a.pool, "alice")
    bob = await make_member(b.pool, "bob")
    await follow_across(b, bob, a, "alice")
    app = await oauth_store.insert_app(a.pool, "cid", "secret", "t", None, ["urn:ietf:wg:oauth:2.0:oob"], ["write"])
    token = secrets.token_urlsafe(16)
    await oauth_store.insert_token(a.pool, token_hash(token), None, app.id, alice.id, ["write"])
    picture = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(picture, "JPEG")
    form = FormData()
    form.add_field("file", picture.getvalue(), filename="red.jpg", content_type="image/jpeg")
    form.add_field("description", "a red rectangle")
    headers = {"Authorization": f"Bearer {token}"}
    media = await (await a.client.post("/api/v2/media", data=form, headers=headers)).json()
    resp = await a.client.post("/api/v1/statuses", data={"status": "look", "media_ids[]": media["id"]}, headers=headers)
    assert resp.status == 200, await resp.text()
    await drain(a, b)
    row = await b.pool.fetchrow("SELECT kind, remote_url, description, file_path FROM media_attachments")
    assert row["kind"] == "image" and row["description"] == "a red rectangle" and row["file_path"] is None
    assert row["remote_url"] == media["url"]
    await log_in(b.client, "bob")
    home = await (await b.client.get("/")).text()
    # b shows a's image from its own origin, fetched through its egress gate and re-encoded
    media_id = await b.pool.fetchval("SELECT id FROM media_attachments")
    assert f'<img src="/remote/media/{media_id}/small" alt="a red rectangle"' in home
    assert a.host not in "".join(re.findall(r'<img [^>]*src="([^"]+)"', home))
    small = await b.client.get(f"/remote/media/{media_id}/small", allow_redirects=False)
    assert small.status == 200 and small.content_type.startswith("image/")
    assert Image.open(io.BytesIO(await small.read())).size[0] > 0
    cached = await b.pool.fetchrow("SELECT file_path, failed_at FROM remote_media_cache WHERE url = $1", media["url"])
    assert cached["file_path"] and cached["failed_at"] is None
    visitor = await b.client.get(f"/remote/media/{media_id}")  # a public post: anyone may see its image
    assert visitor.status == 200
    await log_in(a.client, "alice")
    own = await (await a.client.get("/@alice")).text()
    assert '<img src="/media/' in own and 'alt="a red rectangle"' in own


async def test_remote_avatars_come_from_our_cache_and_private_images_stay_private(instances):
    """bob on b sees alice's (a) avatar and her followers-only image through b's cache; a visitor of b
    gets neither the private image nor anything from a's host."""
    from server.domain import profiles
    from server.keys import CONFIG
    from server.media import uploads
    from server.media.storage import storage_for
    from tests.helpers import log_in

    a, b = instances
    alice = await make_member(a.pool, "alice")
    bob = await make_member(b.pool, "bob")
    await follow_across(b, bob, a, "alice")
    face = io.BytesIO()
    Image.new("RGB", (200, 200), (40, 90, 200)).save(face, "PNG")
    path = await uploads.store_picture(a.pool, storage_for(a.app[CONFIG]), alice.id, "avatar", face.getvalue())
    await profiles.update_profile(a.pool, a.fed.urls, alice, profiles.ProfileUpdate("Alice", "", False),
                                  pictures={"avatar": path})
    picture = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(picture, "PNG")
    media = await uploads.create(a.pool, storage_for(a.app[CONFIG]), alice.id, picture.getvalue(), None,
                                 "a private square", (0.0, 0.0))
    await posting.create_post(a.pool, a.fed.urls, alice, posting.NewPost("for followers", visibility="private",
                                                                          media_ids=[media["id"]]), 500)
    await drain(a, b)

    await log_in(b.client, "bob")
    home = await (await b.client.get("/")).text()
    remote_alice = await b.pool.fetchval("SELECT id FROM accounts WHERE username = 'alice'")
    assert f'src="/remote/avatars/{remote_alice}"' in home and a.host not in "".join(
        re.findall(r'<img [^>]*src="([^"]+)"', home))
    avatar = await b.client.get(f"/remote/avatars/{remote_alice}", allow_redirects=False)
    assert avatar.status == 200 and avatar.content_type.startswith("image/")
    media_id = await b.pool.fetchval("SELECT id FROM media_attachments")
    assert (await b.client.get(f"/remote/media/{media_id}/small")).status == 200  # bob follows alice
    await b.client.post("/logout", data={"csrf_token": re.search(r'name="csrf_token" value="(\w+)"', home).group(1)})
    assert (await b.client.get(f"/remote/media/{media_id}/small")).status == 404  # signed out: not for visitors

    # Apps get the same pictures from b, never from a's host, and a default PNG where there is none to be had.
    from tests.api.conftest import bearer, make_token

    _, token = await make_token(b.pool, "bob")
    entity = await (await b.client.get(f"/api/v1/accounts/{remote_alice}", headers=bearer(token))).json()
    assert entity["avatar"].endswith(f"/remote/avatars/{remote_alice}?fallback=default")
    assert a.host not in entity["avatar"] and entity["header"].endswith("/static/header.png")  # she has none
    assert (await b.client.get(entity["avatar"].split(b.host, 1)[1])).content_type.startswith("image/")
    await b.pool.execute("UPDATE accounts SET avatar_url = 'https://unreachable.invalid/gone.png' WHERE id = $1",
                         remote_alice)
    gone = await b.client.get(f"/remote/avatars/{remote_alice}?fallback=default", allow_redirects=False)
    assert gone.status == 302 and gone.headers["Location"] == "/static/avatar.png"
    for_pages = await b.client.get(f"/remote/avatars/{remote_alice}", allow_redirects=False)
    assert for_pages.headers["Location"] == f"/avatars/{remote_alice}.svg"
