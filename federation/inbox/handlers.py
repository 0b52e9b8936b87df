"""One small handler per activity type, dispatched by the inbox worker.

Each handler converts the activity, authorises it (origin rules: who may say what about which
object), and calls one domain use case. `Reject` means the activity is bad and will never be
applied; `Retry` means something transient failed (a fetch) and it should be tried again.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from federation import outbound, parse
from federation.fetch import FetchError, fetch_actor, fetch_document
from federation.service import Federation
from server.domain import content_rules, inbound, polls
from server.errors import Invalid
from server.models import Account, Visibility
from server.store import accounts as accounts_store
from server.store import content_rules as content_rules_store
from server.store import follows as follows_store
from server.store import interactions
from server.store import statuses as statuses_store
from server.text.sanitize import strip_html

log = logging.getLogger(__name__)
MAX_THREAD_DEPTH = 8  # ancestors fetched for a reply whose parent we do not have


class Reject(Exception):
    """Permanently refused: the activity breaks a rule."""


class Retry(Exception):
    """Transient failure: try again later."""


@dataclass(frozen=True)
class Incoming:
    fed: Federation
    actor: Account
    activity: dict[str, Any]

    @property
    def id(self) -> str:
        return self.activity["id"]

    @property
    def host(self) -> str:
        return parse.host_of(self.actor.uri or "")


Handler = Callable[[Incoming], Awaitable[None]]
HANDLERS: dict[str, Handler] = {}


def handles(*kinds: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        for kind in kinds:
            HANDLERS[kind] = fn
        return fn

    return register


def _object(incoming: Incoming) -> Any:
    obj = incoming.activity.get("object")
    if obj is None:
        raise Reject("activity has no object")
    return obj


def _object_id(obj: Any) -> str:
    try:
        return parse.object_id(obj)
    except parse.Invalid as exc:
        raise Reject(str(exc)) from None


async def _local_target(incoming: Incoming, uri: str) -> Account:
    username = incoming.fed.urls.local_username(uri)
    account = await accounts_store.get_local(incoming.fed.pool, username) if username else None
    if account is None:
        raise Reject(f"{uri[:200]} is not one of our members")
    return account


async def _origin_object(incoming: Incoming, obj: Any) -> dict[str, Any]:
    """The object as its origin serves it: embedded copies are trusted only from the object's own host."""
    object_id = _object_id(obj)
    if isinstance(obj, dict) and parse.host_of(object_id) == incoming.host:
        return obj
    try:
        return await fetch_document(incoming.fed, object_id)
    except FetchError as exc:
        raise Retry(f"could not fetch {object_id[:200]}: {exc}") from None


async def _account_for(fed: Federation, uri: str) -> Account:
    try:
        return await fetch_actor(fed, uri)
    except FetchError as exc:
        raise Retry(str(exc)) from None


async def _status_ref(fed: Federation, uri: str) -> tuple[int, int] | None:
    """(id, author id) of a status we have, local or remote."""
    local_id = fed.urls.local_status_id(uri)
    if local_id is not None:
        author = await statuses_store.author_of(fed.pool, local_id)
        return (local_id, author) if author is not None else None
    found = await statuses_store.find_by_uri(fed.pool, uri)
    return (found[0], found[1]) if found and not found[2] else None


# --- posts ---------------------------------------------------------------------------------


def _subject(note: parse.RemoteNote, author: Account, visibility: Visibility) -> content_rules.Subject:
    age = (datetime.now(UTC) - author.created_at).total_seconds() / 86400
    return content_rules.Subject(
        uri=note.uri, origin="remote", domain=(author.domain or "").lower(), actor=author.uri or "",
        text=strip_html(note.content), content_warning=note.spoiler_text, display_name=author.display_name,
        bio=strip_html(author.note), hashtags=tuple(note.hashtags), mentions=len(note.mentions),
        account_age_days=max(age, 0.0), has_media=bool(note.attachments), visibility=visibility.value,
    )


async def store_note(fed: Federation, doc: dict[str, Any], *, depth: int = 0, via: Account | None = None,
                     released: bool = False, walked: frozenset[str] = frozenset()) -> int | None:
    """Store a Note-like object whose origin is already established; fetches a few ancestors.

    `via` is who passed it on (a booster, or a group relaying it): their followers want it too.
    The instance's content rules apply first, unless a moderator `released` it from the review queue.
    `walked` holds the ids already met on this walk up the thread: a reply cycle stops there.
    """
    try:
        note = parse.as_object_to_note(doc)
    except parse.Invalid as exc:
        raise Reject(str(exc)) from None
    if parse.host_of(note.attributed_to) != parse.host_of(note.uri):
        raise Reject("the object is not on its author's host")
    author = await _account_for(fed, note.attributed_to)
    if released:
        found = await statuses_store.find_by_uri(fed.pool, note.uri)
        if found is not None and found[1] == author.id and not found[2]:  # a held edit, now approved
            await apply_edit(fed, found[0], author, note, doc, released=True)
            return found[0]
    parent = await _status_ref(fed, note.in_reply_to) if note.in_reply_to else None
    walked = walked | {note.uri}
    if (note.in_reply_to and parent is None and depth < MAX_THREAD_DEPTH and note.in_reply_to not in walked
            and not fed.urls.local_status_id(note.in_reply_to)):
        try:
            parent_doc = await fetch_document(fed, note.in_reply_to)
            parent_id = await store_note(fed, parent_doc, depth=depth + 1, walked=walked | {note.in_reply_to})
            parent = await _status_ref(fed, note.in_reply_to) if parent_id else None
        except (FetchError, Reject, Retry) as exc:
            log.info("thread context %s not fetched: %s", note.in_reply_to[:200], exc)
    policy = await fed.policies.for_host(parse.host_of(note.uri))
    if policy is not None and policy.reject_media:
        note = replace(note, attachments=[])
    visibility = await _visibility(fed, note, author)
    if not released:
        decision = await content_rules.check(fed.pool, _subject(note, author, visibility))
        if decision.reject:
            return None
        if decision.hold:
            await content_rules_store.hold(fed.pool, decision.hold, doc)
            return None
        note, visibility = content_rules.applied(decision, note, visibility)
    local_mentions, remote_mentions = [], []
    for uri in note.mentions:
        username = fed.urls.local_username(uri)
        if username:
            account = await accounts_store.get_local(fed.pool, username)
            if account:
                local_mentions.append(account)
        else:
            known = await accounts_store.get_by_uri(fed.pool, uri)
            if known:
                remote_mentions.append(known.id)
    wanted = (
        depth > 0 or local_mentions or (parent and await _is_local_account(fed, parent[1]))
        or await follows_store.local_follower_ids(fed.pool, author.id)
        or (via is not None and await follows_store.local_follower_ids(fed.pool, via.id))
    )
    if not wanted:
        log.debug("dropping %s: nobody here follows or is addressed", note.uri)
        return None
    return await inbound.store_status(
        fed.pool, author, note, visibility, local_mentions=local_mentions, remote_mentions=remote_mentions,
        parent=parent, raw=doc,
    )


async def _visibility(fed: Federation, note: parse.RemoteNote, author: Account) -> Visibility:
    followers_url = (await accounts_store.delivery_target(fed.pool, author.id))[2]
    return parse.visibility_of(note.to, note.cc, followers_url)


async def apply_edit(fed: Federation, status_id: int, author: Account, note: parse.RemoteNote, doc: dict[str, Any],
                     *, released: bool = False) -> None:
    """The author's edit of a post we keep. The content rules judge it as they judge a new post (an
    edit cannot get round them): refused, held for review (the earlier version stays), or adjusted."""
    if not released:
        visibility = await _visibility(fed, note, author)
        decision = await content_rules.check(fed.pool, replace(_subject(note, author, visibility), activity="Update"))
        if decision.reject:
            raise Reject(f"the edit breaks the content rule {decision.hits[-1][0]!r}")
        if decision.hold:
            await content_rules_store.hold(fed.pool, decision.hold, doc)
            return
        note, _ = content_rules.applied(decision, note, visibility)
    await inbound.edit_status(fed.pool, status_id, note)


async def _is_local_account(fed: Federation, account_id: int) -> bool:
    account = await accounts_store.get_by_id(fed.pool, account_id)
    return account is not None and account.is_local


@handles("Create")
async def on_create(incoming: Incoming) -> None:
    obj = _object(incoming)
    doc = await _origin_object(incoming, obj)
    if not isinstance(doc, dict) or doc.get("type") not in parse.NOTE_TYPES:
        return  # a Create of something we do not show (e.g. ChatMessage): ignored cleanly
    attributed = parse.as_object_to_note(doc).attributed_to if doc.get("attributedTo") else None
    if attributed != incoming.actor.uri:
        raise Reject("a Create's object must be attributed to its actor")
    if await _poll_vote(incoming, doc):
        return
    await store_note(incoming.fed, doc)


async def _poll_vote(incoming: Incoming, doc: dict[str, Any]) -> bool:
    """A vote on one of our polls: a Note named after an option, replying to the Question."""
    fed = incoming.fed
    name, parent = doc.get("name"), parse.optional_id(doc.get("inReplyTo"))
    status_id = fed.urls.local_status_id(parent) if parent else None
    if not isinstance(name, str) or status_id is None or doc.get("content"):
        return False
    try:
        return await polls.remote_vote(fed.pool, incoming.actor, status_id, name)
    except Invalid as exc:
        raise Reject(exc.message) from None


@handles("Update")
async def on_update(incoming: Incoming) -> None:
    obj = _object(incoming)
    object_id = _object_id(obj)
    if object_id == incoming.actor.uri:
        if not isinstance(obj, dict):
            await _account_for(incoming.fed, object_id)
            return
        try:
            actor = parse.as_actor_to_remote(obj)
        except parse.Invalid as exc:
            raise Reject(str(exc)) from None
        await accounts_store.upsert_remote(incoming.fed.pool, actor)
        return
    if isinstance(obj, dict) and obj.get("type") in parse.ACTOR_TYPES:
        raise Reject("an actor may update only itself")
    if parse.host_of(object_id) != incoming.host:
        raise Reject("an actor may update only its own objects")
    if not isinstance(obj, dict) or obj.get("type") not in parse.NOTE_TYPES:
        return  # an update of something we do not keep
    doc = await _origin_object(incoming, obj)
    try:
        note = parse.as_object_to_note(doc)
    except parse.Invalid as exc:
        raise Reject(str(exc)) from None
    if note.attributed_to != incoming.actor.uri:
        raise Reject("only the author may edit a post")
    found = await statuses_store.find_by_uri(incoming.fed.pool, note.uri)
    if found is None or found[1] != incoming.actor.id or found[2]:
        return  # an edit of something we never stored
    await apply_edit(incoming.fed, found[0], incoming.actor, note, doc)


@handles("Delete")
async def on_delete(incoming: Incoming) -> None:
    object_id = _object_id(_object(incoming))
    if object_id == incoming.actor.uri:
        await inbound.delete_account(incoming.fed.pool, incoming.actor)
        incoming.fed.keys.drop_owner(incoming.actor.id)  # its key signs nothing here any more
        return
    if parse.host_of(object_id) != incoming.host:
        raise Reject("an actor may delete only its own objects")
    await inbound.delete_status(incoming.fed.pool, incoming.actor, object_id)


# --- relationships -------------------------------------------------------------------------


@handles("Follow")
async def on_follow(incoming: Incoming) -> None:
    fed = incoming.fed
    target = await _local_target(incoming, _object_id(_object(incoming)))
    policy = await fed.policies.for_host(incoming.host)
    limited = policy is not None and policy.severity == "limit"  # their follows need approval
    state = await inbound.remote_follow(fed.pool, incoming.actor, target, incoming.id, needs_approval=limited)
    if state == "accepted":
        await send_follow_answer(fed, target, incoming.actor, incoming.activity, accept=True)
    elif state == "blocked":
        await send_follow_answer(fed, target, incoming.actor, incoming.activity, accept=False)


async def send_follow_answer(fed: Federation, target: Account, follower: Account, follow: dict[str, Any],
                             *, accept: bool) -> None:
    async with fed.pool.acquire() as conn, conn.transaction():
        await outbound.follow_answered(conn, fed.urls, target, follower, follow["id"], accept=accept)


async def _our_follow(incoming: Incoming) -> tuple[int, Account] | None:
    """(local follower id, followed) for the Follow an Accept/Reject answers.

    By the Follow's id when it names a follow row of ours; otherwise, as Mastodon does, by the
    follower it names and the answering actor: Takahē keeps a Follow's first id across re-follows.
    """
    fed = incoming.fed
    obj = _object(incoming)
    follow_uri = parse.optional_id(obj)
    follow_id = fed.urls.local_follow_id(follow_uri) if follow_uri else None
    if follow_id is not None:
        follower_id = await follows_store.follower_of(fed.pool, follow_id, incoming.actor.id)
        if follower_id is not None:
            return follower_id, incoming.actor
    follower_uri = parse.optional_id(obj.get("actor")) if isinstance(obj, dict) else None
    if follower_uri is None and follow_uri is not None and follow_id is not None:
        follower_uri = follow_uri.rsplit("/follows/", 1)[0]  # our Follow ids are <member>/follows/<row id>
    if follower_uri is None:
        return None
    follower = await _local_target(incoming, follower_uri)
    return follower.id, incoming.actor


@handles("Accept")
async def on_accept(incoming: Incoming) -> None:
    found = await _our_follow(incoming)
    if found is None:
        return  # not an answer to a follow of ours (or already undone)
    await inbound.follow_accepted(incoming.fed.pool, found[0], found[1])


@handles("Reject")
async def on_reject(incoming: Incoming) -> None:
    found = await _our_follow(incoming)
    if found is not None:
        await inbound.remove_follow(incoming.fed.pool, found[0], found[1].id)


@handles("Undo")
async def on_undo(incoming: Incoming) -> None:
    fed = incoming.fed
    obj = _object(incoming)
    inner_id = _object_id(obj)
    if parse.host_of(inner_id) != incoming.host:
        raise Reject("an actor may undo only its own activities")
    kind = obj.get("type") if isinstance(obj, dict) else None
    if isinstance(obj, dict) and obj.get("actor") not in (None, incoming.actor.uri):
        raise Reject("an actor may undo only its own activities")
    if kind == "Follow":
        target = await _local_target(incoming, _object_id(obj.get("object")))
        await inbound.remove_follow(fed.pool, incoming.actor.id, target.id)
    elif kind in ("Like", "EmojiReact"):  # Misskey's and Akkoma's reactions counted as favourites
        reacted_to = parse.optional_id(obj.get("object"))
        found = await _status_ref(fed, reacted_to) if reacted_to else None
        await inbound.unfavourite(fed.pool, incoming.actor, inner_id, found[0] if found else None)
    elif kind is None:  # only the id of the undone activity: whichever of ours it names goes
        await inbound.unfavourite(fed.pool, incoming.actor, inner_id, None)
        await inbound.unboost(fed.pool, incoming.actor, inner_id)
        follow = await fed.pool.fetchval(
            "SELECT target_account_id FROM follows WHERE account_id = $1 AND uri = $2", incoming.actor.id, inner_id
        )
        if follow is not None:
            await inbound.remove_follow(fed.pool, incoming.actor.id, follow)
    elif kind == "Announce":
        await inbound.unboost(fed.pool, incoming.actor, inner_id)
    elif kind == "Block":
        target = await _local_target(incoming, _object_id(obj.get("object")))
        await interactions.remove_block(fed.pool, incoming.actor.id, target.id)


@handles("Block")
async def on_block(incoming: Incoming) -> None:
    target = await _local_target(incoming, _object_id(_object(incoming)))
    await inbound.block(incoming.fed.pool, incoming.actor, target, incoming.id)


# --- reactions -----------------------------------------------------------------------------


@handles("Like", "EmojiReact")
async def on_like(incoming: Incoming) -> None:
    found = await _status_ref(incoming.fed, _object_id(_object(incoming)))
    if found is None or not await _is_local_account(incoming.fed, found[1]):
        return  # we only keep reactions to our members' posts
    await inbound.favourite(incoming.fed.pool, incoming.actor, found[0], incoming.id)


@handles("Announce")
async def on_announce(incoming: Incoming) -> None:
    fed = incoming.fed
    obj = _object(incoming)
    if isinstance(obj, dict) and obj.get("type") in ("Create", "Update"):
        await _relayed(incoming, obj)  # FEP-1b12: a group relaying its members' posts
        return
    if isinstance(obj, dict) and obj.get("type") in parse.ACTIVITY_TYPES:
        return  # relayed likes, deletes and the rest: the origin tells us itself
    object_id = _object_id(obj)
    found = await _status_ref(fed, object_id)
    if found is None:
        if not await follows_store.local_follower_ids(fed.pool, incoming.actor.id):
            return
        doc = await _origin_object(incoming, object_id)  # never trust an embedded boosted post
        await store_note(fed, doc, depth=1)
        found = await _status_ref(fed, doc.get("id", object_id))
        if found is None:
            return
    activity = incoming.activity
    visibility = parse.visibility_of(parse.id_list(activity.get("to") or []), parse.id_list(activity.get("cc") or []),
                                     (await accounts_store.delivery_target(fed.pool, incoming.actor.id))[2])
    published = parse.timestamp(activity.get("published"))
    await inbound.boost(fed.pool, incoming.actor, found[0], incoming.id, visibility, published)


async def _relayed(incoming: Incoming, inner: dict[str, Any]) -> None:
    """A post passed on by a group: fetched from its own origin, kept if the group's followers want it."""
    fed = incoming.fed
    inner_object = inner.get("object")
    object_id = _object_id(inner_object)
    inner_actor = parse.optional_id(inner.get("actor"))
    if inner_actor is None or parse.host_of(inner_actor) != parse.host_of(object_id):
        raise Reject("a relayed activity's object is not on its actor's host")
    try:
        doc = await fetch_document(fed, object_id)
    except FetchError as exc:
        raise Retry(f"could not fetch {object_id[:200]}: {exc}") from None
    if doc.get("type") not in parse.NOTE_TYPES:
        return
    if parse.as_object_to_note(doc).attributed_to != inner_actor:
        raise Reject("the relayed post is not attributed to the relayed activity's actor")
    found = await _status_ref(fed, doc["id"])
    if found is None:
        await store_note(fed, doc, via=incoming.actor)
    elif inner.get("type") == "Update":
        note = parse.as_object_to_note(doc)
        await inbound.edit_status(fed.pool, found[0], note)


@handles("Flag")
async def on_flag(incoming: Incoming) -> None:
    fed = incoming.fed
    policy = await fed.policies.for_host(incoming.host)
    if policy is not None and policy.reject_reports:
        return  # this instance does not take reports from that domain
    targets = parse.id_list(incoming.activity.get("object") or [], 100)
    reported: Account | None = None
    status_ids: list[int] = []
    for uri in targets:
        username = fed.urls.local_username(uri)
        if username and reported is None:
            reported = await accounts_store.get_local(fed.pool, username)
            continue
        local_status = fed.urls.local_status_id(uri)
        if local_status is not None:
            status_ids.append(local_status)
    if reported is None:
        return  # reports only about remote accounts are not ours to handle
    comment = incoming.activity.get("content")
    await interactions.add_report(
        fed.pool, reporter_id=incoming.actor.id, target_id=reported.id, status_ids=status_ids,
        comment=comment[:5000] if isinstance(comment, str) else "", uri=incoming.id, origin_domain=incoming.host,
    )


@handles("Move")
async def on_move(incoming: Incoming) -> None:
    fed = incoming.fed
    if _object_id(_object(incoming)) != incoming.actor.uri:
        raise Reject("an actor may move only itself")
    target_uri = incoming.activity.get("target")
    if not isinstance(target_uri, str):
        raise Reject("Move needs a target")
    try:
        target = await fetch_actor(fed, target_uri, refresh=True)
    except FetchError as exc:
        raise Retry(str(exc)) from None
    aliases = await fed.pool.fetchval("SELECT also_known_as FROM accounts WHERE id = $1", target.id)
    if incoming.actor.uri not in (aliases or []):
        raise Reject("the Move target does not list the old account in alsoKnownAs")
    await fed.pool.execute("UPDATE accounts SET moved_to_uri = $2 WHERE id = $1", incoming.actor.id, target_uri)


async def dispatch(incoming: Incoming) -> None:
    """Run the handler for the activity's type; unknown types are ignored cleanly."""
    handler = HANDLERS.get(incoming.activity.get("type", ""))
    if handler is None:
        log.debug("ignoring activity of type %r", incoming.activity.get("type"))
        return
    await handler(incoming)


MAX_REPLIES_FETCHED = 20


async def fetch_replies(fed: Federation, doc: dict[str, Any]) -> int:
    """Bring in the first replies a remote post's `replies` collection lists (first page, bounded);
    each is fetched from its own origin. Returns how many were stored."""
    collection = doc.get("replies")
    try:
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
    except FetchError as exc:
        log.info("replies of %s not fetched: %s", str(doc.get("id"))[:200], exc)
        return 0
    items = (page.get("items") or page.get("orderedItems") or []) if isinstance(page, dict) else []
    stored = 0
    for item in items[:MAX_REPLIES_FETCHED] if isinstance(items, list) else []:
        reply_id = parse.optional_id(item)
        if reply_id is None or await _status_ref(fed, reply_id):
            continue
        try:
            if await store_note(fed, await fetch_document(fed, reply_id), depth=1):
                stored += 1
        except (FetchError, Reject, Retry) as exc:
            log.info("reply %s not fetched: %s", reply_id[:200], exc)
    return stored
