"""Moving accounts, both ways, as Mastodon does. Aliases name a member's other accounts (published
as alsoKnownAs); a member moves out to an account that names them back, their followers' servers
are sent a Move, and followers here follow the new account at once; when a followed account on
another server moves (its Move checked against the target's alsoKnownAs), members here follow the
new account in its place and are told."""

from __future__ import annotations

import logging

import asyncpg

from federation import outbound
from federation.fetch import FetchError, fetch_actor, resolve_handle
from federation.runtime import Federation
from server.domain import account_care, following
from server.errors import Invalid
from server.models import Account
from server.store import accounts as accounts_store
from server.store import follows as follows_store
from server.store import notifications as notifications_store
from server.urls import Urls

log = logging.getLogger(__name__)
COOLDOWN_DAYS = 30
MAX_ALIASES = 10


def actor_uri(account: Account, urls: Urls) -> str:
    return account.uri or urls.actor(account.username)


async def _find(fed: Federation, handle: str) -> Account:
    """The account a handle names, here or elsewhere (a remote actor fetched afresh, so its current
    alsoKnownAs is what is checked)."""
    name, _, host = handle.strip().lstrip("@").partition("@")
    if not name:
        raise Invalid("Enter an account's address, such as name@example.social.", field="handle")
    if not host or host.lower() == fed.urls.host.lower():
        found = await accounts_store.get_local(fed.pool, name)
        if found is None or found.suspended_at is not None:
            raise Invalid(f"There is no member @{name} here.", field="handle")
        return found
    try:
        known = await resolve_handle(fed, f"{name}@{host}")
        return await fetch_actor(fed, known.uri, refresh=True) if known.uri else known
    except FetchError as exc:
        raise Invalid(f"{handle.strip()} could not be found: {exc}", field="handle") from None


async def add_alias(fed: Federation, member: Account, handle: str) -> None:
    other = await _find(fed, handle)
    if other.id == member.id:
        raise Invalid("That is this account.", field="handle")
    uri = actor_uri(other, fed.urls)
    if uri in member.also_known_as:
        raise Invalid("That account is already an alias.", field="handle")
    if len(member.also_known_as) >= MAX_ALIASES:
        raise Invalid(f"An account can have at most {MAX_ALIASES} aliases.", field="handle")
    await _set_aliases(fed, member, [*member.also_known_as, uri])


async def remove_alias(fed: Federation, member: Account, uri: str) -> None:
    if uri not in member.also_known_as:
        raise Invalid("That is not one of the aliases.", field="uri")
    await _set_aliases(fed, member, [u for u in member.also_known_as if u != uri])


async def _set_aliases(fed: Federation, member: Account, uris: list[str]) -> None:
    async with fed.pool.acquire() as conn, conn.transaction():
        await accounts_store.set_aliases(conn, member.id, uris)
        updated = await accounts_store.get_by_id(conn, member.id)
        await outbound.profile_updated(conn, fed.urls, updated)  # followers' servers see the new alsoKnownAs


async def move_out(fed: Federation, member: Account, handle: str, password: str) -> Account:
    """Move the member to `handle`, which must name them in its alsoKnownAs; the new account."""
    pool = fed.pool
    await account_care.check_password(pool, member.id, password)
    if await accounts_store.moved_recently(pool, member.id, COOLDOWN_DAYS):
        raise Invalid(f"An account can move once every {COOLDOWN_DAYS} days.", field="handle")
    target = await _find(fed, handle)
    if target.id == member.id:
        raise Invalid("That is this account.", field="handle")
    if actor_uri(member, fed.urls) not in target.also_known_as:
        raise Invalid(f"@{target.handle()} does not name this account as an alias yet: add"
                      f" {member.username}@{fed.urls.host} to its aliases first, then move.", field="handle")
    target_uri = actor_uri(target, fed.urls)
    async with pool.acquire() as conn, conn.transaction():
        await accounts_store.set_moved_to(conn, member.id, target_uri)
        moved = await accounts_store.get_by_id(conn, member.id)
        await outbound.profile_updated(conn, fed.urls, moved)  # movedTo on the actor
        await outbound.moved(conn, fed.urls, moved, target_uri)
    await move_followers(pool, fed.urls, moved, target)
    return target


async def move_followers(pool: asyncpg.Pool, urls: Urls, old: Account, new: Account) -> int:
    """Members here who follow `old` follow `new` instead, and are told (a 'move' notification)."""
    moved = 0
    for follower_id in await follows_store.local_follower_ids(pool, old.id):
        follower = await accounts_store.get_by_id(pool, follower_id)
        if follower is None or follower.id == new.id:
            continue
        try:
            await following.follow(pool, urls, follower, new)
        except Invalid as exc:  # blocked by the new account, say: they keep following the old one
            log.info("follower %s not moved to %s: %s", follower_id, new.id, exc.message)
            continue
        await following.unfollow(pool, urls, follower, old)
        await notifications_store.add(pool, follower.id, old.id, "move")
        moved += 1
    return moved


async def remote_moved(pool: asyncpg.Pool, urls: Urls, account: Account, target: Account) -> bool:
    """Another server's account moved to `target`: recorded, and its followers here moved, only when
    the target names the old account in its alsoKnownAs (so nobody can claim another's followers)."""
    if account.uri not in target.also_known_as:
        return False
    await accounts_store.set_moved_to(pool, account.id, actor_uri(target, urls))
    await move_followers(pool, urls, account, target)
    return True
