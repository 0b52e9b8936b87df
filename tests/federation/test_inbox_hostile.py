"""What hostile or broken servers send: each rule of signature, identity and origin checking."""

import json
import time
from email.utils import formatdate

from federation import httpsig
from tests.federation.conftest import drain
from tests.helpers import make_member

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def note(remote, actor, n, **extra):
    return {"id": f"{actor.id}/statuses/{n}", "type": "Note", "attributedTo": actor.id, "content": f"<p>note {n}</p>",
            "to": [PUBLIC], "cc": [f"{actor.id}/followers"], "published": "2026-11-20T10:00:00Z", **extra}


def create(actor, obj, n=None):
    return {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{obj['id']}/activity" if n is None else n,
            "type": "Create", "actor": actor.id, "object": obj, "to": obj.get("to"), "cc": obj.get("cc")}


async def follow(kith, remote, actor, member):
    """The remote actor follows a local member (so its posts are kept)."""
    activity = {"id": f"{actor.id}#follows/{member.username}", "type": "Follow", "actor": actor.id,
                "object": f"{kith.base}/users/{member.username}"}
    resp = await remote.post(actor, f"{kith.base}/inbox", activity)
    assert resp.status == 202
    await drain(kith)


async def test_signed_create_is_stored_and_answered_202_once(kith, remote):
    alice = await make_member(kith.pool, "alice")
    mallory = remote.add_actor("mallory")
    await follow(kith, remote, mallory, alice)
    accept = [r for r in remote.received if r.activity["type"] == "Accept"]
    assert accept and accept[0].signature_ok and accept[0].path == "/users/mallory/inbox"
    # alice follows back so mallory's posts are kept
    await kith.pool.execute(
        "INSERT INTO follows (account_id, target_account_id) SELECT $1, id FROM accounts WHERE uri = $2",
        alice.id, mallory.id,
    )
    activity = create(mallory, note(remote, mallory, 1))
    for _ in range(2):
        assert (await remote.post(mallory, f"{kith.base}/inbox", activity)).status == 202
    assert await kith.pool.fetchval("SELECT count(*) FROM inbox_items WHERE activity_id = $1", activity["id"]) == 1
    await drain(kith)
    assert await kith.pool.fetchval("SELECT count(*) FROM statuses WHERE uri = $1", activity["object"]["id"]) == 1


async def test_unsigned_and_badly_signed_requests_are_refused(kith, remote):
    mallory = remote.add_actor("mallory")
    eve = remote.add_actor("eve")
    activity = create(mallory, note(remote, mallory, 2))
    body = json.dumps(activity).encode()
    inbox = f"{kith.base}/inbox"

    async with kith.client.session.post(inbox, data=body, headers={"Content-Type": "application/activity+json"}) as r:
        assert r.status == 401 and "signature required" in await r.text()
    # signed by someone else than the activity's actor
    assert (await remote.post(mallory, inbox, activity, sign_as=eve)).status == 401
    # body changed after signing: the digest no longer matches
    signed = httpsig.sign_cavage("POST", inbox, {"Content-Type": "application/activity+json"}, body,
                                 mallory.key_id, mallory.private_pem)
    tampered = body.replace(b"note 2", b"note 3")
    async with kith.client.session.post(inbox, data=tampered, headers=signed) as r:
        assert r.status == 401
    # a signature from two hours ago
    old = time.time() - 7200
    stale = httpsig.sign_cavage("POST", inbox, {"Content-Type": "application/activity+json"}, body,
                                mallory.key_id, mallory.private_pem, now=old)
    async with kith.client.session.post(inbox, data=body, headers=stale) as r:
        assert r.status == 401
    # the signature's Date header replaced by a fresh one: the signature no longer matches
    stale["Date"] = formatdate(time.time(), usegmt=True)
    async with kith.client.session.post(inbox, data=body, headers=stale) as r:
        assert r.status == 401
    # a key that cannot be fetched
    ghost = remote.add_actor("ghost")
    del remote.actors["ghost"]
    assert (await remote.post(ghost, inbox, create(ghost, note(remote, ghost, 9)))).status == 401
    assert await kith.pool.fetchval("SELECT count(*) FROM inbox_items") == 0


async def test_malformed_bodies_get_precise_errors(kith, remote):
    mallory = remote.add_actor("mallory")
    inbox = f"{kith.base}/inbox"
    cases = [
        (b"not json", {}, 400),
        (b"[1, 2]", {}, 400),
        (json.dumps({"type": "Create", "actor": mallory.id, "object": {}}).encode(), {}, 400),  # no id
        (json.dumps({"id": "https://elsewhere.example/1", "type": "Like", "actor": mallory.id,
                     "object": "x"}).encode(), {}, 400),  # id on another host
        (b"[" * 100 + b"]" * 100, {}, 400),  # nesting
        (b"{}", {"Content-Type": "text/plain"}, 415),
        (b"x" * (300 * 1024), {}, 413),
    ]
    for body, headers, status in cases:
        resp = await remote.post(mallory, inbox, {}, body=body, headers=headers)
        assert resp.status == status, (body[:40], resp.status)
    assert await kith.pool.fetchval("SELECT count(*) FROM inbox_items") == 0


async def test_origin_rules_are_enforced_by_the_worker(kith, remote):
    alice = await make_member(kith.pool, "alice")
    mallory = remote.add_actor("mallory")
    victim = remote.add_actor("victim")
    await follow(kith, remote, mallory, alice)
    await follow(kith, remote, victim, alice)
    await kith.pool.execute(
        "INSERT INTO follows (account_id, target_account_id) SELECT $1, id FROM accounts WHERE domain IS NOT NULL",
        alice.id,
    )
    inbox = f"{kith.base}/inbox"
    # a post attributed to someone else
    forged = create(mallory, note(remote, victim, 5), n=f"{mallory.id}/activities/1")
    assert (await remote.post(mallory, inbox, forged)).status == 202
    # mallory updates victim's profile
    update = {"id": f"{mallory.id}/activities/2", "type": "Update", "actor": mallory.id,
              "object": {**victim.document(), "name": "Pwned"}}
    assert (await remote.post(mallory, inbox, update)).status == 202
    await drain(kith)
    assert await kith.pool.fetchval("SELECT count(*) FROM statuses WHERE uri IS NOT NULL") == 0
    assert await kith.pool.fetchval("SELECT display_name FROM accounts WHERE uri = $1", victim.id) == "Victim"
    dead = await kith.pool.fetch("SELECT last_error FROM inbox_items WHERE state = 'dead' ORDER BY id")
    assert len(dead) == 2 and all(r["last_error"].startswith("rejected") for r in dead)

    # victim's real post, then mallory tries to delete it
    real = create(victim, note(remote, victim, 6))
    assert (await remote.post(victim, inbox, real)).status == 202
    delete = {"id": f"{mallory.id}/activities/3", "type": "Delete", "actor": mallory.id,
              "object": real["object"]["id"]}
    assert (await remote.post(mallory, inbox, delete)).status == 202
    await drain(kith)
    assert await kith.pool.fetchval(
        "SELECT deleted_at IS NULL FROM statuses WHERE uri = $1", real["object"]["id"]) is True


async def test_embedded_objects_from_other_hosts_are_refetched(instances, remote):
    """mallory (on the fake remote) boosts with an embedded copy of a post it says is on kith b."""
    kith, other = instances
    alice = await make_member(kith.pool, "alice")
    mallory = remote.add_actor("mallory")
    await follow(kith, remote, mallory, alice)
    await kith.pool.execute(
        "INSERT INTO follows (account_id, target_account_id) SELECT $1, id FROM accounts WHERE uri = $2",
        alice.id, mallory.id,
    )
    fake_copy = {"id": f"{other.base}/users/bob/statuses/1", "type": "Note", "attributedTo": f"{other.base}/users/bob",
                 "content": "<p>words bob never wrote</p>", "to": [PUBLIC]}
    announce = {"id": f"{mallory.id}/activities/boost", "type": "Announce", "actor": mallory.id,
                "object": fake_copy, "to": [PUBLIC]}
    assert (await remote.post(mallory, f"{kith.base}/inbox", announce)).status == 202
    await drain(kith, other)
    assert await kith.pool.fetchval("SELECT count(*) FROM statuses WHERE content LIKE '%never wrote%'") == 0


async def test_delete_before_create_leaves_a_tombstone(kith, remote):
    alice = await make_member(kith.pool, "alice")
    mallory = remote.add_actor("mallory")
    await follow(kith, remote, mallory, alice)
    await kith.pool.execute(
        "INSERT INTO follows (account_id, target_account_id) SELECT $1, id FROM accounts WHERE uri = $2",
        alice.id, mallory.id,
    )
    post = create(mallory, note(remote, mallory, 7))
    delete = {"id": f"{mallory.id}/statuses/7#delete", "type": "Delete", "actor": mallory.id,
              "object": {"id": post["object"]["id"], "type": "Tombstone"}}
    assert (await remote.post(mallory, f"{kith.base}/inbox", delete)).status == 202
    await drain(kith)
    assert (await remote.post(mallory, f"{kith.base}/inbox", post)).status == 202
    await drain(kith)
    assert await kith.pool.fetchval("SELECT count(*) FROM statuses WHERE uri = $1", post["object"]["id"]) == 0


async def test_unknown_types_are_ignored_cleanly(kith, remote):
    mallory = remote.add_actor("mallory")
    odd = {"id": f"{mallory.id}/activities/odd", "type": "Dance", "actor": mallory.id, "object": "x"}
    assert (await remote.post(mallory, f"{kith.base}/inbox", odd)).status == 202
    await drain(kith)
    assert await kith.pool.fetchval("SELECT state FROM inbox_items") == "done"


async def signed_get(remote, actor, url):
    import aiohttp

    headers = httpsig.sign_cavage("GET", url, {"Accept": "application/activity+json"}, None,
                                  actor.key_id, actor.private_pem)
    async with aiohttp.ClientSession() as session:
        async with session.get(url, headers=headers) as resp:
            return resp.status


async def test_signed_fetch_shows_followers_only_posts_to_followers(kith, remote):
    from tests.helpers import log_in, post_status

    alice = await make_member(kith.pool, "alice")
    friend = remote.add_actor("friend")
    stranger = remote.add_actor("stranger")
    await follow(kith, remote, friend, alice)
    await log_in(kith.client, "alice")
    await post_status(kith.client, "for my followers", "private")
    status_id = await kith.pool.fetchval("SELECT id FROM statuses")
    url = f"{kith.base}/users/alice/statuses/{status_id}"
    assert await signed_get(remote, friend, url) == 200
    assert await signed_get(remote, stranger, url) == 404
    async with kith.client.session.get(url, headers={"Accept": "application/activity+json"}) as resp:
        assert resp.status == 404


async def test_authorized_fetch_requires_signed_gets(instance_databases, tmp_path, remote):
    from tests.federation.conftest import start_instance, truncate

    await truncate(instance_databases["kith_a"])
    kith = await start_instance(instance_databases["kith_a"], tmp_path, authorized_fetch=True)
    try:
        await make_member(kith.pool, "alice")
        friend = remote.add_actor("friend")
        outbox = f"{kith.base}/users/alice/outbox"
        async with kith.client.session.get(outbox, headers={"Accept": "application/activity+json"}) as resp:
            assert resp.status == 401
        assert await signed_get(remote, friend, outbox) == 200
        async with kith.client.session.get(f"{kith.base}/users/alice",
                                           headers={"Accept": "application/activity+json"}) as resp:
            assert resp.status == 200  # actors stay public: their keys must be fetchable
    finally:
        await kith.client.close()


async def test_signed_get_of_a_posts_web_url_is_answered_there(instance_databases, tmp_path, remote):
    """GoToSocial fetches a post's `url` (/@name/ID) signed for that path and re-sends the same signature
    on a redirect: the document must be served at the web URL itself, not by a 302 to the id."""
    import aiohttp

    from tests.federation.conftest import start_instance, truncate
    from tests.helpers import log_in, post_status

    await truncate(instance_databases["kith_a"])
    kith = await start_instance(instance_databases["kith_a"], tmp_path, authorized_fetch=True)
    try:
        await make_member(kith.pool, "alice")
        await log_in(kith.client, "alice")
        await post_status(kith.client, "fetch me by my web address")
        status_id = await kith.pool.fetchval("SELECT id FROM statuses")
        friend = remote.add_actor("friend")
        web_url = f"{kith.base}/@alice/{status_id}"
        headers = httpsig.sign_cavage("GET", web_url, {"Accept": "application/activity+json"}, None,
                                      friend.key_id, friend.private_pem)
        async with aiohttp.ClientSession() as session:
            async with session.get(web_url, headers=headers) as resp:
                assert resp.status == 200 and not resp.history  # answered at /@alice/ID, no redirect
                note = await resp.json(content_type=None)
        assert note["id"] == f"{kith.base}/users/alice/statuses/{status_id}" and note["type"] == "Note"
        assert "fetch me by my web address" in note["content"]
        async with kith.client.session.get(web_url, headers={"Accept": "application/activity+json"}) as resp:
            assert resp.status == 401  # unsigned: authorized fetch still applies at the web URL
        async with kith.client.session.get(web_url) as resp:
            assert resp.status == 200 and resp.content_type == "text/html"  # browsers still get the page
    finally:
        await kith.client.close()


async def test_concurrent_deliveries_of_one_activity_store_it_once(kith, remote):
    import asyncio

    mallory = remote.add_actor("mallory")
    activity = {"id": f"{mallory.id}/activities/twice", "type": "Like", "actor": mallory.id, "object": "x"}
    await remote.post(mallory, f"{kith.base}/inbox", {**activity, "id": f"{mallory.id}/activities/warm"})
    answers = await asyncio.gather(*(remote.post(mallory, f"{kith.base}/inbox", activity) for _ in range(8)))
    assert [r.status for r in answers] == [202] * 8
    assert await kith.pool.fetchval(
        "SELECT count(*) FROM inbox_items WHERE activity_id = $1", activity["id"]) == 1


async def test_nul_characters_and_non_utf8_are_refused(kith, remote):
    mallory = remote.add_actor("mallory")
    activity = {"id": f"{mallory.id}/activities/nul", "type": "Note", "actor": mallory.id, "content": "a\u0000b"}
    assert (await remote.post(mallory, f"{kith.base}/inbox", activity)).status == 400
    latin1 = json.dumps({"id": f"{mallory.id}/x", "type": "Like", "actor": mallory.id, "object": "caf\xe9"},
                        ensure_ascii=False)
    resp = await remote.post(mallory, f"{kith.base}/inbox", {}, body=latin1.encode("latin-1"))
    assert resp.status == 400
    assert await kith.pool.fetchval("SELECT count(*) FROM inbox_items") == 0


async def test_a_reused_id_with_new_content_is_stored_and_a_repeat_is_not(kith, remote):
    """Takahē reuses `<post>#update` for every edit: the id alone does not make a duplicate, id and body do."""
    import asyncio

    mallory = remote.add_actor("mallory")
    first = {"id": f"{mallory.id}/statuses/1#update", "type": "Update", "actor": mallory.id,
             "object": note(remote, mallory, 1, content="<p>first edit</p>")}
    second = {**first, "object": note(remote, mallory, 1, content="<p>second edit</p>")}
    assert (await remote.post(mallory, f"{kith.base}/inbox", first)).status == 202
    # concurrent deliveries share one group commit: the new body is stored once, the repeat not at all
    answers = await asyncio.gather(*(remote.post(mallory, f"{kith.base}/inbox", doc)
                                     for doc in [second, first, second, first, second]))
    assert [r.status for r in answers] == [202] * 5
    rows = await kith.pool.fetch("SELECT payload FROM inbox_items WHERE activity_id = $1 ORDER BY id", first["id"])
    assert [r["payload"]["object"]["content"] for r in rows] == ["<p>first edit</p>", "<p>second edit</p>"]


async def test_a_reply_cycle_is_walked_once(kith, remote):
    """A replies to B and B to A: each is fetched at most once, and the walk stops where it began."""
    alice = await make_member(kith.pool, "alice")
    mallory = remote.add_actor("mallory")
    await follow(kith, remote, mallory, alice)
    await kith.pool.execute(
        "INSERT INTO follows (account_id, target_account_id) SELECT $1, id FROM accounts WHERE uri = $2",
        alice.id, mallory.id,
    )
    a_id, b_id = f"{mallory.id}/statuses/10", f"{mallory.id}/statuses/11"
    post_a = note(remote, mallory, 10, inReplyTo=b_id)
    post_b = note(remote, mallory, 11, inReplyTo=a_id)
    remote.objects.update({a_id: post_a, b_id: post_b})
    assert (await remote.post(mallory, f"{kith.base}/inbox", create(mallory, post_a))).status == 202
    await drain(kith)
    fetches = [url for url in remote.fetched if url in (a_id, b_id)]
    assert len(fetches) <= 3 and len(set(fetches)) == len(fetches), fetches
    rows = {r["uri"]: r for r in await kith.pool.fetch(
        "SELECT id, uri, in_reply_to_id FROM statuses WHERE uri = ANY($1::text[])", [a_id, b_id])}
    assert set(rows) == {a_id, b_id}
    assert rows[a_id]["in_reply_to_id"] == rows[b_id]["id"]
    assert await kith.pool.fetchval("SELECT state FROM inbox_items") == "done"


async def test_a_post_over_a_bound_is_rejected_once_without_retry(kith, remote, caplog):
    """A Note over the 100,000-character bound: dead after one attempt, one log line, no traceback."""
    import logging

    from federation.parse import MAX_CONTENT

    alice = await make_member(kith.pool, "alice")
    mallory = remote.add_actor("mallory")
    await follow(kith, remote, mallory, alice)
    huge = create(mallory, note(remote, mallory, 20, content="x" * (MAX_CONTENT + 1)))
    assert (await remote.post(mallory, f"{kith.base}/inbox", huge)).status == 202
    with caplog.at_level(logging.INFO, logger="federation"):
        await drain(kith)
    item = await kith.pool.fetchrow("SELECT state, attempts, last_error FROM inbox_items WHERE activity_id = $1",
                                    huge["id"])
    assert (item["state"], item["attempts"]) == ("dead", 1)
    assert item["last_error"].startswith("rejected: content is longer than")
    about = [r for r in caplog.records if r.name == "federation.workers"]
    assert len(about) == 1 and about[0].exc_info is None and "rejected" in about[0].getMessage()
    assert await kith.pool.fetchval("SELECT count(*) FROM statuses WHERE uri = $1", huge["object"]["id"]) == 0


async def test_a_signature_for_another_host_is_refused(kith, remote):
    """A GET signed for `Host: other.example`, and a delivery captured on its way to another server
    and replayed here, are refused with 401: the signed host must be this instance's."""
    import aiohttp

    from tests.helpers import log_in, post_status

    alice = await make_member(kith.pool, "alice")
    friend = remote.add_actor("friend")
    await follow(kith, remote, friend, alice)
    await log_in(kith.client, "alice")
    await post_status(kith.client, "for my followers", "private")
    path = f"/users/alice/statuses/{await kith.pool.fetchval('SELECT id FROM statuses')}"
    assert await signed_get(remote, friend, kith.base + path) == 200
    headers = httpsig.sign_cavage("GET", "https://other.example" + path, {"Accept": "application/activity+json"},
                                  None, friend.key_id, friend.private_pem)
    async with aiohttp.ClientSession() as session:
        async with session.get(kith.base + path, headers=headers) as resp:
            assert resp.status == 401
            assert "other.example" in (await resp.json())["error"]

    created = create(friend, note(remote, friend, 1))
    body = json.dumps(created).encode()
    captured = httpsig.sign_cavage("POST", "https://other.example/inbox", {"Content-Type": "application/activity+json"},
                                   body, friend.key_id, friend.private_pem)
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{kith.base}/inbox", data=body, headers=captured) as resp:
            assert resp.status == 401
    assert await kith.pool.fetchval("SELECT count(*) FROM inbox_items WHERE activity_id = $1", created["id"]) == 0
    assert (await remote.post(friend, f"{kith.base}/inbox", created)).status == 202  # signed for us: accepted


async def test_takahe_names_its_accept_after_our_follow(kith, remote):
    """Takahē's Accept of our Follow has the id `<our follow id>/#accept`, on our host: accepted."""
    from federation.fetch import fetch_actor
    from server.domain import following

    alice = await make_member(kith.pool, "alice")
    ada = remote.add_actor("ada")
    target = await fetch_actor(kith.fed, ada.id)
    assert await following.follow(kith.pool, kith.fed.urls, alice, target) == "pending"
    follow_uri = kith.fed.urls.follow_uri("alice", await kith.pool.fetchval("SELECT id FROM follows"))
    accept = {"id": f"{follow_uri}/#accept", "type": "Accept", "actor": ada.id,
              "object": {"id": follow_uri, "type": "Follow", "actor": f"{kith.base}/users/alice", "object": ada.id}}
    assert (await remote.post(ada, f"{kith.base}/inbox", accept)).status == 202
    await drain(kith)
    assert await kith.pool.fetchval("SELECT state FROM follows") == "accepted"
    # Any other activity with an id on our host is still refused.
    forged = {**accept, "type": "Like", "object": f"{kith.base}/users/alice/statuses/1"}
    assert (await remote.post(ada, f"{kith.base}/inbox", forged)).status == 400


async def test_a_suspended_remote_account_is_severed_and_ignored(kith, remote):
    """Suspended by a moderator: its follows end both ways (no more followers-only posts), its Likes
    are refused or dropped (even one accepted just before), and once lifted it may follow again."""
    from server.domain import account_actions, posting
    from server.models import Role
    from server.store import accounts as accounts_store

    alice = await make_member(kith.pool, "alice")
    mod = await make_member(kith.pool, "mod", Role.MODERATOR)
    mallory = remote.add_actor("mallory")
    await follow(kith, remote, mallory, alice)
    account = await accounts_store.get_by_uri(kith.pool, mallory.id)
    await kith.pool.execute("INSERT INTO follows (account_id, target_account_id) VALUES ($1, $2)", alice.id, account.id)
    post_id = await posting.create_post(kith.pool, kith.fed.urls, alice, posting.NewPost("hi", visibility="private"),
                                        500)
    post_uri = kith.fed.urls.status_uri("alice", post_id)
    like = {"id": f"{mallory.id}#likes/1", "type": "Like", "actor": mallory.id, "object": post_uri}
    assert (await remote.post(mallory, f"{kith.base}/inbox", like)).status == 202  # accepted, not yet applied

    await account_actions.act(kith.pool, kith.fed.urls, mod.id, account, "suspend", [], "spam")  # at once
    assert await kith.pool.fetchval("SELECT count(*) FROM follows") == 0
    await drain(kith)
    assert await kith.pool.fetchval("SELECT count(*) FROM favourites") == 0
    assert await kith.pool.fetchval("SELECT state FROM inbox_items WHERE activity_id = $1", like["id"]) == "dead"
    second = {**like, "id": f"{mallory.id}#likes/2"}
    assert (await remote.post(mallory, f"{kith.base}/inbox", second)).status == 401
    delivered = len(remote.received)
    await posting.create_post(kith.pool, kith.fed.urls, alice, posting.NewPost("after", visibility="private"), 500)
    await drain(kith)
    assert len(remote.received) == delivered  # no longer a follower

    await account_actions.act(kith.pool, kith.fed.urls, mod.id, account, "unsuspend", [], "")
    refollow = {"id": f"{mallory.id}#follows/again", "type": "Follow", "actor": mallory.id,
                "object": f"{kith.base}/users/alice"}
    assert (await remote.post(mallory, f"{kith.base}/inbox", refollow)).status == 202
    await drain(kith)
    assert await kith.pool.fetchval("SELECT count(*) FROM follows WHERE account_id = $1", account.id) == 1


async def test_a_deleted_actors_key_signs_nothing_more(kith, remote):
    alice = await make_member(kith.pool, "alice")
    mallory = remote.add_actor("mallory")
    await follow(kith, remote, mallory, alice)
    gone = {"id": f"{mallory.id}#delete", "type": "Delete", "actor": mallory.id, "object": mallory.id}
    assert (await remote.post(mallory, f"{kith.base}/inbox", gone)).status == 202
    await drain(kith)
    assert await kith.pool.fetchval("SELECT key_id FROM accounts WHERE uri = $1", mallory.id) is None
    later = create(mallory, note(remote, mallory, 5))
    resp = await remote.post(mallory, f"{kith.base}/inbox", later)
    assert resp.status == 401
    assert await kith.pool.fetchval("SELECT count(*) FROM inbox_items WHERE activity_id = $1", later["id"]) == 0


async def test_bad_signatures_and_unknown_keys_cannot_make_us_fetch_storms(kith, remote):
    """100 requests with a wrong signature for a known key re-fetch it once; 120 random unknown
    key ids on one host cost at most a few fetches (failures spend the host's budget faster)."""
    import asyncio

    from tests.federation.fakes import FakeActor

    alice = await make_member(kith.pool, "alice")
    mallory = remote.add_actor("mallory")
    eve = remote.add_actor("eve")
    await follow(kith, remote, mallory, alice)
    remote.actor_fetches.clear()
    forger = FakeActor("mallory", remote.base, eve.private_pem, eve.public_pem)  # mallory's key id, eve's key
    answers = await asyncio.gather(*(remote.post(mallory, f"{kith.base}/inbox",
                                                 create(mallory, note(remote, mallory, n)), sign_as=forger)
                                     for n in range(100)))
    assert {r.status for r in answers} == {401}
    assert remote.actor_fetches.count("mallory") <= 1

    remote.actor_fetches.clear()
    ghosts = [FakeActor(f"ghost{n}", remote.base, eve.private_pem, eve.public_pem) for n in range(120)]
    answers = await asyncio.gather(*(remote.post(g, f"{kith.base}/inbox", create(g, note(remote, g, 1)))
                                     for g in ghosts))
    assert {r.status for r in answers} == {401}
    assert len(remote.actor_fetches) <= 6, len(remote.actor_fetches)
    # a real, well-signed request from that host still gets through
    assert (await remote.post(mallory, f"{kith.base}/inbox", create(mallory, note(remote, mallory, 500)))).status == 202


async def test_accepting_a_remote_follow_request_is_the_same_path_as_a_local_one(kith, remote):
    """A locked member accepts a remote request: the follow is accepted and Accept goes back; a remote
    account has no home feed, so none is filled for it (the old copy of the accept path did)."""
    from server.domain import following, posting
    from server.store import accounts as accounts_store

    alice = await make_member(kith.pool, "alice")
    await kith.pool.execute("UPDATE accounts SET locked = true WHERE id = $1", alice.id)
    alice = await accounts_store.get_by_id(kith.pool, alice.id)
    await posting.create_post(kith.pool, kith.fed.urls, alice, posting.NewPost("before the request"), 500)
    ada = remote.add_actor("ada")
    await follow(kith, remote, ada, alice)
    assert await kith.pool.fetchval("SELECT state FROM follows") == "pending"
    assert await kith.pool.fetchval("SELECT type FROM notifications") == "follow_request"
    again = {"id": f"{ada.id}#follows/again", "type": "Follow", "actor": ada.id, "object": f"{kith.base}/users/alice"}
    assert (await remote.post(ada, f"{kith.base}/inbox", again)).status == 202  # a repeated Follow: its new id kept
    await drain(kith)
    assert await kith.pool.fetchval("SELECT uri FROM follows") == again["id"]

    ada_account = await accounts_store.get_by_uri(kith.pool, ada.id)
    await following.answer_request(kith.pool, kith.fed.urls, alice, ada_account, accept=True)
    await drain(kith)
    assert await kith.pool.fetchval("SELECT state FROM follows") == "accepted"
    assert [n["type"] for n in await kith.pool.fetch("SELECT type FROM notifications")] == ["follow"]
    assert await kith.pool.fetchval("SELECT count(*) FROM home_feed WHERE account_id = $1", ada_account.id) == 0
    accepted = [r.activity for r in remote.received if r.activity["type"] == "Accept"]
    assert accepted[-1]["object"]["id"] == again["id"]
