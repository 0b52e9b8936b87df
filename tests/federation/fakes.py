"""A scripted remote server on loopback that behaves like Mastodon on the wire.

It serves actors (with keys it controls), WebFinger and objects, signs what it sends, records
every POST to its inboxes, and checks each one's signature against the sender's published key.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer

from federation import httpsig
from tests.conftest import free_port
from tests.keys import next_keypair

AS2 = "application/activity+json"
CONTEXT = ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"]


@dataclass
class FakeActor:
    username: str
    base: str
    private_pem: str
    public_pem: str
    extra: dict[str, Any] = field(default_factory=dict)  # more of the actor document (emoji tags, say)

    @property
    def id(self) -> str:
        return f"{self.base}/users/{self.username}"

    @property
    def key_id(self) -> str:
        return f"{self.id}#main-key"

    def document(self) -> dict[str, Any]:
        return {
            "@context": CONTEXT, "id": self.id, "type": "Person", "preferredUsername": self.username,
            "name": self.username.title(), "summary": "<p>remote</p>", "inbox": f"{self.id}/inbox",
            "outbox": f"{self.id}/outbox", "followers": f"{self.id}/followers",
            "endpoints": {"sharedInbox": f"{self.base}/inbox"}, "url": f"{self.base}/@{self.username}",
            "publicKey": {"id": self.key_id, "owner": self.id, "publicKeyPem": self.public_pem}, **self.extra,
        }


@dataclass
class Received:
    path: str
    activity: dict[str, Any]
    headers: dict[str, str]
    signature_ok: bool


@dataclass
class FakeRemote:
    server: TestServer
    host: str
    actors: dict[str, FakeActor] = field(default_factory=dict)
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)  # URL -> (body, content type): images
    received: list[Received] = field(default_factory=list)
    strict_published: bool = False  # answer as GoToSocial does to an activity without `published`
    fetched: list[str] = field(default_factory=list)  # every object URL GET, in order
    actor_fetches: list[str] = field(default_factory=list)  # every actor (key) GET, found or not

    @property
    def base(self) -> str:
        return f"http://{self.host}"

    def add_actor(self, username: str) -> FakeActor:
        private_pem, public_pem = next_keypair()
        actor = FakeActor(username, self.base, private_pem, public_pem)
        self.actors[username] = actor
        return actor

    async def post(self, actor: FakeActor, inbox: str, activity: dict[str, Any], *, sign_as: FakeActor | None = None,
                   body: bytes | None = None, headers: dict[str, str] | None = None) -> aiohttp.ClientResponse:
        """POST an activity to a Kith inbox, signed (cavage) by `sign_as` (default: the actor)."""
        raw = body if body is not None else json.dumps(activity).encode()
        signer = sign_as or actor
        signed = httpsig.sign_cavage("POST", inbox, {"Content-Type": AS2}, raw, signer.key_id, signer.private_pem)
        signed.update(headers or {})
        async with aiohttp.ClientSession() as session:
            async with session.post(inbox, data=raw, headers=signed) as resp:
                await resp.read()
                return resp


async def start_fake_remote() -> FakeRemote:
    port = free_port()
    remote: FakeRemote

    async def actor(request: web.Request) -> web.Response:
        remote.actor_fetches.append(request.match_info["name"])
        found = remote.actors.get(request.match_info["name"])
        if found is None:
            raise web.HTTPNotFound()
        return web.json_response(found.document(), content_type=AS2)

    async def webfinger(request: web.Request) -> web.Response:
        resource = request.query.get("resource", "")
        name = resource.removeprefix("acct:").split("@", 1)[0]
        if name not in remote.actors:
            raise web.HTTPNotFound()
        href = remote.actors[name].id
        return web.json_response({"subject": resource, "links": [{"rel": "self", "type": AS2, "href": href}]},
                                 content_type="application/jrd+json")

    async def obj(request: web.Request) -> web.Response:
        remote.fetched.append(f"{remote.base}{request.path}")
        if (file := remote.files.get(f"{remote.base}{request.path}")) is not None:
            return web.Response(body=file[0], headers={"Content-Type": file[1]})
        found = remote.objects.get(f"{remote.base}{request.path}")
        if found is None:
            raise web.HTTPNotFound()
        return web.json_response(found, content_type=AS2)

    async def inbox(request: web.Request) -> web.Response:
        body = await request.read()
        activity = json.loads(body)
        ok = await _signature_ok(request, body)
        remote.received.append(Received(request.path, activity, dict(request.headers), ok))
        if ok and remote.strict_published and "published" not in activity:
            return web.Response(status=400, text="error extracting published time: published prop was nil")
        return web.Response(status=202 if ok else 401)

    async def _signature_ok(request: web.Request, body: bytes) -> bool:
        signed = httpsig.SignedRequest("POST", f"{remote.base}{request.raw_path}", request.headers, body)
        try:
            key_id = httpsig.key_id_of(signed)
            async with aiohttp.ClientSession() as session:
                async with session.get(key_id.split("#")[0], headers={"Accept": AS2}) as resp:
                    doc = await resp.json(content_type=None)
            httpsig.verify(signed, doc["publicKey"]["publicKeyPem"])
        except (httpsig.SignatureError, aiohttp.ClientError, KeyError, ValueError):
            return False
        return True

    app = web.Application()
    app.router.add_get("/users/{name}", actor)
    app.router.add_get("/.well-known/webfinger", webfinger)
    app.router.add_post("/inbox", inbox)
    app.router.add_post("/users/{name}/inbox", inbox)
    app.router.add_get("/{tail:.*}", obj)
    server = TestServer(app, host="127.0.0.1", port=port)
    await server.start_server()
    remote = FakeRemote(server, f"127.0.0.1:{port}")
    return remote
