"""Applying what other servers tell us: their posts, edits, deletions, follows and reactions.

Callers (federation/inbox/handlers.py) have already verified who is speaking and that they may
speak about the object; each use case here runs in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg

from federation import cards
from server.domain import blocking, following
from server.models import Account, Visibility
from server.store import accounts as accounts_store
from server.store import follows as follows_store
from server.store import home_feed, interactions
from server.store import media as media_store
from server.store import notifications as notifications_store
from server.store import polls as polls_store
from server.store import statuses as statuses_store
from server.store import tags as tags_store


async def _readers(conn: asyncpg.Connection, author_id: int, status_id: int, visibility: Visibility,
                   mentioned: list[int]) -> list[int]:
    """Whose home feed a remote post enters: the mentioned members, the author's followers, and for a
    public post, those following one of its hashtags."""
    readers = set(mentioned)
    if visibility != Visibility.DIRECT:
        readers.update(await follows_store.local_follower_ids(conn, author_id))
    if visibility == Visibility.PUBLIC:
        readers.update(await tags_store.local_followers_of_status(conn, status_id))
    return sorted(readers)


@dataclass(frozen=True)
class Parent:
    """The stored post a reply answers."""

    id: int
    account_id: int


async def store_status(
    pool: asyncpg.Pool, author: Account, note: Any, visibility: Visibility, *, local_mentions: list[Account],
    remote_mentions: list[int], parent: Parent | None, raw: dict[str, Any],
) -> int | None:
    """Keep a remote post and put it in the feeds of local followers and mentioned members.

    Returns the new id, or None when the
    post was already stored or was deleted before it arrived.
    """
    async with pool.acquire() as conn, conn.transaction():
        if await interactions.is_tombstoned(conn, note.uri):
            return None
        status_id = await statuses_store.insert_remote(
            conn, account_id=author.id, uri=note.uri, url=note.url, content=note.content,
            spoiler_text=note.spoiler_text, visibility=visibility, sensitive=note.sensitive,
            language=note.language, kind=note.kind, title=note.title, poll=note.poll,
            in_reply_to_id=parent.id if parent else None, in_reply_to_uri=note.in_reply_to,
            published=note.published, raw=raw, emojis=note.emojis,
        )
        if status_id is None:
            return None
        mentioned = [a.id for a in local_mentions]
        await media_store.add_remote_media(conn, author.id, status_id, note.attachments)
        await statuses_store.add_mentions(conn, status_id, sorted(set(mentioned + remote_mentions)))
        await statuses_store.add_tags(conn, status_id, note.hashtags)
        await cards.want_card(conn, status_id, note.content)
        readers = await _readers(conn, author.id, status_id, visibility, mentioned)
        await home_feed.add(conn, status_id, author.id, readers)
        for account_id in mentioned:
            await notifications_store.add(conn, account_id, author.id, "mention", status_id)
        if parent and parent.account_id not in mentioned:
            await notifications_store.add(conn, parent.account_id, author.id, "reply", status_id)
        await following.tell_notified_followers(conn, author.id, status_id, visibility, mentioned)
        await statuses_store.notify_new(conn, status_id)
    return status_id


def _same_poll(old: dict[str, Any] | None, new: dict[str, Any] | None) -> bool:
    """The same question: option titles and single or multiple choice (counts aside)."""
    if not old or not new:
        return old == new
    return (bool(old.get("multiple")) == bool(new.get("multiple"))
            and [o.get("title") for o in old.get("options", [])] == [o.get("title") for o in new.get("options", [])])


async def edit_status(pool: asyncpg.Pool, status_id: int, note: Any) -> None:
    """The author's new version. An Update that changes only a poll's counts (Mastodon sends one as
    votes come in and when the poll closes) refreshes the results: no history, no edited mark, no
    notification."""
    async with pool.acquire() as conn, conn.transaction():
        current = await statuses_store.get_for_moderation(conn, status_id)
        if current is None:
            return
        if current.poll and note.poll and _same_poll(current.poll, note.poll) and (
                current.content, current.spoiler_text, current.sensitive) == (
                note.content, note.spoiler_text, note.sensitive):
            await polls_store.set_results(conn, status_id, note.poll)
            return
        await statuses_store.record_edit(
            conn, status_id, note.content, note.spoiler_text, note.sensitive, note.poll, note.updated, note.emojis
        )
        for account_id in await interactions.interacted_with(conn, status_id):
            await notifications_store.add(conn, account_id, current.author.id, "update", status_id)
        await statuses_store.notify_new(conn, status_id, event="status.update")


async def delete_status(pool: asyncpg.Pool, author: Account, uri: str) -> None:
    """The author deleted it: tombstone the id (even if we never had it), hide it everywhere."""
    async with pool.acquire() as conn, conn.transaction():
        await interactions.add_tombstone(conn, uri)
        status_id = await statuses_store.mark_deleted_by_uri(conn, uri, author.id)
        if status_id is not None:
            await home_feed.remove_status(conn, status_id)
            await statuses_store.notify_new(conn, status_id, event="delete")


async def delete_account(pool: asyncpg.Pool, account: Account) -> None:
    """A remote actor deleted itself: remove its content and relationships."""
    async with pool.acquire() as conn, conn.transaction():
        for status_id in await statuses_store.delete_all_by_account(conn, account.id):
            await home_feed.remove_status(conn, status_id)
            await statuses_store.notify_new(conn, status_id, event="delete")
        await follows_store.delete_all_of(conn, [account.id])
        await interactions.remove_favourites_of(conn, account.id)
        await accounts_store.mark_deleted(conn, account.id)


async def remote_follow(pool: asyncpg.Pool, follower: Account, target: Account, uri: str, *,
                        needs_approval: bool = False) -> str:
    """A remote account follows a local one; returns 'accepted', or 'pending' when the member's
    account is locked or the follower's domain is limited."""
    state = "pending" if target.locked or needs_approval else "accepted"
    async with pool.acquire() as conn, conn.transaction():
        started = await following.start_follow(conn, follower, target, state, uri=uri)
        return started.state or "blocked"


async def follow_accepted(pool: asyncpg.Pool, follower_id: int, target: Account) -> bool:
    """Our member's follow of `target` was accepted: the posts of theirs we know join the feed (as
    Mastodon merges them), and their posts from now on reach it."""
    async with pool.acquire() as conn, conn.transaction():
        return await following.accept_follow(conn, follower_id, target.id)


async def remove_follow(pool: asyncpg.Pool, follower_id: int, target_id: int) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await following.end_follow(conn, follower_id, target_id)


async def favourite(pool: asyncpg.Pool, account: Account, status_id: int, uri: str) -> None:
    async with pool.acquire() as conn, conn.transaction():
        if await interactions.add_favourite(conn, account.id, status_id, uri):
            author = await statuses_store.author_of(conn, status_id)
            if author is not None:
                await notifications_store.add(conn, author, account.id, "favourite", status_id)


async def unfavourite(pool: asyncpg.Pool, account: Account, uri: str, status_id: int | None) -> bool:
    """A remote Like or emoji reaction taken back: the favourite it counted as goes, found by the
    reaction's id or else, as Mastodon does, by the post it reacted to. False when there was none."""
    async with pool.acquire() as conn, conn.transaction():
        if await interactions.remove_favourite_by_uri(conn, account.id, uri):
            return True
        return status_id is not None and await interactions.remove_favourite(conn, account.id, status_id)


async def boost(pool: asyncpg.Pool, account: Account, status_id: int, uri: str, visibility: Visibility,
                published: Any) -> None:
    async with pool.acquire() as conn, conn.transaction():
        reblog_id = await statuses_store.insert_reblog(conn, account.id, status_id, uri, visibility, published)
        if reblog_id is None:
            return
        if visibility in (Visibility.PUBLIC, Visibility.UNLISTED):
            readers = await follows_store.local_follower_ids(conn, account.id)
            await home_feed.add(conn, reblog_id, account.id, readers)
        author = await statuses_store.author_of(conn, status_id)
        if author is not None:
            await notifications_store.add(conn, author, account.id, "reblog", status_id)
        await statuses_store.notify_new(conn, reblog_id)


async def unboost(pool: asyncpg.Pool, account: Account, uri: str) -> None:
    async with pool.acquire() as conn, conn.transaction():
        status_id = await statuses_store.mark_deleted_by_uri(conn, uri, account.id)
        if status_id is not None:
            await home_feed.remove_status(conn, status_id)
            await statuses_store.notify_new(conn, status_id, event="delete")


async def block(pool: asyncpg.Pool, blocker: Account, target: Account, uri: str) -> None:
    """A remote account blocks a local one: follows between them end, each leaves the other's lists."""
    async with pool.acquire() as conn, conn.transaction():
        await interactions.add_block(conn, blocker.id, target.id, uri)
        await blocking.end_follows_between(conn, blocker.id, target.id)
