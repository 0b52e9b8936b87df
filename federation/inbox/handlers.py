"""One small handler per activity type, dispatched by the inbox worker.

Each handler converts the activity, authorises it (origin rules: who may say what about which
object), and calls one domain use case. `Reject` means the activity is bad and will never be
applied; `Retry` means something transient failed (a fetch) and it should be tried again.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from federation import ingest, outbound, parse
from federation.fetch import FetchError, fetch_actor
from federation.ingest import Reject, Retry, account_for, import_note, note_of, status_ref
from federation.runtime import Federation
from server.domain import inbound, moving, polls, reports
from server.errors import Invalid
from server.models import Account
from server.store import accounts as accounts_store
from server.store import follows as follows_store
from server.store import interactions
from server.store import statuses as statuses_store

log = logging.getLogger(__name__)
__all__ = ["HANDLERS", "Incoming", "Reject", "Retry", "dispatch"]


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
    except parse.Malformed as exc:
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
    return await ingest.fetch(incoming.fed, object_id)


async def _is_local_account(fed: Federation, account_id: int) -> bool:
    account = await accounts_store.get_by_id(fed.pool, account_id)
    return account is not None and account.is_local


# --- posts ---------------------------------------------------------------------------------


@handles("Create")
async def on_create(incoming: Incoming) -> None:
    obj = _object(incoming)
    doc = await _origin_object(incoming, obj)
    if not isinstance(doc, dict) or doc.get("type") not in parse.NOTE_TYPES:
        return  # a Create of something we do not show (e.g. ChatMessage): ignored cleanly
    attributed = note_of(doc).attributed_to if doc.get("attributedTo") else None
    if attributed != incoming.actor.uri:
        raise Reject("a Create's object must be attributed to its actor")
    if await _poll_vote(incoming, doc):
        return
    await import_note(incoming.fed, doc)


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
            await account_for(incoming.fed, object_id)
            return
        try:
            actor = parse.as_actor_to_remote(obj)
        except parse.Malformed as exc:
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
    note = note_of(doc)
    if note.attributed_to != incoming.actor.uri:
        raise Reject("only the author may edit a post")
    found = await statuses_store.find_by_uri(incoming.fed.pool, note.uri)
    if found is None or found.account_id != incoming.actor.id or found.deleted:
        return  # an edit of something we never stored
    await ingest.apply_edit(incoming.fed, found.id, incoming.actor, note, doc)


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


async def _our_follower(incoming: Incoming) -> int | None:
    """Which member's Follow of the answering actor an Accept/Reject answers.

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
            return follower_id
    follower_uri = parse.optional_id(obj.get("actor")) if isinstance(obj, dict) else None
    if follower_uri is None and follow_uri is not None and follow_id is not None:
        follower_uri = follow_uri.rsplit("/follows/", 1)[0]  # our Follow ids are <member>/follows/<row id>
    if follower_uri is None:
        return None
    return (await _local_target(incoming, follower_uri)).id


@handles("Accept")
async def on_accept(incoming: Incoming) -> None:
    follower_id = await _our_follower(incoming)
    if follower_id is None:
        return  # not an answer to a follow of ours (or already undone)
    await inbound.follow_accepted(incoming.fed.pool, follower_id, incoming.actor)


@handles("Reject")
async def on_reject(incoming: Incoming) -> None:
    follower_id = await _our_follower(incoming)
    if follower_id is not None:
        await inbound.remove_follow(incoming.fed.pool, follower_id, incoming.actor.id)


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
        found = await status_ref(fed, reacted_to) if reacted_to else None
        await inbound.unfavourite(fed.pool, incoming.actor, inner_id, found.id if found else None)
    elif kind is None:  # only the id of the undone activity: whichever of ours it names goes
        await inbound.unfavourite(fed.pool, incoming.actor, inner_id, None)
        await inbound.unboost(fed.pool, incoming.actor, inner_id)
        follow = await follows_store.target_by_uri(fed.pool, incoming.actor.id, inner_id)
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
    found = await status_ref(incoming.fed, _object_id(_object(incoming)))
    if found is None or not await _is_local_account(incoming.fed, found.account_id):
        return  # we only keep reactions to our members' posts
    await inbound.favourite(incoming.fed.pool, incoming.actor, found.id, incoming.id)


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
    found = await status_ref(fed, object_id)
    if found is None:
        if not await follows_store.local_follower_ids(fed.pool, incoming.actor.id):
            return
        doc = await _origin_object(incoming, object_id)  # never trust an embedded boosted post
        await import_note(fed, doc, depth=1)
        found = await status_ref(fed, doc.get("id", object_id))
        if found is None:
            return
    activity = incoming.activity
    visibility = await ingest.visibility_of(fed, parse.id_list(activity.get("to") or []),
                                            parse.id_list(activity.get("cc") or []), incoming.actor)
    published = parse.timestamp(activity.get("published"))
    await inbound.boost(fed.pool, incoming.actor, found.id, incoming.id, visibility, published)


async def _relayed(incoming: Incoming, inner: dict[str, Any]) -> None:
    """A post passed on by a group: fetched from its own origin, kept if the group's followers want it."""
    fed = incoming.fed
    inner_object = inner.get("object")
    object_id = _object_id(inner_object)
    inner_actor = parse.optional_id(inner.get("actor"))
    if inner_actor is None or parse.host_of(inner_actor) != parse.host_of(object_id):
        raise Reject("a relayed activity's object is not on its actor's host")
    doc = await ingest.fetch(fed, object_id)
    if doc.get("type") not in parse.NOTE_TYPES:
        return
    note = note_of(doc)
    if note.attributed_to != inner_actor:
        raise Reject("the relayed post is not attributed to the relayed activity's actor")
    found = await status_ref(fed, note.uri)
    if found is None:
        await import_note(fed, doc, via=incoming.actor)
    elif inner.get("type") == "Update":  # judged by the content rules like any edit
        await ingest.apply_edit(fed, found.id, await account_for(fed, inner_actor), note, doc)


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
    await reports.receive(fed.pool, reporter_id=incoming.actor.id, target_id=reported.id, status_ids=status_ids,
                          comment=comment if isinstance(comment, str) else "", uri=incoming.id,
                          origin_domain=incoming.host)


@handles("Move")
async def on_move(incoming: Incoming) -> None:
    fed = incoming.fed
    if _object_id(_object(incoming)) != incoming.actor.uri:
        raise Reject("an actor may move only itself")
    target_uri = incoming.activity.get("target")
    if not isinstance(target_uri, str):
        raise Reject("Move needs a target")
    local = fed.urls.local_username(target_uri)
    try:
        target = (await accounts_store.get_local(fed.pool, local) if local
                  else await fetch_actor(fed, target_uri, refresh=True))  # its alsoKnownAs as of now
    except FetchError as exc:
        raise Retry(str(exc)) from None
    if target is None:
        raise Reject("the Move target is not a member here")
    if not await moving.remote_moved(fed.pool, fed.urls, incoming.actor, target):
        raise Reject("the Move target does not list the old account in alsoKnownAs")


async def dispatch(incoming: Incoming) -> None:
    """Run the handler for the activity's type; unknown types are ignored cleanly."""
    handler = HANDLERS.get(incoming.activity.get("type", ""))
    if handler is None:
        log.debug("ignoring activity of type %r", incoming.activity.get("type"))
        return
    await handler(incoming)
