"""Who receives what: one announced change turned into frames for the connected clients.

A status is looked up once; each subscription is matched against it (`matches`), then every
member who matched is checked with the one visibility rule (`statuses.get_visible`) and gets the
entity rendered for them, so `favourited`, `bookmarked` and the rest are theirs.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import asyncpg

from server.api import entities
from server.models import Status
from server.store import notifications as notifications_store
from server.store import statuses as statuses_store
from server.streaming import lookups
from server.streaming.streams import Stream
from server.urls import Urls

if TYPE_CHECKING:
    from server.streaming.hub import Client

# Notification types Mastodon clients know; our 'reply' arrives already renamed 'mention'.
NOTIFICATION_TYPES = frozenset({"mention", "status", "reblog", "follow", "follow_request", "favourite", "poll",
                                "update"})


def matches(stream: Stream, facts: lookups.Facts, account_id: int | None, home: set[int], lists: set[int]) -> bool:
    """Whether a status belongs on a subscription. `home` holds the members whose home feed has it,
    `lists` the subscribed lists that include its author."""
    if stream.name == "user":
        return account_id in home
    if stream.name == "list":
        return account_id in home and stream.key is not None and int(stream.key) in lists
    if stream.name == "direct":
        return facts.visibility == "direct" and (account_id == facts.author_id or account_id in facts.mentions)
    if stream.name == "user:notification":
        return False
    # Public and hashtag streams: public posts only, never boosts (Mastodon's `broadcastable?`).
    if facts.visibility != "public" or facts.reblog_of_id is not None or facts.suspended:
        return False
    if stream.local is not None and stream.local != facts.local:
        return False
    if stream.media and not facts.has_media:
        return False
    return stream.key is None or stream.key in facts.tags


async def visible_status(pool: asyncpg.Pool, status_id: int, viewer_id: int | None) -> Status | None:
    """The status as the viewer may see it (a boost with what it boosts), or None."""
    status = await statuses_store.get_visible(pool, status_id, viewer_id)
    if status is not None and status.reblog_of_id is not None:
        original = await statuses_store.get_visible(pool, status.reblog_of_id, viewer_id)
        status = replace(status, reblog=original) if original is not None else None
    return status


async def status_event(pool: asyncpg.Pool, urls: Urls, clients: list[Client], event: str, status_id: int) -> None:
    facts = await lookups.status_facts(pool, status_id)
    if facts is None or (facts.deleted and event != "delete"):
        return
    subs = [(c, s) for c in clients for s in c.streams if s.name != "user:notification"]
    if not subs:
        return
    members = {c.account_id for c, s in subs if s.name in ("user", "list") and c.account_id is not None}
    if event == "delete":  # the feed rows went with the status; deletes are only an id, so reach wider
        home = await lookups.possible_readers(pool, facts, members)
    else:
        home = await lookups.home_readers(pool, status_id, members)
    list_ids = {int(s.key) for _, s in subs if s.name == "list" and s.key is not None}
    lists = await lookups.lists_with_member(pool, list_ids, facts.author_id)
    targets = [(c, s) for c, s in subs if matches(s, facts, c.account_id, home, lists)]
    if event == "delete":
        for client, stream in targets:
            client.send(stream, "delete", str(status_id))
        return
    authors = {facts.author_id} | ({facts.reblog_author_id} if facts.reblog_author_id else set())
    muted = await lookups.muting(pool, {c.account_id for c, _ in targets if c.account_id is not None}, authors)
    rendered: dict[int | None, dict[str, Any] | None] = {}
    conversations: dict[int | None, str] = {}
    for client, stream in targets:
        viewer = client.account_id
        if viewer in muted:
            continue
        if viewer not in rendered:
            status = await visible_status(pool, status_id, viewer)
            rendered[viewer] = (await entities.statuses(pool, urls, [status], viewer))[0] if status else None
        entity = rendered[viewer]
        if entity is None:
            continue
        if stream.name == "direct":
            if viewer not in conversations:
                conversations[viewer] = json.dumps(await _conversation(pool, urls, facts, entity, viewer))
            client.send(stream, "conversation", conversations[viewer])
        else:
            client.send(stream, event, json.dumps(entity))


async def _conversation(pool: asyncpg.Pool, urls: Urls, facts: lookups.Facts, entity: dict[str, Any],
                        viewer_id: int | None) -> dict[str, Any]:
    """Mastodon's Conversation entity for the `direct` stream. Without a conversations table, a
    conversation is identified by the first post of its thread that the viewer can see."""
    earlier = await statuses_store.ancestors(pool, facts.id, viewer_id, limit=40)
    people = [a for a in await statuses_store.mentioned_accounts(pool, facts.id) if a.id != viewer_id]
    accounts = list((await entities.accounts(pool, urls, people)).values())
    if facts.author_id != viewer_id:
        accounts.insert(0, entity["account"])
    return {"id": str(earlier[0].id if earlier else facts.id), "unread": facts.author_id != viewer_id,
            "accounts": accounts, "last_status": entity}


async def notification_event(pool: asyncpg.Pool, urls: Urls, clients: list[Client], account_id: int,
                             notification_id: int) -> None:
    targets = [(c, s) for c in clients if c.account_id == account_id for s in c.streams
               if s.name == "user:notification" or (s.name == "user" and c.notifications_in_user)]
    if not targets:
        return
    item = await notifications_store.get(pool, account_id, notification_id)
    if item is None or item["type"] not in NOTIFICATION_TYPES:
        return
    entity: dict[str, Any] = {
        "id": str(item["id"]), "type": item["type"], "created_at": entities.iso(item["created_at"]),
        "group_key": f"ungrouped-{item['id']}", "account": await entities.account(pool, urls, item["account"]),
    }
    if item["status_id"]:
        status = await visible_status(pool, item["status_id"], account_id)
        if status is None:  # about a post they can no longer see: left out, as in the notifications API
            return
        entity["status"] = (await entities.statuses(pool, urls, [status], account_id))[0]
    payload = json.dumps(entity)
    for client, stream in targets:
        client.send(stream, "notification", payload)
