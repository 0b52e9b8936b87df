"""What our members' actions send to other servers: the domain layer's one door to federation.

Each function builds the activity and enqueues its deliveries on the caller's connection, inside
the caller's transaction, so the local change and what it sends commit (or roll back) together.
"""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime
from typing import Any

import asyncpg

from federation import render
from federation.delivery import enqueue
from server.models import Account, Status, Visibility
from server.store import accounts as accounts_store
from server.store import deliveries as deliveries_store
from server.store import media as media_store
from server.store import polls as polls_store
from server.store import statuses as statuses_store
from server.urls import PUBLIC, Urls


def _now() -> datetime:
    """`published` of activities that record no stored moment (a Follow, a Delete, an Undo...)."""
    return datetime.now(UTC)


async def note_parts(db: Any, urls: Urls, status_id: int) -> render.NoteParts:
    """A stored status's mentions, hashtags, parent and attachments, as its Note needs them."""
    parent = await statuses_store.parent_ref(db, status_id)
    parent_uri = parent.uri
    if parent_uri is None and parent.username is not None:
        parent_uri = urls.status_uri(parent.username, parent.id)
    return render.NoteParts(
        mentions=tuple(await statuses_store.mentioned_accounts(db, status_id)),
        tags=tuple(await statuses_store.tag_names(db, status_id)),
        in_reply_to_uri=parent_uri,
        attachments=tuple(await media_store.local_media(db, status_id)),
        parent_author_id=parent.author_id,
    )


async def _audience(conn: asyncpg.Connection, status: Status, parts: render.NoteParts) -> list[str]:
    """Inboxes a post goes to: every mentioned remote account and, unless it is direct, the remote
    followers and the author of the post it replies to."""
    accounts = [m.id for m in parts.mentions]
    if status.visibility != Visibility.DIRECT and parts.parent_author_id is not None:
        accounts.append(parts.parent_author_id)
    inboxes = await deliveries_store.account_inboxes(conn, accounts)
    if status.visibility != Visibility.DIRECT:
        inboxes += await deliveries_store.follower_inboxes(conn, status.author.id)
    return inboxes


async def status_created(conn: asyncpg.Connection, urls: Urls, status: Status, parts: render.NoteParts | None = None,
                         *, update: bool = False) -> None:
    """Send a new or edited post; `parts` when the caller has just built them, else they are read back."""
    if parts is None:
        parts = await note_parts(conn, urls, status.id)
    note = render.status_to_as(status, parts, urls)
    # Mastodon's edit ids are `#updates/<seconds>`; milliseconds keep two edits within a second distinct.
    activity_id = f"{note['id']}/activity" if not update else \
        f"{note['id']}#updates/{int(status.edited_at.timestamp() * 1000)}"
    published = status.edited_at if update and status.edited_at else status.created_at
    activity = render.activity("Update" if update else "Create", note["attributedTo"], note, activity_id,
                               to=note["to"], cc=note["cc"], published=published)
    await enqueue(conn, status.author.id, activity, await _audience(conn, status, parts), own_host=urls.host)


async def status_deleted(conn: asyncpg.Connection, urls: Urls, status: Status) -> None:
    """Tell everyone who got the post that it is gone (call before the row is emptied)."""
    parts = await note_parts(conn, urls, status.id)
    note_id = urls.status_id_uri(status)
    actor = urls.actor(status.author.username)
    activity = render.activity("Delete", actor, render.tombstone(note_id), f"{note_id}#delete",
                               to=[PUBLIC], cc=[f"{actor}/followers"], published=_now())
    await enqueue(conn, status.author.id, activity, await _audience(conn, status, parts), own_host=urls.host)


async def follow_sent(conn: asyncpg.Connection, urls: Urls, follower: Account, target: Account, follow_id: int) -> None:
    actor = urls.actor(follower.username)
    activity = render.activity("Follow", actor, target.uri, urls.follow_uri(follower.username, follow_id),
                               published=_now())
    await _to_account(conn, urls, follower, target, activity)


async def follow_undone(conn: asyncpg.Connection, urls: Urls, follower: Account, target: Account,
                        follow_id: int) -> None:
    follow_uri = urls.follow_uri(follower.username, follow_id)
    follow = render.activity("Follow", urls.actor(follower.username), target.uri, follow_uri, published=_now())
    await _to_account(conn, urls, follower, target, render.undo(follow, f"{follow_uri}#undo", _now()))


async def follow_answered(conn: asyncpg.Connection, urls: Urls, target: Account, follower: Account,
                          follow_uri: str, *, accept: bool) -> None:
    """Accept or Reject a remote account's Follow of our member."""
    actor = urls.actor(target.username)
    kind = "Accept" if accept else "Reject"
    inner = {"id": follow_uri, "type": "Follow", "actor": follower.uri, "object": actor}
    answer_id = f"{actor}#{kind.lower()}s/{hashlib.sha256(follow_uri.encode()).hexdigest()[:20]}"  # one per Follow
    activity = render.activity(kind, actor, inner, answer_id, to=[follower.uri or ""], published=_now())
    await _to_account(conn, urls, target, follower, activity)


async def _to_account(conn: asyncpg.Connection, urls: Urls, sender: Account, recipient: Account,
                      activity: dict[str, Any]) -> None:
    inbox = await deliveries_store.personal_inbox(conn, recipient.id)
    await enqueue(conn, sender.id, activity, [inbox] if inbox else [], own_host=urls.host)


async def favourited(conn: asyncpg.Connection, urls: Urls, account: Account, status: Status, *, undo: bool) -> None:
    """Like (or Undo Like) a remote post: delivered to its author."""
    if status.is_local:
        return
    actor = urls.actor(account.username)
    like_id = f"{actor}#likes/{status.id}"
    like = render.activity("Like", actor, urls.status_id_uri(status), like_id, published=_now())
    if undo:
        like = render.undo(like, f"{like_id}/undo", _now())
    await _to_account(conn, urls, account, status.author, like)


async def boosted(conn: asyncpg.Connection, urls: Urls, boost: Status, status: Status, *, undo: bool) -> None:
    """Announce `status` (or Undo the Announce) to the booster's followers and the post's author."""
    account = boost.author
    announce = render.announce(boost, status, urls)
    if undo:
        announce = render.undo(announce, f"{announce['id']}#undo", _now())
    inboxes = await deliveries_store.follower_inboxes(conn, account.id)
    inboxes += await deliveries_store.account_inboxes(conn, [status.author.id])
    await enqueue(conn, account.id, announce, inboxes, own_host=urls.host)


async def profile_updated(conn: asyncpg.Connection, urls: Urls, account: Account) -> None:
    """Send the new actor document to everyone who follows the member."""
    keys = await accounts_store.get_keys(conn, account.id)
    assert keys is not None
    doc = render.actor_to_as(account, keys.public_pem, urls)
    doc.pop("@context")
    actor = urls.actor(account.username)
    update = render.activity("Update", actor, doc, f"{actor}#updates/{time.time_ns()}",
                             to=[PUBLIC], cc=[f"{actor}/followers"], published=_now())
    await enqueue(conn, account.id, update, await deliveries_store.follower_inboxes(conn, account.id),
                  own_host=urls.host)


async def block_sent(conn: asyncpg.Connection, urls: Urls, account: Account, target: Account, *, undo: bool) -> None:
    """Block (or Undo Block) a remote account: delivered to it, as Mastodon does, so it can stop
    showing our member's posts to them."""
    actor = urls.actor(account.username)
    block_id = f"{actor}#blocks/{target.id}"
    block = render.activity("Block", actor, target.uri, block_id, published=_now())
    if undo:
        block = render.undo(block, f"{block_id}/undo", _now())
    await _to_account(conn, urls, account, target, block)


async def poll_voted(conn: asyncpg.Connection, urls: Urls, voter: Account, status: Status, titles: list[str]) -> None:
    """Votes on a remote poll travel as Notes named after the options, in reply to the Question (Mastodon's way)."""
    actor = urls.actor(voter.username)
    question = urls.status_id_uri(status)
    author = urls.account_uri(status.author)
    digest = hashlib.sha256(f"{actor} {question}".encode()).hexdigest()[:16]
    for n, title in enumerate(titles):
        vote_id = f"{actor}#votes/{digest}/{n}"
        note = {"id": vote_id, "type": "Note", "name": title, "attributedTo": actor, "inReplyTo": question,
                "to": [author]}
        activity = render.activity("Create", actor, note, f"{vote_id}/activity", to=[author], published=_now())
        await _to_account(conn, urls, voter, status.author, activity)


async def poll_results(conn: asyncpg.Connection, urls: Urls, status: Status) -> None:
    """A local poll's current counts as Update(Question), to its audience and its remote voters."""
    parts = await note_parts(conn, urls, status.id)
    note = render.status_to_as(status, parts, urls)
    activity = render.activity("Update", note["attributedTo"], note, f"{note['id']}#updates/{time.time_ns()}",
                               to=note["to"], cc=note["cc"], published=_now())
    inboxes = await _audience(conn, status, parts)
    inboxes += await deliveries_store.account_inboxes(conn, await polls_store.voter_ids(conn, status.id))
    await enqueue(conn, status.author.id, activity, inboxes, own_host=urls.host)


async def report_forwarded(conn: asyncpg.Connection, urls: Urls, instance_actor: Account, target: Account,
                           status_uris: list[str], comment: str, report_id: int) -> None:
    """A Flag from the instance actor (never the reporter: they stay anonymous) to the account's server."""
    actor = urls.actor(instance_actor.username)
    flag = render.activity("Flag", actor, [target.uri, *status_uris], f"{actor}#reports/{report_id}",
                           published=_now())
    flag["content"] = comment
    await _to_account(conn, urls, instance_actor, target, flag)


async def moved(conn: asyncpg.Connection, urls: Urls, account: Account, target_uri: str) -> None:
    """A member moved to another account: a Move to everyone who follows them (their servers move
    the follows, once the target's alsoKnownAs names this account)."""
    actor = urls.actor(account.username)
    move = render.activity("Move", actor, actor, f"{actor}#moves/{time.time_ns()}", to=[f"{actor}/followers"],
                           published=_now())
    move["target"] = target_uri
    await enqueue(conn, account.id, move, await deliveries_store.follower_inboxes(conn, account.id),
                  own_host=urls.host)


async def account_gone(conn: asyncpg.Connection, urls: Urls, account: Account, *, everyone: bool = False) -> None:
    """A suspended member is federated as gone: Delete of the actor, to everyone who follows them
    (`everyone`: to every server that knows the account, when the member deleted it)."""
    actor = urls.actor(account.username)
    delete = render.activity("Delete", actor, actor, f"{actor}#delete/{time.time_ns()}", to=[PUBLIC],
                             published=_now())
    inboxes = await (deliveries_store.known_inboxes if everyone else deliveries_store.follower_inboxes)(
        conn, account.id)
    await enqueue(conn, account.id, delete, inboxes, own_host=urls.host)
