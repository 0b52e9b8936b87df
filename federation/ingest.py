"""Bringing remote objects in: the protocol half of taking a post from another server.

Parse once, check that the post lives on its author's host, fetch the author, a few ancestors and
the first replies, resolve a URL someone searched for. What the instance then does with the post
(content rules, mentions, whether anybody wants it) is server/domain/remote_posts.py. The inbox,
web search, API search and the content-rule review queue all come through here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any

from federation import parse
from federation.fetch import FetchError, fetch_actor, fetch_document
from federation.runtime import Federation
from server.domain import remote_posts
from server.domain.inbound import Parent
from server.domain.remote_posts import Outcome
from server.models import Account, Visibility
from server.store import accounts as accounts_store
from server.store import statuses as statuses_store

log = logging.getLogger(__name__)
MAX_THREAD_DEPTH = 8  # ancestors fetched for a reply whose parent we do not have
MAX_REPLIES_FETCHED = 20


class Reject(Exception):
    """Permanently refused: the object or activity breaks a rule."""


class Retry(Exception):
    """Transient failure (a fetch): try again later."""


def note_of(doc: dict[str, Any]) -> parse.RemoteNote:
    try:
        return parse.as_object_to_note(doc)
    except parse.Malformed as exc:
        raise Reject(str(exc)) from None


async def account_for(fed: Federation, uri: str) -> Account:
    try:
        return await fetch_actor(fed, uri)
    except FetchError as exc:
        raise Retry(str(exc)) from None


async def fetch(fed: Federation, uri: str) -> dict[str, Any]:
    try:
        return await fetch_document(fed, uri)
    except FetchError as exc:
        raise Retry(f"could not fetch {uri[:200]}: {exc}") from None


async def status_ref(fed: Federation, uri: str) -> Parent | None:
    """A status we have, local or remote, by its ActivityPub id."""
    local_id = fed.urls.local_status_id(uri)
    if local_id is not None:
        author = await statuses_store.author_of(fed.pool, local_id)
        return Parent(local_id, author) if author is not None else None
    found = await statuses_store.find_by_uri(fed.pool, uri)
    return Parent(found.id, found.account_id) if found and not found.deleted else None


async def visibility_of(fed: Federation, to: list[str], cc: list[str], author: Account) -> Visibility:
    return parse.visibility_of(to, cc, await accounts_store.followers_url(fed.pool, author.id))


async def _parent(fed: Federation, note: parse.RemoteNote, depth: int, walked: frozenset[str]) -> Parent | None:
    """The post it answers, fetched (with a few of its own ancestors) when we do not have it."""
    if not note.in_reply_to:
        return None
    parent = await status_ref(fed, note.in_reply_to)
    if (parent is not None or depth >= MAX_THREAD_DEPTH or note.in_reply_to in walked
            or fed.urls.local_status_id(note.in_reply_to)):
        return parent
    try:
        parent_doc = await fetch_document(fed, note.in_reply_to)
        if await import_note(fed, parent_doc, depth=depth + 1, walked=walked | {note.in_reply_to}):
            return await status_ref(fed, note.in_reply_to)
    except (FetchError, Reject, Retry) as exc:
        log.info("thread context %s not fetched: %s", note.in_reply_to[:200], exc)
    return None


async def import_note(fed: Federation, doc: dict[str, Any], *, depth: int = 0, via: Account | None = None,
                      released: bool = False, walked: frozenset[str] = frozenset()) -> int | None:
    """Take in a Note-like object whose origin is already established; returns its id if stored.

    `depth` > 0 marks thread context (an ancestor, a reply, a search result): kept even if nobody
    here follows its author. `via` is who passed it on (a booster, a group relaying it). A post a
    moderator `released` from the review queue skips the content rules; if we already hold an
    earlier version, it is the held edit that is applied. `walked` stops a reply cycle.
    """
    note = note_of(doc)
    if parse.host_of(note.attributed_to) != parse.host_of(note.uri):
        raise Reject("the object is not on its author's host")
    author = await account_for(fed, note.attributed_to)
    if released:
        found = await statuses_store.find_by_uri(fed.pool, note.uri)
        if found is not None and found.account_id == author.id and not found.deleted:
            await apply_edit(fed, found.id, author, note, doc, released=True)
            return found.id
    parent = await _parent(fed, note, depth, walked | {note.uri})
    policy = await fed.policies.for_host(parse.host_of(note.uri))
    if policy is not None and policy.reject_media:
        note = replace(note, attachments=[])
    visibility = await visibility_of(fed, note.to, note.cc, author)
    received = await remote_posts.receive(fed.pool, fed.urls, author, note, visibility, doc, parent=parent,
                                          via=via, context=depth > 0, released=released)
    if received.outcome is Outcome.UNWANTED:
        log.debug("dropping %s: nobody here follows or is addressed", note.uri)
    return received.status_id


async def apply_edit(fed: Federation, status_id: int, author: Account, note: parse.RemoteNote, doc: dict[str, Any],
                     *, released: bool = False) -> None:
    """The author's edit of a post we keep; refused with Reject when a content rule rejects it."""
    visibility = await visibility_of(fed, note.to, note.cc, author)
    received = await remote_posts.receive_edit(fed.pool, status_id, author, note, visibility, doc, released=released)
    if received.outcome is Outcome.REFUSED:
        raise Reject(f"the edit breaks the content rule {received.rule!r}")


async def _replies_page(fed: Federation, doc: dict[str, Any]) -> list[Any]:
    """The items of the first non-empty page of a post's `replies` collection."""
    collection = doc.get("replies")
    if isinstance(collection, str):
        collection = await fetch_document(fed, collection)
    page = None
    if isinstance(collection, dict):
        has_items = collection.get("items") or collection.get("orderedItems")
        page = collection if has_items else collection.get("first")
    if isinstance(page, str):
        page = await fetch_document(fed, page)
    empty = isinstance(page, dict) and not (page.get("items") or page.get("orderedItems"))
    if empty and isinstance(page.get("next"), str):
        page = await fetch_document(fed, page["next"])  # Mastodon's first page holds only self-replies
    items = (page.get("items") or page.get("orderedItems") or []) if isinstance(page, dict) else []
    return items if isinstance(items, list) else []


async def fetch_replies(fed: Federation, doc: dict[str, Any]) -> int:
    """Bring in the first replies a remote post lists (bounded), each fetched from its own origin.
    Returns how many were stored."""
    try:
        items = await _replies_page(fed, doc)
    except FetchError as exc:
        log.info("replies of %s not fetched: %s", str(doc.get("id"))[:200], exc)
        return 0
    stored = 0
    for item in items[:MAX_REPLIES_FETCHED]:
        reply_id = parse.optional_id(item)
        if reply_id is None or await status_ref(fed, reply_id):
            continue
        try:
            if await import_note(fed, await fetch_document(fed, reply_id), depth=1):
                stored += 1
        except (FetchError, Reject, Retry) as exc:
            log.info("reply %s not fetched: %s", reply_id[:200], exc)
    return stored


@dataclass(frozen=True)
class Resolved:
    """What a URL names: an account, or a post (by id), or nothing we can show."""

    account: Account | None = None
    status_id: int | None = None


async def resolve_url(fed: Federation, url: str, *, fetch_remote: bool = True) -> Resolved:
    """An actor or a post found by its URL: ours, already known, or (when `fetch_remote`) fetched
    from its server with its first replies. Raises FetchError when it cannot be had."""
    username = fed.urls.local_username(url)
    if username:
        return Resolved(account=await accounts_store.get_local(fed.pool, username))
    status_id = fed.urls.local_status_id(url)
    if status_id is not None:
        return Resolved(status_id=status_id)
    found = await statuses_store.find_by_uri(fed.pool, url)
    if found is not None:
        return Resolved(status_id=found.id)
    known = await accounts_store.get_by_uri(fed.pool, url)
    if known is not None:
        return Resolved(account=known)
    if not fetch_remote:
        return Resolved()
    doc = await fetch_document(fed, url)
    if doc.get("type") in parse.ACTOR_TYPES:
        return Resolved(account=await fetch_actor(fed, url))
    if doc.get("type") not in parse.NOTE_TYPES:
        return Resolved()
    try:
        status_id = await import_note(fed, doc, depth=1)
    except (Reject, Retry) as exc:
        raise FetchError(str(exc)) from None
    await fetch_replies(fed, doc)
    if status_id is None:  # stored before under its canonical id
        found = await statuses_store.find_by_uri(fed.pool, str(doc.get("id", "")))
        status_id = found.id if found else None
    return Resolved(status_id=status_id)
