"""Favourites and boosts by our members, federated to the post's author and the booster's followers."""

from __future__ import annotations

import asyncpg

from federation import outbound
from server.errors import NotFound
from server.models import Account, Status, Visibility
from server.store import follows as follows_store
from server.store import home_feed, interactions
from server.store import notifications as notifications_store
from server.store import statuses as statuses_store
from server.urls import Urls


async def _visible(conn: asyncpg.Connection, status_id: int, viewer: Account) -> Status:
    status = await statuses_store.get_visible(conn, status_id, viewer.id)
    if status is None:
        raise NotFound("That post does not exist or is not visible to you.")
    return status


async def favourite(pool: asyncpg.Pool, urls: Urls, account: Account, status_id: int, *, undo: bool = False) -> None:
    async with pool.acquire() as conn, conn.transaction():
        status = await _visible(conn, status_id, account)
        if undo:
            changed = await interactions.remove_favourite(conn, account.id, status.id)
        else:
            changed = await interactions.add_favourite(conn, account.id, status.id)
            if changed:
                await notifications_store.add(conn, status.author.id, account.id, "favourite", status.id)
        if changed:
            await outbound.favourited(conn, urls, account, status, undo=undo)


async def boost(pool: asyncpg.Pool, urls: Urls, account: Account, status_id: int, *, undo: bool = False) -> None:
    """Boost a public or unlisted post (others cannot be boosted, as on Mastodon)."""
    async with pool.acquire() as conn, conn.transaction():
        status = await _visible(conn, status_id, account)
        if status.visibility not in (Visibility.PUBLIC, Visibility.UNLISTED):
            raise NotFound("Only public and unlisted posts can be boosted.")
        if undo:
            boost = await statuses_store.own_reblog(conn, account.id, status.id)
            if boost is not None and await statuses_store.delete_reblog(conn, account.id, status.id) is not None:
                await home_feed.remove_status(conn, boost.id)
                await outbound.boosted(conn, urls, boost, status, undo=True)
                await statuses_store.notify_new(conn, boost.id, event="delete")
            return
        reblog_id = await statuses_store.insert_reblog(conn, account.id, status.id, None, Visibility.PUBLIC)
        if reblog_id is None:
            return
        boost = await statuses_store.own_reblog(conn, account.id, status.id)
        assert boost is not None  # inserted just above, in this transaction
        readers = [account.id, *await follows_store.local_follower_ids(conn, account.id)]
        await home_feed.add(conn, reblog_id, account.id, readers)
        await notifications_store.add(conn, status.author.id, account.id, "reblog", status.id)
        await outbound.boosted(conn, urls, boost, status, undo=False)
        await statuses_store.notify_new(conn, reblog_id)
