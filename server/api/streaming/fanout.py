"""Who receives what: one announced change turned into frames for the connected clients.

A new or edited status goes to a subscription only if the REST timeline behind that stream would
show it to that reader: the same store query is asked about this one status (`on_timeline`), so
the visibility rule, blocks, exclusive lists and list reply policies cannot drift apart between
streaming and the timelines. A cheap batched check first (`could_match`) skips the subscriptions
that cannot match. The entity is rendered for each reader, so `favourited` and the rest are theirs.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import asyncpg

from server.api import entities
from server.api.announcements import announcements_to_api, custom_emoji_files, reaction_to_api
from server.api.streaming.streams import Stream
from server.models import Status
from server.store import announcements as announcements_store
from server.store import conversations as conversations_store
from server.store import follows as follows_store
from server.store import home_feed, threads
from server.store import lists as lists_store
from server.store import mutes as mutes_store
from server.store import notifications as notifications_store
from server.store import statuses as statuses_store
from server.store.paging import Page
from server.urls import Urls

if TYPE_CHECKING:
    from server.api.streaming.hub import Client

# Notification types Mastodon clients know; our 'reply' arrives already renamed 'mention'.
NOTIFICATION_TYPES = frozenset({"mention", "status", "reblog", "follow", "follow_request", "favourite", "poll",
                                "update"})


def could_match(stream: Stream, facts: statuses_store.Facts, account_id: int | None, home: set[int],
                lists: set[int]) -> bool:
    """Whether a status may belong on a subscription, from what is known without asking per reader.
    `home` holds the members whose home feed has (or, for a delete, may have had) it; `lists` the
    subscribed lists that include its author. Deletes go by this alone; they are only an id."""
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


async def on_timeline(pool: asyncpg.Pool, stream: Stream, status_id: int, viewer_id: int | None) -> Status | None:
    """The status if the stream's REST timeline shows it to this reader (asked with a one-id page)."""
    page = Page(max_id=status_id + 1, since_id=status_id - 1, limit=1)
    if stream.name == "user" and viewer_id is not None:
        found = await home_feed.timeline(pool, viewer_id, page)
    elif stream.name == "list" and viewer_id is not None and stream.key is not None:
        found = await lists_store.timeline(pool, int(stream.key), viewer_id, page)
    elif stream.name.startswith("public"):
        found = await statuses_store.public_timeline(pool, page, local=stream.local is not False,
                                                     remote=stream.local is not True, viewer_id=viewer_id)
    elif stream.name.startswith("hashtag") and stream.key is not None:
        found = [s for s in await statuses_store.tag_timeline(pool, stream.key, page, viewer_id)
                 if stream.local is None or s.is_local]
    else:
        return None
    return found[0] if found else None


async def visible_status(pool: asyncpg.Pool, status_id: int, viewer_id: int | None) -> Status | None:
    """The status as the viewer may see it (a boost with what it boosts), or None."""
    status = await statuses_store.get_visible(pool, status_id, viewer_id)
    if status is not None and status.reblog_of_id is not None:
        original = await statuses_store.get_visible(pool, status.reblog_of_id, viewer_id)
        status = replace(status, reblog=original) if original is not None else None
    return status


async def _possible_readers(pool: asyncpg.Pool, facts: statuses_store.Facts, members: set[int]) -> set[int]:
    """Those of `members` whose home feed may have held a status now deleted (its feed rows are gone):
    the author, the mentioned, and followers unless it was direct."""
    found = {a for a in members if a == facts.author_id or a in facts.mentions}
    if facts.visibility != "direct":
        found |= await follows_store.followers_among(pool, facts.author_id, members - found)
    return found


async def status_event(pool: asyncpg.Pool, urls: Urls, clients: list[Client], event: str, status_id: int) -> None:
    facts = await statuses_store.status_facts(pool, status_id)
    if facts is None or (facts.deleted and event != "delete"):
        return
    subs = [(c, s) for c in clients for s in c.streams if s.name != "user:notification"]
    if not subs:
        return
    members = {c.account_id for c, s in subs if s.name in ("user", "list") and c.account_id is not None}
    if event == "delete":  # its feed rows went with it: reach everyone who may have had it
        home = await _possible_readers(pool, facts, members)
    else:
        home = await home_feed.home_readers(pool, status_id, members)
    list_ids = {int(s.key) for _, s in subs if s.name == "list" and s.key is not None}
    lists = await lists_store.lists_with_member(pool, list_ids, facts.author_id)
    targets = [(c, s) for c, s in subs if could_match(s, facts, c.account_id, home, lists)]
    if event == "delete":
        for client, stream in targets:
            client.send(stream, "delete", str(status_id))
        return
    authors = {facts.author_id} | ({facts.reblog_author_id} if facts.reblog_author_id else set())
    muted = await mutes_store.muting(pool, {c.account_id for c, _ in targets if c.account_id is not None}, authors)
    rendered: dict[int | None, str] = {}  # payloads by reader
    for client, stream in targets:
        viewer = client.account_id
        if viewer in muted:
            continue
        if stream.name == "direct":
            assert viewer is not None
            conversation = await _conversation(pool, urls, status_id, viewer)
            if conversation is not None:
                client.send(stream, "conversation", json.dumps(conversation))
            continue
        status = await on_timeline(pool, stream, status_id, viewer)
        if status is None:
            continue
        if viewer not in rendered:
            rendered[viewer] = json.dumps((await entities.statuses_to_api(pool, urls, [status], viewer))[0])
        client.send(stream, event, rendered[viewer])


async def _conversation(pool: asyncpg.Pool, urls: Urls, status_id: int, viewer_id: int) -> dict[str, Any] | None:
    """The Conversation entity /api/v1/conversations shows, if the status is in one of the viewer's."""
    root = await threads.thread_root(pool, status_id, conversations_store.MAX_DEPTH)
    found = await conversations_store.get(pool, viewer_id, root)
    if found is None or status_id not in found.status_ids:
        return None
    last = await visible_status(pool, found.last_status_id, viewer_id)
    if last is None:
        return None
    people = (await conversations_store.participants(pool, [found], viewer_id))[found.id]
    return {"id": str(found.id), "unread": found.unread,
            "accounts": list((await entities.accounts_to_api(pool, urls, people)).values()),
            "last_status": (await entities.statuses_to_api(pool, urls, [last], viewer_id))[0]}


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
        "group_key": f"ungrouped-{item['id']}", "account": await entities.account_to_api(pool, urls, item["account"]),
    }
    if item["status_id"]:
        status = await visible_status(pool, item["status_id"], account_id)
        if status is None:  # about a post they can no longer see: left out, as in the notifications API
            return
        entity["status"] = (await entities.statuses_to_api(pool, urls, [status], account_id))[0]
    payload = json.dumps(entity)
    for client, stream in targets:
        client.send(stream, "notification", payload)


async def announcement_event(pool: asyncpg.Pool, urls: Urls, clients: list[Client], event: str, announcement_id: int,
                             name: str | None) -> None:
    """To every member's `user` stream, as Mastodon sends them: the announcement (rendered once for
    all, as Mastodon does, so `read` and `me` are false; the REST API has each reader's), the id of
    one taken back, or a reaction's new count."""
    targets = [(c, s) for c in clients if c.account_id is not None for s in c.streams if s.name == "user"]
    if not targets:
        return
    if event == "announcement.delete":
        payload = str(announcement_id)
    elif event == "announcement.reaction" and name is not None:
        count = await announcements_store.reaction_count(pool, announcement_id, name)
        custom = await custom_emoji_files(pool, [name])
        payload = json.dumps({**reaction_to_api(name, count, None, custom, urls),
                              "announcement_id": str(announcement_id)})
    else:
        item = next((a for a in await announcements_store.shown(pool, None) if a.id == announcement_id), None)
        if item is None:  # a draft edited, or already taken back
            return
        payload = json.dumps((await announcements_to_api(pool, urls, [item]))[0])
    for client, stream in targets:
        client.send(stream, event, payload)
