"""The streaming API across two app instances on one database (as two Kith processes would be).

Posts are made through app A's domain layer and heard on app B's streams, so every test also
proves the LISTEN/NOTIFY path between processes. Frames are awaited with a timeout (a timeout is
a failure). To show that something was NOT sent, a later event that IS sent is awaited instead:
events are handled in commit order and each client's frames are sent in order, so if the later
one arrives first, the earlier one was never coming.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from typing import Any

import aiohttp
import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from server.api.auth import token_hash
from server.api.streaming import endpoints as api_streaming
from server.api.streaming import hub as hub_module
from server.api.streaming.hub import Client
from server.api.streaming.streams import parse
from server.app import make_app
from server.domain import account_actions, following, posting, reactions
from server.keys import POOL, URLS
from server.models import Account, Role, Visibility
from server.store import lists as lists_store
from server.store import oauth as oauth_store
from server.store import statuses as statuses_store
from server.urls import Urls
from tests.conftest import KithProcess
from tests.helpers import log_in, make_member, submit

WAIT = 10  # seconds; only ever reached when something is broken


@pytest.fixture
async def apps(aiohttp_client, config, pool) -> tuple[TestClient, TestClient]:
    """Two Kith apps on the same database: A to write, B to stream."""
    return await aiohttp_client(make_app(config)), await aiohttp_client(make_app(config))


async def token_for(pool: asyncpg.Pool, account: Account | None, scopes: tuple[str, ...] = ("read",)) -> str:
    app = await oauth_store.insert_app(pool, secrets.token_hex(8), secrets.token_hex(8), "test app", None,
                                       ["urn:ietf:wg:oauth:2.0:oob"], list(scopes))
    token = secrets.token_urlsafe(24)
    await oauth_store.insert_token(pool, token_hash(token), None, app.id, account.id if account else None,
                                   list(scopes))
    return token


async def connect(client: TestClient, token: str | None, **query: str) -> aiohttp.ClientWebSocketResponse:
    params = {**query, **({"access_token": token} if token else {})}
    return await client.ws_connect("/api/v1/streaming", params=params)


async def frame(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    message = await asyncio.wait_for(ws.receive(), WAIT)
    assert message.type == aiohttp.WSMsgType.TEXT, message
    return json.loads(message.data)


async def announce(pool: asyncpg.Pool, event: str, status_id: int) -> None:
    """What the domain layer does where it already streams (posting.py); used below where it does not yet."""
    await pool.execute("SELECT pg_notify('kith_stream', $1)", json.dumps({"event": event, "status_id": status_id}))


async def post(client: TestClient, author: Account, text: str, visibility: str = "public") -> int:
    return await posting.create_post(client.app[POOL], client.app[URLS], author,
                                     posting.NewPost(text=text, visibility=visibility), 500)


async def test_user_stream_reaches_followers_only(apps, pool):
    a, b = apps
    alice, bob, carol = [await make_member(pool, n) for n in ("alice", "bob", "carol")]
    await following.follow(pool, a.app[URLS], bob, alice)
    bob_ws = await connect(b, await token_for(pool, bob), stream="user")
    carol_ws = await connect(b, await token_for(pool, carol), stream="user")

    status_id = await post(a, alice, "hello followers")
    got = await frame(bob_ws)
    assert got["stream"] == ["user"] and got["event"] == "update"
    status = json.loads(got["payload"])
    assert status["id"] == str(status_id) and status["account"]["username"] == "alice"
    assert status["favourited"] is False

    own_id = await post(a, carol, "carol's own")  # carol's first frame is her own post, not alice's
    assert json.loads((await frame(carol_ws))["payload"])["id"] == str(own_id)
    await bob_ws.close()
    await carol_ws.close()


async def test_edits_are_rendered_for_each_reader(apps, pool):
    a, b = apps
    alice, bob = await make_member(pool, "alice"), await make_member(pool, "bob")
    await following.follow(pool, a.app[URLS], bob, alice)
    status_id = await post(a, alice, "first version")
    await reactions.favourite(pool, a.app[URLS], bob, status_id)
    bob_ws = await connect(b, await token_for(pool, bob), stream="user")
    alice_ws = await connect(b, await token_for(pool, alice), stream="user")

    await posting.edit_post(pool, a.app[URLS], alice, status_id, posting.NewPost(text="second version"), 500)
    for ws, favourited in ((bob_ws, True), (alice_ws, False)):
        got = await frame(ws)
        assert got["event"] == "status.update"
        status = json.loads(got["payload"])
        assert "second version" in status["content"] and status["edited_at"]
        assert status["favourited"] is favourited
    await bob_ws.close()
    await alice_ws.close()


async def test_public_local_never_carries_followers_only_posts(apps, pool):
    a, b = apps
    alice, reader = await make_member(pool, "alice"), await make_member(pool, "reader")
    await following.follow(pool, a.app[URLS], reader, alice)  # even a follower sees it only at home
    ws = await connect(b, await token_for(pool, reader), stream="public:local")
    await post(a, alice, "followers only", visibility="private")
    await post(a, alice, "unlisted", visibility="unlisted")
    public_id = await post(a, alice, "for everyone")
    got = await frame(ws)
    assert got["stream"] == ["public:local"] and got["event"] == "update"
    assert json.loads(got["payload"])["id"] == str(public_id)
    await ws.close()


async def test_hashtag_streams_and_subscription_messages(apps, pool):
    a, b = apps
    alice, reader = await make_member(pool, "alice"), await make_member(pool, "reader")
    ws = await connect(b, await token_for(pool, reader), stream="hashtag", tag="Kith")
    await post(a, alice, "no tag here")
    tagged = await post(a, alice, "about #kith")
    got = await frame(ws)
    assert got["stream"] == ["hashtag", "Kith"] and json.loads(got["payload"])["id"] == str(tagged)

    # More subscriptions by message; an error frame afterwards shows the messages were handled.
    await ws.send_json({"type": "subscribe", "stream": "hashtag:local", "tag": "cats"})
    await ws.send_json({"type": "unsubscribe", "stream": "hashtag", "tag": "KITH"})
    await ws.send_json({"type": "subscribe", "stream": "hashtag"})
    assert await frame(ws) == {"error": "No tag for stream provided", "status": 400}
    await post(a, alice, "#kith again")
    cats = await post(a, alice, "#cats")
    got = await frame(ws)
    assert got["stream"] == ["hashtag:local", "cats"] and json.loads(got["payload"])["id"] == str(cats)
    await ws.close()


async def test_boosts_reach_home_not_public(apps, pool):
    a, b = apps
    alice, bob, carol = [await make_member(pool, n) for n in ("alice", "bob", "carol")]
    await following.follow(pool, a.app[URLS], carol, bob)
    original = await post(a, alice, "worth sharing")
    ws = await connect(b, await token_for(pool, carol), stream="user")
    await ws.send_json({"type": "subscribe", "stream": "public"})
    await ws.send_json({"type": "?"})
    assert (await frame(ws))["error"] == "Unknown message type"

    await reactions.boost(pool, a.app[URLS], bob, original)  # announced by the domain layer itself
    reblog_id = await pool.fetchval("SELECT id FROM statuses WHERE reblog_of_id = $1", original)
    later = await post(a, bob, "bob's own")
    got = await frame(ws)
    assert got["stream"] == ["user"]
    boost = json.loads(got["payload"])
    assert boost["id"] == str(reblog_id) and boost["reblog"]["id"] == str(original)
    while (got := await frame(ws))["payload"] == json.dumps(boost):  # announced twice once boost() announces
        pass
    assert json.loads(got["payload"])["id"] == str(later)  # so the boost was never on the public stream
    await ws.close()


async def test_remote_posts_reach_public_remote_only(apps, pool):
    a, b = apps
    alice, reader = await make_member(pool, "alice"), await make_member(pool, "reader")
    remote = await pool.fetchval(
        "INSERT INTO accounts (username, domain, uri, public_key_pem) VALUES ('zed', 'remote.example',"
        " 'https://remote.example/users/zed', 'unused') RETURNING id")
    token = await token_for(pool, reader)
    remote_ws = await connect(b, token, stream="public:remote")
    local_ws = await connect(b, token, stream="public:local")
    status_id = await statuses_store.insert_remote(
        pool, account_id=remote, uri="https://remote.example/notes/1", url=None, content="<p>from afar</p>",
        spoiler_text="", visibility=Visibility.PUBLIC, sensitive=False, language=None, kind="note", title="",
        poll=None, in_reply_to_id=None, in_reply_to_uri=None, published=None, raw=None)
    await announce(pool, "update", status_id)
    got = await frame(remote_ws)
    assert got["stream"] == ["public:remote"] and json.loads(got["payload"])["id"] == str(status_id)
    local = await post(a, alice, "from here")
    assert json.loads((await frame(local_ws))["payload"])["id"] == str(local)
    for ws in (remote_ws, local_ws):
        await ws.close()


async def test_delete_reaches_public_and_home_streams(apps, pool):
    a, b = apps
    alice, bob = await make_member(pool, "alice"), await make_member(pool, "bob")
    await following.follow(pool, a.app[URLS], bob, alice)
    ws = await connect(b, await token_for(pool, bob), stream="public:local")
    await ws.send_json({"type": "subscribe", "stream": "user"})
    await ws.send_json({"type": "sync"})
    assert (await frame(ws))["error"] == "Unknown message type"
    status_id = await post(a, alice, "soon gone")
    updates = [await frame(ws), await frame(ws)]
    assert sorted(f["stream"][0] for f in updates) == ["public:local", "user"]

    await posting.delete_post(pool, a.app[URLS], alice, status_id)
    deletes = [await frame(ws), await frame(ws)]
    assert sorted(f["stream"][0] for f in deletes) == ["public:local", "user"]
    assert all(f["event"] == "delete" and f["payload"] == str(status_id) for f in deletes)
    await ws.close()


async def test_direct_messages(apps, pool):
    a, b = apps
    alice, bob, carol = [await make_member(pool, n) for n in ("alice", "bob", "carol")]
    await following.follow(pool, a.app[URLS], carol, alice)
    bob_token = await token_for(pool, bob)
    bob_ws = await connect(b, bob_token, stream="direct")
    carol_ws = await connect(b, await token_for(pool, carol), stream="direct")
    await carol_ws.send_json({"type": "subscribe", "stream": "public"})
    await carol_ws.send_json({"type": "subscribe", "stream": "user"})
    await carol_ws.send_json({})
    assert (await frame(carol_ws))["error"] == "Unknown message type"

    dm = await post(a, alice, "@bob just between us", visibility="direct")
    got = await frame(bob_ws)
    assert got["stream"] == ["direct"] and got["event"] == "conversation"
    conversation = json.loads(got["payload"])
    assert conversation["last_status"]["id"] == str(dm) and conversation["unread"] is True
    assert [p["username"] for p in conversation["accounts"]] == ["alice"]
    listed = await (await b.get("/api/v1/conversations", headers={"Authorization": f"Bearer {bob_token}"})).json()
    assert conversation == listed[0]  # the same entity the conversations API shows

    later = await post(a, alice, "hello everyone")  # carol (a follower) gets this, never the DM
    got = await frame(carol_ws)
    assert json.loads(got["payload"])["id"] == str(later)
    for ws in (bob_ws, carol_ws):
        await ws.close()


async def test_lists(apps, pool):
    a, b = apps
    alice, bob, owner = [await make_member(pool, n) for n in ("alice", "bob", "owner")]
    for target in (alice, bob):
        await following.follow(pool, a.app[URLS], owner, target)
    list_id = (await lists_store.insert(pool, owner.id, "friends", "list", False)).id
    await lists_store.add_members(pool, list_id, [bob.id])
    ws = await connect(b, await token_for(pool, owner), stream="list", list=str(list_id))
    other = await connect(b, await token_for(pool, alice), stream="list", list=str(list_id))
    assert await frame(other) == {"error": "Not authorized to stream this list", "status": 401}
    await other.close()

    await post(a, alice, "not on the list")
    await post(a, bob, "@owner a direct message stays out of lists", visibility="direct")
    on_list = await post(a, bob, "on the list")
    got = await frame(ws)
    assert got["stream"] == ["list", str(list_id)] and json.loads(got["payload"])["id"] == str(on_list)
    await ws.close()


async def test_notifications(apps, pool):
    """Until notifications.add announces itself, the test announces what it added."""
    a, b = apps
    alice, bob = await make_member(pool, "alice"), await make_member(pool, "bob")
    full = await connect(b, await token_for(pool, bob), stream="user")
    only = await connect(b, await token_for(pool, bob, ("read:notifications",)), stream="user:notification")
    statuses_only = await connect(b, await token_for(pool, bob, ("read:statuses",)), stream="user")

    status_id = await post(a, alice, "hi @bob")
    notification_id = await pool.fetchval("SELECT id FROM notifications WHERE account_id = $1", bob.id)

    # `user` carries both the post (the mention put it in bob's feed) and the notification.
    got = {f["event"]: f for f in [await frame(full), await frame(full)]}
    assert got.keys() == {"update", "notification"}
    assert json.loads(got["update"]["payload"])["id"] == str(status_id)
    for notification, stream in ((got["notification"], ["user"]), (await frame(only), ["user:notification"])):
        assert notification["stream"] == stream and notification["event"] == "notification"
        entity = json.loads(notification["payload"])
        assert entity["id"] == str(notification_id) and entity["type"] == "mention"
        assert entity["account"]["username"] == "alice" and entity["status"]["id"] == str(status_id)
    # A token without read:notifications gets the post, and then the next post, never the notification.
    assert json.loads((await frame(statuses_only))["payload"])["id"] == str(status_id)
    later = await post(a, bob, "my own post")
    assert json.loads((await frame(statuses_only))["payload"])["id"] == str(later)
    for ws in (full, only, statuses_only):
        await ws.close()


async def test_announcements_reach_every_members_user_stream(apps, pool):
    from server.domain import announcements

    a, b = apps
    root, alice = await make_member(pool, "root", Role.ADMIN), await make_member(pool, "alice")
    alice_ws = await connect(b, await token_for(pool, alice), stream="user")
    public_ws = await connect(b, await token_for(pool, alice), stream="public")

    announcement_id = await announcements.create(pool, a.app[URLS], root.id, "The garden opens on Saturday")
    got = await frame(alice_ws)
    assert got["stream"] == ["user"] and got["event"] == "announcement"
    entity = json.loads(got["payload"])
    assert entity["id"] == str(announcement_id) and "garden opens" in entity["content"] and entity["read"] is False
    await announcements.react(pool, root.id, announcement_id, "🎉")
    await announcements.react(pool, alice.id, announcement_id, "🎉")
    for count in (1, 2):
        got = await frame(alice_ws)
        assert got["event"] == "announcement.reaction"
        assert json.loads(got["payload"]) == {"name": "🎉", "count": count, "announcement_id": str(announcement_id)}
    await announcements.publish(pool, root.id, announcement_id, False)
    got = await frame(alice_ws)
    assert (got["event"], got["payload"]) == ("announcement.delete", str(announcement_id))

    status_id = await post(a, alice, "a public post")  # the public stream's first frame: none of the above
    got = await frame(public_ws)
    assert got["event"] == "update" and json.loads(got["payload"])["id"] == str(status_id)
    for ws in (alice_ws, public_ws):
        await ws.close()


async def test_event_stream(apps, pool, monkeypatch):
    a, b = apps
    alice, reader = await make_member(pool, "alice"), await make_member(pool, "reader")
    monkeypatch.setattr(api_streaming, "HEARTBEAT_SECONDS", 0.05)
    headers = {"Authorization": f"Bearer {await token_for(pool, reader)}"}
    resp = await b.get("/api/v1/streaming/public/local", headers=headers)
    assert resp.status == 200 and resp.headers["Content-Type"] == "text/event-stream"

    async def line() -> bytes:
        return await asyncio.wait_for(resp.content.readline(), WAIT)

    assert await line() == b":)\n"
    assert await line() == b":thump\n"
    status_id = await post(a, alice, "streamed as events")
    while (got := await line()) == b":thump\n":
        pass
    assert got == b"event: update\n"
    data = await line()
    assert data.startswith(b"data: ") and json.loads(data[6:])["id"] == str(status_id)
    resp.close()


async def test_event_stream_errors(apps, pool):
    _, b = apps
    reader = await make_member(pool, "reader")
    headers = {"Authorization": f"Bearer {await token_for(pool, reader)}"}
    resp = await b.get("/api/v1/streaming/hashtag", headers=headers)
    assert resp.status == 400 and (await resp.json())["error"] == "No tag for stream provided"
    resp = await b.get("/api/v1/streaming/public")
    assert resp.status == 401 and (await resp.json())["error"] == "Missing access token"
    resp = await b.get("/api/v1/streaming/nonsense", headers=headers)
    assert resp.status == 404
    resp = await b.get("/api/v1/streaming/health")
    assert resp.status == 200 and await resp.text() == "OK"


async def test_authentication(apps, pool):
    _, b = apps
    reader = await make_member(pool, "reader")
    for token in (None, "not-a-token"):
        with pytest.raises(aiohttp.WSServerHandshakeError) as failed:
            await connect(b, token, stream="public")
        assert failed.value.status == 401
    token = await token_for(pool, reader)
    # Browsers cannot set headers on a WebSocket: the token comes as the subprotocol, echoed back.
    ws = await b.ws_connect("/api/v1/streaming?stream=public", protocols=(token,))
    assert ws.protocol == token
    await ws.close()
    ws = await b.ws_connect("/api/v1/streaming", headers={"Authorization": f"Bearer {token}"})
    await ws.send_json({"type": "subscribe", "stream": "public:remote:media"})
    await ws.send_json({"type": "subscribe", "stream": "everything"})
    assert await frame(ws) == {"error": "Unknown stream type", "status": 400}
    await ws.close()


async def test_scopes_and_app_tokens(apps, pool):
    _, b = apps
    reader = await make_member(pool, "reader")
    cases = [
        (await token_for(pool, reader, ("write",)), "public", "Access token does not have the required scopes"),
        (await token_for(pool, reader, ("read:statuses",)), "user:notification",
         "Access token does not have the required scopes"),
        (await token_for(pool, None, ("read",)), "user", "This stream requires a user's access token"),
        (await token_for(pool, reader), "bogus", "Unknown stream type"),
    ]
    for token, stream, error in cases:
        ws = await connect(b, token, stream=stream)
        assert (await frame(ws))["error"] == error
        await ws.close()
    ws = await connect(b, await token_for(pool, None, ("read",)), stream="public")  # an app may read public
    await ws.close()


async def test_limits(apps, pool, monkeypatch):
    _, b = apps
    reader = await make_member(pool, "reader")
    token = await token_for(pool, reader)
    monkeypatch.setattr(hub_module, "MAX_PER_OWNER", 2)
    monkeypatch.setattr(hub_module, "MAX_STREAMS", 2)
    first = await connect(b, token, stream="public")
    second = await connect(b, await token_for(pool, reader), stream="public")  # another token, same member
    with pytest.raises(aiohttp.WSServerHandshakeError) as failed:
        await connect(b, token)
    assert failed.value.status == 429
    await first.send_json({"type": "subscribe", "stream": "public:local"})
    await first.send_json({"type": "subscribe", "stream": "public:remote"})
    assert await frame(first) == {"error": "At most 2 subscriptions per connection", "status": 400}
    await first.close()
    await second.close()


async def test_slow_clients_are_dropped_not_buffered(monkeypatch):
    monkeypatch.setattr(hub_module, "QUEUE_SIZE", 2)
    client = Client(("account", 1), 1, ["read"], 1)
    stream = parse("public")
    for n in range(3):
        client.send(stream, "update", str(n))
    assert client.ended == "too slow"
    assert await asyncio.wait_for(client.next(), WAIT) is None  # the writer is told to close at once


async def test_shutdown_closes_streams(apps, pool):
    _, b = apps
    reader = await make_member(pool, "reader")
    ws = await connect(b, await token_for(pool, reader), stream="public")
    await api_streaming.close_streams(b.app)
    message = await asyncio.wait_for(ws.receive(), WAIT)
    assert message.type == aiohttp.WSMsgType.CLOSE and message.data == aiohttp.WSCloseCode.GOING_AWAY
    assert not b.app[api_streaming.HUB].clients or all(c.ended for c in b.app[api_streaming.HUB].clients)


async def closed(ws: aiohttp.ClientWebSocketResponse) -> aiohttp.WSMessage:
    """The next message, which must be the server closing the stream."""
    message = await asyncio.wait_for(ws.receive(), WAIT)
    assert message.type == aiohttp.WSMsgType.CLOSE, message
    return message


async def test_revoking_a_token_closes_its_streams_in_every_process(apps, pool):
    """Revoked at /oauth/revoke on app A, at /settings/apps on A, or by a suspension: app B's open
    streams of those tokens close; a stream of a token not revoked stays open."""
    a, b = apps
    reader = await make_member(pool, "reader")
    app = await oauth_store.insert_app(pool, "client-id", "client-secret", "reader's app", None,
                                       ["urn:ietf:wg:oauth:2.0:oob"], ["read"])
    token = secrets.token_urlsafe(24)
    await oauth_store.insert_token(pool, token_hash(token), None, app.id, reader.id, ["read"])
    kept = await token_for(pool, reader)
    revoked_ws, kept_ws = await connect(b, token, stream="public"), await connect(b, kept, stream="public")
    resp = await a.post("/oauth/revoke", data={"client_id": "client-id", "client_secret": "client-secret",
                                               "token": token})
    assert resp.status == 200
    message = await closed(revoked_ws)
    assert message.data == aiohttp.WSCloseCode.POLICY_VIOLATION and message.extra == "revoked"
    with pytest.raises(aiohttp.WSServerHandshakeError):
        await connect(b, token, stream="public")
    await post(a, reader, "the kept stream still hears this")
    assert (await frame(kept_ws))["event"] == "update"

    # The member revokes an app in the web UI.
    await log_in(a, "reader")
    web_app = await oauth_store.insert_app(pool, "web-id", "web-secret", "another app", None,
                                           ["urn:ietf:wg:oauth:2.0:oob"], ["read"])
    web_token = secrets.token_urlsafe(24)
    await oauth_store.insert_token(pool, token_hash(web_token), None, web_app.id, reader.id, ["read"])
    web_ws = await connect(b, web_token, stream="public")
    resp = await submit(a, f"/settings/apps/{web_app.id}/revoke", page="/settings/apps")
    assert resp.status == 303
    assert (await closed(web_ws)).extra == "revoked"

    # A moderator suspends the member: every stream of theirs closes.
    moderator = await make_member(pool, "mod", Role.MODERATOR)
    await account_actions.act(pool, a.app[URLS], moderator.id, reader, "suspend", [], "spam")
    assert (await closed(kept_ws)).extra == "revoked"


async def test_listener_reconnects(apps, pool, monkeypatch):
    a, b = apps
    monkeypatch.setattr(hub_module, "RECONNECT_SECONDS", 0)
    alice, reader = await make_member(pool, "alice"), await make_member(pool, "reader")
    hub = b.app[api_streaming.HUB]
    generation = hub.generation
    await pool.execute("SELECT pg_terminate_backend($1)", hub.listener_pid)
    await asyncio.wait_for(hub.wait_listening(generation), WAIT)
    ws = await connect(b, await token_for(pool, reader), stream="public")
    status_id = await post(a, alice, "after the reconnect")
    assert json.loads((await frame(ws))["payload"])["id"] == str(status_id)
    await ws.close()


async def test_a_separate_kith_process_streams_what_this_one_posts(database_url, config, pool, tmp_path):
    """The same, with a real `kith run` process as the reader: nothing shared but the database."""
    alice, reader = await make_member(pool, "alice"), await make_member(pool, "reader")
    token = await token_for(pool, reader)
    loop = asyncio.get_running_loop()
    server = KithProcess(["--database-url", database_url, "--data-dir", str(tmp_path / "other")])
    await loop.run_in_executor(None, server.start)
    try:
        async with aiohttp.ClientSession() as session, session.ws_connect(
                f"{server.base_url}/api/v1/streaming", params={"stream": "public:local", "access_token": token}) as ws:
            status_id = await posting.create_post(pool, Urls(config.base_url), alice,
                                                  posting.NewPost(text="across processes"), 500)
            got = await frame(ws)
            assert got["event"] == "update" and json.loads(got["payload"])["id"] == str(status_id)
    finally:
        await loop.run_in_executor(None, server.stop)
