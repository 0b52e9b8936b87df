"""Following and unfollowing accounts, here or on other servers, and answering follow requests."""

from __future__ import annotations

import re
from typing import NamedTuple

import asyncpg

from federation import outbound
from server.errors import Invalid, NotFound
from server.models import Account, Visibility
from server.store import follows as follows_store
from server.store import home_feed, interactions
from server.store import lists as lists_store
from server.store import notifications as notifications_store
from server.urls import Urls

LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")


async def end_follow(conn: asyncpg.Connection, follower_id: int, target_id: int) -> bool:
    """The one way a follow ends (unfollow, a rejected request, a block either way, a remote Undo or
    Reject): the follow row, the target's posts in the follower's home feed, the target in the
    follower's lists, and a pending request's notification all go. False when there was no follow."""
    ended = await follows_store.delete(conn, follower_id, target_id)
    await lists_store.remove_from_owner_lists(conn, follower_id, target_id)
    if ended:
        await home_feed.remove_author(conn, follower_id, target_id)
        await notifications_store.remove(conn, target_id, follower_id, "follow_request")
    return ended


class Started(NamedTuple):
    state: str | None  # 'accepted' or 'pending'; None when the target blocks the follower
    new: bool  # False when the follow already existed


async def start_follow(conn: asyncpg.Connection, follower: Account, target: Account, state: str, *,
                       uri: str | None = None) -> Started:
    """The one way a follow begins, ours or another server's (`uri`, its Follow activity): refused when
    the target blocks the follower; an accepted follow brings the target's known posts into the
    follower's feed; a local target hears of the follow or the request."""
    if await interactions.is_blocking(conn, target.id, follower.id):
        return Started(None, False)
    new = await follows_store.insert(conn, follower.id, target.id, state=state, uri=uri)
    if new and state == "accepted":
        await home_feed.backfill(conn, follower.id, target.id)
    current = await follows_store.state(conn, follower.id, target.id)
    await notifications_store.add(conn, target.id, follower.id, "follow" if current == "accepted" else "follow_request")
    return Started(current, new)


async def accept_follow(conn: asyncpg.Connection, follower_id: int, target_id: int) -> bool:
    """The one way a pending follow is accepted (by our member, or by the server of the account ours
    follows): the follower's feed gets the target's known posts. False when none was pending."""
    done = await follows_store.accept(conn, follower_id, target_id)
    if done:
        await home_feed.backfill(conn, follower_id, target_id)
    return done


async def follow(pool: asyncpg.Pool, urls: Urls, follower: Account, target: Account) -> str:
    """Follow the target; returns the state: 'accepted', or 'pending' until a locked or remote account accepts."""
    if follower.id == target.id:
        raise Invalid("You cannot follow yourself.")
    state = "pending" if target.locked or not target.is_local else "accepted"
    async with pool.acquire() as conn, conn.transaction():
        started = await start_follow(conn, follower, target, state)
        if started.state is None:
            raise Invalid("You cannot follow this account.")
        if started.new and not target.is_local:
            follow_id = await follows_store.id_of(conn, follower.id, target.id)
            await outbound.follow_sent(conn, urls, follower, target, follow_id)
        return started.state


async def unfollow(pool: asyncpg.Pool, urls: Urls, follower: Account, target: Account) -> None:
    async with pool.acquire() as conn, conn.transaction():
        follow_id = await follows_store.id_of(conn, follower.id, target.id)
        if follow_id is None:
            return
        if not target.is_local:
            await outbound.follow_undone(conn, urls, follower, target, follow_id)
        await end_follow(conn, follower.id, target.id)


async def remove_follower(pool: asyncpg.Pool, urls: Urls, member: Account, follower: Account) -> None:
    """The member ends another account's follow of them; a remote follower's server is sent a Reject."""
    async with pool.acquire() as conn, conn.transaction():
        follow_id = await follows_store.id_of(conn, follower.id, member.id)
        if follow_id is None:
            return
        uri = await follows_store.follow_uri(conn, follower.id, member.id)
        await end_follow(conn, follower.id, member.id)
        if not follower.is_local and uri:
            await outbound.follow_answered(conn, urls, member, follower, uri, accept=False)


async def answer_request(pool: asyncpg.Pool, urls: Urls, target: Account, follower: Account, *, accept: bool) -> None:
    """Accept or reject a pending follow of one of our members."""
    async with pool.acquire() as conn, conn.transaction():
        pending = await follows_store.pending(conn, follower.id, target.id)
        if pending is None:
            raise NotFound("There is no such follow request.")
        if accept:
            await accept_follow(conn, follower.id, target.id)
            await notifications_store.remove(conn, target.id, follower.id, "follow_request")
            await notifications_store.add(conn, target.id, follower.id, "follow")
        else:
            await end_follow(conn, follower.id, target.id)
        if not follower.is_local and pending.uri:
            await outbound.follow_answered(conn, urls, target, follower, pending.uri, accept=accept)


async def set_options(pool: asyncpg.Pool, follower: Account, target: Account, *, show_reblogs: bool | None = None,
                      notify: bool | None = None, languages: list[str] | None = None) -> None:
    """What a follow brings: the account's boosts in the home feed, a notification when it posts,
    and only its posts in these languages (all when the list is empty)."""
    if languages is not None and (len(languages) > 20 or not all(LANGUAGE.match(code) for code in languages)):
        raise Invalid("languages must be ISO 639 codes such as en or pt-BR.", field="languages")
    if not await follows_store.set_options(pool, follower.id, target.id, show_reblogs=show_reblogs, notify=notify,
                                           languages=languages):
        raise Invalid("You do not follow this account.")


async def tell_notified_followers(conn: asyncpg.Connection, author_id: int, status_id: int, visibility: Visibility,
                                  already: list[int]) -> None:
    """A new post, to the followers who asked to hear when its author posts (not for direct
    messages; not twice to who was already told, e.g. as mentioned)."""
    if visibility == Visibility.DIRECT:
        return
    for follower_id in await follows_store.notified_follower_ids(conn, author_id):
        if follower_id not in already:
            await notifications_store.add(conn, follower_id, author_id, "status", status_id)
