"""Drive a running bovine-herd server the way a bovine user would (runs inside the bovine venv).

Called by `bovine_peer.py` as a subprocess; every command prints one JSON document on stdout.

* `create-actor` registers an account directly in bovine's database (what `python -m bovine_store
  register` does -- bovine has no sign-up over HTTP) and gives it an Ed25519 did:key, the
  credential of bovine's client-to-server protocol (Moo-Auth-1).
* Everything else goes over HTTPS to the running server as that actor's client, with
  `bovine.BovineClient` signing with Moo-Auth-1: activities are POSTed to the actor's outbox
  (bovine then assigns ids and delivers them, signed with the actor's RSA key), the inbox is read
  as an OrderedCollection, and objects are resolved through the actor's `proxyUrl` endpoint (the
  server returns its stored copy or fetches it with a signed GET as the actor).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _bovine_offline import install_offline_jsonld  # noqa: E402

install_offline_jsonld()

import aiohttp  # noqa: E402
from tortoise import Tortoise  # noqa: E402

from bovine import BovineClient  # noqa: E402
from bovine.crypto import generate_ed25519_private_key, private_key_to_did_key  # noqa: E402
from bovine.types import Visibility  # noqa: E402
from bovine_store import BovineAdminStore  # noqa: E402
from bovine_store.config import tortoise_config  # noqa: E402

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
MAX_PAGES = 50


def _out(data) -> None:
    json.dump(data, sys.stdout)
    sys.stdout.write("\n")
    sys.stdout.flush()


# --- database side -----------------------------------------------------------------------------


async def create_actor(db_url: str, domain: str, handle: str) -> dict:
    await Tortoise.init(config=tortoise_config(db_url))
    try:
        await Tortoise.generate_schemas(safe=True)
        store = BovineAdminStore(domain=domain)
        bovine_name = await store.register(handle)
        secret = generate_ed25519_private_key()
        did_key = private_key_to_did_key(secret)
        await store.add_identity_string_to_actor(bovine_name, did_key.removeprefix("did:key:"), did_key)
        actor = await store.actor_for_name(bovine_name)
        try:
            obj = actor.actor_object.build(visibility=Visibility.OWNER)
        finally:
            await actor.session.close()
    finally:
        await Tortoise.close_connections()
    host = domain.split("://", 1)[-1].rstrip("/")
    return {
        "bovine_name": bovine_name,
        "handle": handle,
        "acct": f"acct:{handle}@{host}",
        "actor_id": obj["id"],
        "inbox": obj["inbox"],
        "outbox": obj["outbox"],
        "followers": obj["followers"],
        "following": obj["following"],
        "proxy_url": obj.get("endpoints", {}).get("proxyUrl"),
        "public_key_id": obj.get("publicKey", {}).get("id"),
        "secret": secret,
        "did_key": did_key,
    }


async def init_db(db_url: str) -> dict:
    await Tortoise.init(config=tortoise_config(db_url))
    try:
        await Tortoise.generate_schemas(safe=True)
    finally:
        await Tortoise.close_connections()
    return {"ok": True}


# --- client side (Moo-Auth-1 over HTTPS) -------------------------------------------------------


async def _json(response: aiohttp.ClientResponse) -> dict:
    text = await response.text()
    if response.status >= 400:
        raise RuntimeError(f"{response.method} {response.url} -> {response.status}: {text[:500]}")
    return json.loads(text) if text else {}


async def _get(client: BovineClient, url: str) -> dict:
    return await _json(await client.client.get(url))


async def _collection_ids(client: BovineClient, url: str, limit: int) -> list[str]:
    """Ids in a bovine OrderedCollection, newest first (bovine pages with ?first=1 / ?min_id=)."""
    data = await _get(client, url)
    ids: list[str] = []

    def take(page: dict) -> None:
        for item in page.get("orderedItems", page.get("items", [])) or []:
            ids.append(item if isinstance(item, str) else item.get("id"))

    if "orderedItems" in data or "items" in data:
        take(data)
        return ids[:limit]
    nxt = data.get("first")
    pages = 0
    while nxt and len(ids) < limit and pages < MAX_PAGES:
        page = await _get(client, nxt if isinstance(nxt, str) else nxt.get("id"))
        before = len(ids)
        take(page)
        if len(ids) == before:
            break
        nxt = page.get("next")
        pages += 1
    return ids[:limit]


async def _proxy(client: BovineClient, url: str) -> dict | None:
    try:
        return await client.proxy(url)
    except aiohttp.ClientResponseError as exc:
        if exc.status == 404:
            return None
        raise


async def _send(client: BovineClient, activity: dict) -> dict:
    response = await client.send_to_outbox(activity)
    text = await response.text()
    if response.status >= 400:
        raise RuntimeError(f"POST outbox -> {response.status}: {text[:500]}")
    location = response.headers.get("location")
    stored = await _get(client, location) if location else None
    return {"id": location, "activity": stored or activity}


async def run_client(args) -> dict | list:
    async with BovineClient(domain=args.domain, secret=args.secret) as client:
        me = client.information
        activity_factory, object_factory = client.factories

        if args.cmd == "whoami":
            return me

        if args.cmd == "follow":
            return await _send(client, activity_factory.follow(args.target).build())

        if args.cmd == "unfollow":
            for activity_id in await _collection_ids(client, me["outbox"], args.limit):
                activity = await _get(client, activity_id)
                if activity.get("type") == "Follow" and _id(activity.get("object")) == args.target:
                    # bovine's stored copy is compacted ("to": "<id>"), and undo() iterates to/cc:
                    # a bare string would address the Undo to its characters.
                    for key in ("to", "cc"):
                        if isinstance(activity.get(key), (str, dict)):
                            activity[key] = [activity[key]]
                    return await _send(client, activity_factory.undo(activity).build())
            raise RuntimeError(f"no Follow of {args.target} in the outbox")

        if args.cmd == "post":
            note = object_factory.note(content=args.content)
            if args.direct:
                note.to.update(args.to)
            else:
                note = note.as_public()
                note.cc.update(args.to)
            if args.in_reply_to:
                note.in_reply_to = args.in_reply_to
            result = await _send(client, activity_factory.create(note.build()).build())
            obj = result["activity"].get("object")
            result["object_id"] = _id(obj)
            return result

        if args.cmd == "accept-follows":
            accepted = []
            for activity in await _inbox(client, me, args.limit):
                if activity.get("type") != "Follow" or _id(activity.get("object")) != me["id"]:
                    continue
                if args.only and _id(activity.get("actor")) not in args.only:
                    continue
                if activity["id"] in await _already_accepted(client, me, args.limit):
                    continue
                await _send(client, activity_factory.accept(activity).build())
                accepted.append(activity["id"])
            return accepted

        if args.cmd == "inbox":
            return await _inbox(client, me, args.limit)

        if args.cmd == "outbox":
            return [await _get(client, x) for x in await _collection_ids(client, me["outbox"], args.limit)]

        if args.cmd in ("followers", "following"):
            return await _collection_ids(client, me[args.cmd], args.limit)

        if args.cmd == "fetch":
            return await _proxy(client, args.url)

        if args.cmd == "lookup":
            return await _proxy(client, args.account)

    raise SystemExit(f"unknown command {args.cmd}")


def _id(value) -> str | None:
    if isinstance(value, dict):
        return value.get("id")
    return value


async def _inbox(client: BovineClient, me: dict, limit: int) -> list[dict]:
    result = []
    for item_id in await _collection_ids(client, me["inbox"], limit):
        obj = await _proxy(client, item_id)
        result.append(obj if obj is not None else {"id": item_id})
    return result


async def _already_accepted(client: BovineClient, me: dict, limit: int) -> set[str]:
    done = set()
    for activity_id in await _collection_ids(client, me["outbox"], limit):
        activity = await _get(client, activity_id)
        if activity.get("type") == "Accept":
            done.add(_id(activity.get("object")))
    return done


def main() -> None:
    logging.basicConfig(level=os.environ.get("BOVINE_CTL_LOG_LEVEL", "WARNING"), stream=sys.stderr)
    parser = argparse.ArgumentParser(prog="_bovine_ctl")
    sub = parser.add_subparsers(dest="cmd", required=True)

    p = sub.add_parser("init-db")
    p.add_argument("--db", required=True)
    p = sub.add_parser("create-actor")
    p.add_argument("--db", required=True)
    p.add_argument("--domain", required=True, help="e.g. https://bovine.test")
    p.add_argument("--handle", required=True)

    def client_parser(name):
        p = sub.add_parser(name)
        p.add_argument("--domain", required=True)
        p.add_argument("--secret", required=True)
        p.add_argument("--limit", type=int, default=200)
        return p

    client_parser("whoami")
    client_parser("follow").add_argument("target")
    client_parser("unfollow").add_argument("target")
    p = client_parser("post")
    p.add_argument("content")
    p.add_argument("--to", action="append", default=[], help="extra recipient (cc when public)")
    p.add_argument("--direct", action="store_true", help="address only --to, not Public/followers")
    p.add_argument("--in-reply-to")
    client_parser("accept-follows").add_argument("--only", action="append", default=[])
    client_parser("inbox")
    client_parser("outbox")
    client_parser("followers")
    client_parser("following")
    client_parser("fetch").add_argument("url")
    client_parser("lookup").add_argument("account", help="acct:user@host")

    args = parser.parse_args()
    if args.cmd == "init-db":
        _out(asyncio.run(init_db(args.db)))
    elif args.cmd == "create-actor":
        _out(asyncio.run(create_actor(args.db, args.domain, args.handle)))
    else:
        _out(asyncio.run(run_client(args)))


if __name__ == "__main__":
    main()
