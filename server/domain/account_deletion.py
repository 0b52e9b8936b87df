"""Leaving cleanly: a member deletes their account (or an admin does). Every server that knows
the account is sent a Delete of the actor; posts, uploads, follows, sessions and app tokens are
removed; the emptied row keeps the username, so nobody can take it to impersonate them, and the
actor answers 410 Gone."""

from __future__ import annotations

import asyncpg

from federation import outbound
from server.domain import account_care
from server.errors import Invalid
from server.media.storage import MediaStorage
from server.models import Account
from server.store import accounts as accounts_store
from server.store import domains as domains_store
from server.store import follows as follows_store
from server.store import home_feed
from server.store import media as media_store
from server.store import oauth as oauth_store
from server.store import sessions as sessions_store
from server.store import statuses as statuses_store
from server.urls import INSTANCE_ACTOR, Urls

CONFIRMATION = "delete my account"


async def delete_member(pool: asyncpg.Pool, urls: Urls, storage: MediaStorage, account: Account, *,
                        password: str | None = None, staff_id: int | None = None) -> None:
    """Delete a member's account. The member gives their password; staff (`staff_id`) and the
    command line (neither) need none. The Delete goes out before the follows it is addressed by end."""
    if not account.is_local or account.username == INSTANCE_ACTOR:
        raise Invalid("Only members here can be deleted.")
    if password is not None:
        await account_care.check_password(pool, account.id, password)
    async with pool.acquire() as conn, conn.transaction():
        if await accounts_store.get_user(conn, account.id) is None:
            raise Invalid("This account is already deleted.")
        await outbound.account_gone(conn, urls, account, everyone=True)
        for status_id in await statuses_store.delete_all_by_account(conn, account.id):
            await home_feed.remove_status(conn, status_id)
        await follows_store.delete_all_of(conn, [account.id])
        await sessions_store.delete_all_of(conn, account.id)
        await oauth_store.revoke_all(conn, account.id)
        files = await media_store.delete_all_of(conn, account.id)
        files += await accounts_store.mark_member_deleted(conn, account.id)
        await domains_store.log(conn, staff_id, "account: deleted", f"@{account.username}",
                                "by the member" if staff_id is None and password is not None else "")
    for key in files:  # after commit: a failed removal leaves an orphan file, never a half-deleted account
        await storage.delete(key)
