"""The servers behind tests/data/activities/: one real aiohttp server per fictional host, on loopback.

The fixtures name hosts like `mastodon.example` over https. Kith in local-testing mode fetches
only plain http from allow-listed loopback hosts, so every fixture host gets its own server on
127.0.0.1 with its own port, and every `https://HOST` / `http://HOST` in the fixture text becomes
`http://127.0.0.1:PORT`. Host identity is host:port, so Kith's origin checks between "servers"
still mean what they mean on the real network.

Each server serves, as application/activity+json:
- the actor documents of the fixture set, with `publicKeyPem` replaced by a key pair generated
  here (the fixtures carry one placeholder public key and no private key), so that every
  activity can be signed (draft-cavage) as its actor;
- a minimal synthesized Person for every actor the fixtures name but do not include;
- every Note-like object that appears anywhere in the fixtures under its host (embedded in
  activities, embedded as `inReplyTo`), so Kith's "re-fetch from origin" path works.
It records every POST to any of its inboxes and checks each one's signature against the key
the sender publishes, as tests/federation/fakes.py does.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urlsplit

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer

from federation import httpsig
from federation.parse import ACTOR_TYPES, NOTE_TYPES
from tests.conftest import free_port
from tests.federation.fakes import Received
from tests.keys import keypairs

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "activities"
AS2 = "application/activity+json"
CONTEXT = ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"]


def fixture_files() -> list[str]:
    """Every fixture on disk, as a path relative to tests/data/activities (e.g. 'mastodon/move.json')."""
    return sorted(p.relative_to(FIXTURES).as_posix() for p in FIXTURES.rglob("*.json"))


def walk(node: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object in a document, depth first, the document itself included."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item)


def fixture_hosts(texts: dict[str, str]) -> list[str]:
    """The fictional servers: every host that some `id`, `actor`, `attributedTo` or key `owner` lives on.

    Hosts that appear only as link targets (alice.example, schema.org, w3.org ...) are left alone.
    """
    hosts = set()
    for text in texts.values():
        for node in walk(json.loads(text)):
            for key in ("id", "actor", "attributedTo", "owner"):
                value = node.get(key)
                if isinstance(value, str) and value.startswith(("http://", "https://")):
                    hosts.add(urlsplit(value).netloc)
    return sorted(hosts)


@dataclass
class Actor:
    uri: str
    key_id: str
    private_pem: str
    public_pem: str
    document: dict[str, Any]
    synthesized: bool


@dataclass
class Host:
    name: str  # the fictional host, e.g. "gts.example"
    port: int
    server: TestServer | None = None
    documents: dict[str, dict[str, Any]] = field(default_factory=dict)  # URL -> what GET answers
    gone: set[str] = field(default_factory=set)  # URLs that answer 410 (deleted at the origin)
    received: list[Received] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class World:
    hosts: dict[str, Host]
    docs: dict[str, dict[str, Any]]  # fixture path -> rewritten document (keys replaced)
    actors: dict[str, Actor]  # actor id -> actor (fixture or synthesized)
    session: aiohttp.ClientSession

    def url(self, fictional: str) -> str:
        """A URL as the fixtures spell it (https://mastodon.example/...) -> where it lives in this test."""
        return rewrite(fictional, self.hosts)

    def host_of(self, url: str) -> Host:
        """The fixture server a (rewritten) URL lives on."""
        base = "http://" + urlsplit(url).netloc
        found = next((h for h in self.hosts.values() if h.base == base), None)
        if found is None:
            raise KeyError(f"{url} is on none of the fixture servers")
        return found

    def hosts_url(self, url: str) -> bool:
        return any(h.base == "http://" + urlsplit(url).netloc for h in self.hosts.values())

    def doc(self, path: str) -> dict[str, Any]:
        """A fresh copy of a fixture, ready to send."""
        return copy.deepcopy(self.docs[path])

    def publish(self, activity: dict[str, Any]) -> None:
        """The sender's server now serves the objects of its own that this activity carries (e.g. the
        edited version of a post). Copies of other hosts' objects (a Group relaying a Create) change nothing."""
        own = "http://" + urlsplit(activity.get("actor", "")).netloc
        for node in walk(activity):
            node_id = node.get("id")
            if not isinstance(node_id, str) or not node_id.startswith(own + "/") or not self.hosts_url(node_id):
                continue
            if node.get("type") in NOTE_TYPES:
                served = {"@context": CONTEXT[0], **{k: v for k, v in node.items() if k != "@context"}}
                self.serve(node_id, served)
            elif node.get("type") in ACTOR_TYPES and node_id in self.actors:
                served = {"@context": CONTEXT, **{k: v for k, v in node.items() if k != "@context"}}
                self.actors[node_id].document = served
                self.serve(node_id, served)

    def serve(self, url: str, document: dict[str, Any]) -> None:
        self.host_of(url).documents[url] = document

    def withdraw(self, url: str) -> None:
        """Deleted at the origin: GET answers 410 Gone from now on."""
        host = self.host_of(url)
        host.documents.pop(url, None)
        host.gone.add(url)

    async def post(self, inbox: str, activity: dict[str, Any], signer: str | None = None) -> int:
        """POST an activity to an inbox, signed (cavage) by `signer` (default: the activity's actor)."""
        actor = self.actors[signer or activity["actor"]]
        body = json.dumps(activity).encode()
        headers = httpsig.sign_cavage("POST", inbox, {"Content-Type": AS2}, body, actor.key_id, actor.private_pem)
        async with self.session.post(inbox, data=body, headers=headers) as resp:
            await resp.read()
            return resp.status

    async def close(self) -> None:
        await self.session.close()
        for host in self.hosts.values():
            if host.server is not None:
                await host.server.close()


def rewrite(text: str, hosts: dict[str, Host]) -> str:
    """Every https://HOST or http://HOST of a fixture host -> http://127.0.0.1:PORT (other hosts untouched)."""
    pattern = re.compile(r"https?://(" + "|".join(re.escape(h) for h in hosts) + r")(?![\w.-])")
    return pattern.sub(lambda m: hosts[m.group(1)].base, text)


def _referenced_actors(docs: dict[str, dict[str, Any]]) -> set[str]:
    """Ids the fixtures use as actors: `actor`, authors of posts, Mention hrefs, Move targets,
    the objects of Follow/Block and the account a Flag names first."""
    found: set[str] = set()
    for doc in docs.values():
        for node in walk(doc):
            kind = node.get("type")
            if isinstance(node.get("actor"), str):
                found.add(node["actor"])
            if kind in NOTE_TYPES:
                authors = node.get("attributedTo")
                for author in authors if isinstance(authors, list) else [authors]:
                    author = author.get("id") if isinstance(author, dict) else author
                    if isinstance(author, str):
                        found.add(author)
            if kind == "Mention" and isinstance(node.get("href"), str):
                found.add(node["href"])
            if kind == "Move" and isinstance(node.get("target"), str):
                found.add(node["target"])
            if kind in ("Follow", "Block") and isinstance(node.get("object"), str):
                found.add(node["object"])
            if kind == "Flag" and isinstance(node.get("object"), list) and node["object"]:
                found.add(node["object"][0])
    return found


def _synthesized_person(uri: str) -> dict[str, Any]:
    """A minimal Person for an actor the fixtures name but do not include (e.g. mastodon.example's
    bob, carol and dave, lemmy2.example's heidi, the WriteFreely blog, Plume's kim, Mitra's ivan)."""
    parts = urlsplit(uri)
    username = [s for s in parts.path.split("/") if s and s not in ("@", "~")][-1].lstrip("@")
    base = f"{parts.scheme}://{parts.netloc}"
    return {
        "@context": CONTEXT, "id": uri, "type": "Person", "preferredUsername": username, "name": username.title(),
        "summary": "<p>synthesized for the fixture tests</p>", "inbox": f"{uri.rstrip('/')}/inbox",
        "outbox": f"{uri.rstrip('/')}/outbox", "followers": f"{uri.rstrip('/')}/followers",
        "endpoints": {"sharedInbox": f"{base}/inbox"}, "url": uri,
        "publicKey": {"id": f"{uri}#main-key", "owner": uri, "publicKeyPem": ""},
    }


def _handlers(host: Host, world_ref: list[World]) -> web.Application:
    async def get(request: web.Request) -> web.Response:
        url = f"{host.base}{request.raw_path}"
        if url in host.gone:
            raise web.HTTPGone()
        found = host.documents.get(url)
        if found is None:
            raise web.HTTPNotFound()
        return web.json_response(found, content_type=AS2)

    async def inbox(request: web.Request) -> web.Response:
        body = await request.read()
        try:
            activity = json.loads(body)
        except ValueError:
            return web.Response(status=400)
        ok = await _signature_ok(request, body)
        host.received.append(Received(request.path, activity, dict(request.headers), ok))
        return web.Response(status=202 if ok else 401)

    async def _signature_ok(request: web.Request, body: bytes) -> bool:
        signed = httpsig.SignedRequest("POST", f"{host.base}{request.raw_path}", request.headers, body)
        try:
            key_id = httpsig.key_id_of(signed)
            async with world_ref[0].session.get(urldefrag(key_id)[0], headers={"Accept": AS2}) as resp:
                doc = await resp.json(content_type=None)
            if doc["publicKey"]["id"] != key_id:
                return False
            httpsig.verify(signed, doc["publicKey"]["publicKeyPem"])
        except (httpsig.SignatureError, aiohttp.ClientError, KeyError, TypeError, ValueError):
            return False
        return True

    app = web.Application()
    app.router.add_get("/{tail:.*}", get)
    app.router.add_post("/{tail:.*}", inbox)
    return app


async def start_world() -> World:
    """Start one server per fixture host and load every fixture, rewritten and re-keyed."""
    texts = {path: (FIXTURES / path).read_text() for path in fixture_files()}
    world_ref: list[World] = []
    hosts: dict[str, Host] = {}
    for name in fixture_hosts(texts):
        host = Host(name, free_port())
        host.server = TestServer(_handlers(host, world_ref), host="127.0.0.1", port=host.port)
        await host.server.start_server()
        hosts[name] = host
    docs = {path: json.loads(rewrite(text, hosts)) for path, text in texts.items()}

    # Actor documents: the fixture ones (top level, or embedded as in misskey/update-person.json),
    # then a synthesized Person for every actor the fixtures reference without including.
    actor_docs: dict[str, dict[str, Any]] = {}
    for doc in docs.values():
        for node in walk(doc):
            if node.get("type") in ACTOR_TYPES and isinstance(node.get("publicKey"), dict):
                actor_docs.setdefault(node["id"], {"@context": doc.get("@context", CONTEXT), **node})
    synthesized = {uri: _synthesized_person(uri) for uri in sorted(_referenced_actors(docs) - set(actor_docs))}
    all_docs = {**actor_docs, **synthesized}

    actors: dict[str, Actor] = {}
    for (uri, doc), (private_pem, public_pem) in zip(sorted(all_docs.items()), keypairs(len(all_docs)), strict=True):
        actors[uri] = Actor(uri, doc["publicKey"]["id"], private_pem, public_pem, doc, uri in synthesized)
    # The fixtures' placeholder key -> each owner's own public key, wherever a publicKey appears.
    for doc in [*docs.values(), *all_docs.values()]:
        for node in walk(doc):
            key = node.get("publicKey")
            if isinstance(key, dict) and key.get("owner") in actors:
                key["publicKeyPem"] = actors[key["owner"]].public_pem

    world = World(hosts, docs, actors, aiohttp.ClientSession())
    world_ref.append(world)
    for actor in actors.values():
        world.serve(actor.uri, actor.document)
        key_url = urldefrag(actor.key_id)[0]
        if key_url != actor.uri:
            # GoToSocial serves the key at a path of its own (`…/main-key`) as a stub of the actor
            # whose `id` is the actor's, not the key's (docs/federation/…/http_signatures.md).
            doc = actor.document
            world.serve(key_url, {"@context": CONTEXT, "id": actor.uri, "type": doc["type"],
                                  "preferredUsername": doc["preferredUsername"], "publicKey": doc["publicKey"]})
    # Every Note-like object the fixtures carry, served by its origin (first version seen; a test
    # step publishes later versions, e.g. an edit, as it delivers them).
    for path in sorted(docs):
        for node in walk(docs[path]):
            if node.get("type") in NOTE_TYPES and isinstance(node.get("id"), str):
                host = world.host_of(node["id"])
                host.documents.setdefault(
                    node["id"], {"@context": CONTEXT[0], **{k: v for k, v in node.items() if k != "@context"}})
    return world
