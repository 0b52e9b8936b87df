"""Discovery and the ActivityPub GET side, as remote servers request them."""

from tests.helpers import log_in, make_member, post_status

AS2 = {"Accept": "application/activity+json"}
LD = {"Accept": 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'}


async def test_webfinger(client, pool):
    await make_member(pool, "alice")
    for resource in ("acct:alice@kith.test", "acct:ALICE@KITH.TEST",
                     "http://kith.test/users/alice", "http://kith.test/@alice"):
        resp = await client.get("/.well-known/webfinger", params={"resource": resource})
        assert resp.status == 200, resource
        assert resp.content_type == "application/jrd+json"
        assert resp.headers["Access-Control-Allow-Origin"] == "*"
        doc = await resp.json(content_type=None)
        assert doc["subject"] == "acct:alice@kith.test"
        self_link = next(link for link in doc["links"] if link["rel"] == "self")
        assert self_link == {"rel": "self", "type": "application/activity+json", "href": "http://kith.test/users/alice"}
    for resource in ("acct:alice@elsewhere.test", "acct:nobody@kith.test", "http://elsewhere.test/users/alice",
                     "mailto:abc@def.com", "foo://kith.test"):
        assert (await client.get("/.well-known/webfinger", params={"resource": resource})).status == 404, resource
    assert (await client.get("/.well-known/webfinger")).status == 400


async def test_webfinger_refuses_malformed_resources(client, pool):
    """feditest 4.2-4: a resource that is not a URI is a 400 and never a JRD, even for a real member."""
    await make_member(pool, "alice")
    for query in ("resource=alice@kith.test", "resource=@alice@kith.test", "resource==acct%3Aalice%40kith.test",
                  "resource=acct%3Aalice", "resource=", "rel=self"):
        resp = await client.get(f"/.well-known/webfinger?{query}")
        assert resp.status == 400, query
        assert resp.content_type != "application/jrd+json", query
        assert "subject" not in await resp.json(), query


async def test_webfinger_rel_filter(client, pool):
    """RFC 7033 4.3: `rel` narrows the links to those asked for, possibly none; the rest of the JRD stays."""
    await make_member(pool, "alice")
    base = "/.well-known/webfinger?resource=acct%3Aalice%40kith.test"
    full = await (await client.get(base)).json(content_type=None)
    assert {link["rel"] for link in full["links"]} == {"self", "http://webfinger.net/rel/profile-page",
                                                        "http://ostatus.org/schema/1.0/subscribe"}
    only_self = await (await client.get(f"{base}&rel=self")).json(content_type=None)
    assert only_self["links"] == [link for link in full["links"] if link["rel"] == "self"]
    assert only_self["subject"] == full["subject"] and only_self["aliases"] == full["aliases"]
    both = await (await client.get(f"{base}&rel=something-else&rel=http%3A%2F%2Fwebfinger.net%2Frel%2Fprofile-page"
                                   "&rel=self")).json(content_type=None)
    assert both["links"] == [link for link in full["links"] if "ostatus" not in link["rel"]]
    resp = await client.get(f"{base}&rel=something-else")
    assert resp.status == 200 and resp.content_type == "application/jrd+json"
    assert (await resp.json(content_type=None))["links"] == []


async def test_webfinger_with_and_without_port(aiohttp_client, config, pool):
    import dataclasses

    from server.app import make_app

    client = await aiohttp_client(make_app(dataclasses.replace(config, domain="localhost:8081")))
    await make_member(pool, "bob")
    for resource in ("acct:bob@localhost:8081", "acct:bob@localhost"):
        doc = await (await client.get("/.well-known/webfinger", params={"resource": resource})).json(content_type=None)
        assert doc["subject"] == "acct:bob@localhost:8081"
    resp = await client.get("/.well-known/webfinger", params={"resource": "acct:bob@localhost:9999"})
    assert resp.status == 404


async def test_host_meta(client, pool):
    resp = await client.get("/.well-known/host-meta")
    assert resp.status == 200
    assert 'template="http://kith.test/.well-known/webfinger?resource={uri}"' in await resp.text()


async def test_actor_document_and_content_negotiation(client, pool):
    await make_member(pool, "alice")
    for headers in (AS2, LD):
        resp = await client.get("/users/alice", headers=headers)
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("application/activity+json")
        actor = await resp.json(content_type=None)
        assert actor["id"] == "http://kith.test/users/alice"
        assert actor["type"] == "Person"
        assert actor["preferredUsername"] == "alice"
        assert actor["inbox"] == "http://kith.test/users/alice/inbox"
        assert actor["outbox"] == "http://kith.test/users/alice/outbox"
        assert actor["followers"] == "http://kith.test/users/alice/followers"
        assert actor["following"] == "http://kith.test/users/alice/following"
        assert actor["featured"] == "http://kith.test/users/alice/collections/featured"
        assert actor["endpoints"] == {"sharedInbox": "http://kith.test/inbox"}
        assert actor["manuallyApprovesFollowers"] is False
        assert actor["discoverable"] is True
        assert actor["url"] == "http://kith.test/@alice"
        assert actor["publicKey"]["id"] == "http://kith.test/users/alice#main-key"
        assert actor["publicKey"]["owner"] == actor["id"]
        assert actor["publicKey"]["publicKeyPem"].startswith("-----BEGIN PUBLIC KEY-----")
        assert "published" in actor
    browser = await client.get("/users/alice", allow_redirects=False)
    assert browser.status == 302 and browser.headers["Location"] == "http://kith.test/@alice"
    negotiated = await client.get("/@alice", headers=AS2, allow_redirects=False)
    assert negotiated.status == 200 and negotiated.headers["Vary"] == "Accept"
    assert (await negotiated.json(content_type=None))["id"] == "http://kith.test/users/alice"  # no redirect
    assert (await client.get("/users/nobody", headers=AS2)).status == 404


async def test_instance_actor(client, pool):
    actor = await (await client.get("/actor", headers=AS2)).json(content_type=None)
    assert actor["type"] == "Application"
    assert actor["id"] == "http://kith.test/actor"
    assert actor["publicKey"]["id"] == "http://kith.test/actor#main-key"
    assert (await client.get("/users/kith.instance", headers=AS2)).status == 404


async def test_notes_collections_and_visibility(client, pool):
    await make_member(pool, "alice")
    await make_member(pool, "bob")
    await log_in(client, "alice")
    await post_status(client, "hello @bob #Intro", "public")
    await post_status(client, "for followers only", "private")
    await post_status(client, "quietly public", "unlisted")
    ids = {r["visibility"]: r["id"] for r in await pool.fetch("SELECT id, visibility FROM statuses")}

    note = await (await client.get(f"/users/alice/statuses/{ids['public']}", headers=AS2)).json(content_type=None)
    assert note["type"] == "Note"
    assert note["id"] == f"http://kith.test/users/alice/statuses/{ids['public']}"
    assert note["attributedTo"] == "http://kith.test/users/alice"
    assert note["to"] == ["https://www.w3.org/ns/activitystreams#Public"]
    assert note["cc"] == ["http://kith.test/users/alice/followers", "http://kith.test/users/bob"]
    assert {"type": "Mention", "href": "http://kith.test/users/bob", "name": "@bob"} in note["tag"]
    assert {"type": "Hashtag", "href": "http://kith.test/tags/intro", "name": "#Intro"} in note["tag"]
    unlisted = await (await client.get(f"/users/alice/statuses/{ids['unlisted']}", headers=AS2)).json(content_type=None)
    assert unlisted["to"] == ["http://kith.test/users/alice/followers"]
    assert unlisted["cc"] == ["https://www.w3.org/ns/activitystreams#Public"]
    assert (await client.get(f"/users/alice/statuses/{ids['private']}", headers=AS2)).status == 404
    assert (await client.get(f"/users/bob/statuses/{ids['public']}", headers=AS2)).status == 404
    at_web_url = await client.get(f"/@alice/{ids['public']}", headers=AS2, allow_redirects=False)
    assert at_web_url.status == 200 and await at_web_url.json(content_type=None) == note
    assert (await client.get(f"/@alice/{ids['private']}", headers=AS2, allow_redirects=False)).status == 404

    outbox = await (await client.get("/users/alice/outbox", headers=AS2)).json(content_type=None)
    assert outbox["type"] == "OrderedCollection" and outbox["totalItems"] == 1
    page = await (await client.get("/users/alice/outbox?page=true", headers=AS2)).json(content_type=None)
    assert [item["type"] for item in page["orderedItems"]] == ["Create"]
    assert page["orderedItems"][0]["object"]["content"].startswith("<p>hello")

    token_page = await client.get("/@bob")
    from tests.helpers import csrf_from

    await client.post("/@bob/follow", data={"csrf_token": csrf_from(await token_page.text())})
    followers = await (await client.get("/users/bob/followers", headers=AS2)).json(content_type=None)
    assert followers["totalItems"] == 1
    items = await (await client.get("/users/bob/followers?page=1", headers=AS2)).json(content_type=None)
    assert items["orderedItems"] == ["http://kith.test/users/alice"]
    following = await (await client.get("/users/alice/following?page=1", headers=AS2)).json(content_type=None)
    assert following["orderedItems"] == ["http://kith.test/users/bob"]


async def test_deleted_note_is_gone(client, logged_in, pool):
    await post_status(client, "short-lived")
    status_id = await pool.fetchval("SELECT id FROM statuses")
    from tests.helpers import csrf_token

    await client.post(f"/@alice/{status_id}/delete", data={"csrf_token": await csrf_token(client)})
    resp = await client.get(f"/users/alice/statuses/{status_id}", headers=AS2)
    assert resp.status == 410
    assert (await resp.json(content_type=None))["type"] == "Tombstone"


async def test_replies_collection(client, pool):
    from tests.helpers import csrf_token

    await make_member(pool, "alice")
    await log_in(client, "alice")
    await post_status(client, "the question")
    parent = await pool.fetchval("SELECT id FROM statuses")
    token = await csrf_token(client)
    await client.post("/", data={"content": "the answer", "in_reply_to_id": str(parent), "csrf_token": token})
    await client.post("/", data={"content": "a private aside", "visibility": "private",
                                 "in_reply_to_id": str(parent), "csrf_token": token})
    reply = await pool.fetchval("SELECT id FROM statuses WHERE source_text = 'the answer'")
    doc = await (await client.get(f"/users/alice/statuses/{parent}/replies", headers=AS2)).json(content_type=None)
    assert doc["orderedItems"] == [f"http://kith.test/users/alice/statuses/{reply}"]
    note = await (await client.get(f"/users/alice/statuses/{reply}", headers=AS2)).json(content_type=None)
    assert note["inReplyTo"] == f"http://kith.test/users/alice/statuses/{parent}"


async def test_follow_lists_can_be_hidden(aiohttp_client, config, pool):
    import dataclasses

    from server.app import make_app

    client = await aiohttp_client(make_app(dataclasses.replace(config, hide_follow_lists=True)))
    await make_member(pool, "alice")
    doc = await (await client.get("/users/alice/followers?page=1", headers=AS2)).json(content_type=None)
    assert doc["totalItems"] == 0 and "first" not in doc and "orderedItems" not in doc
