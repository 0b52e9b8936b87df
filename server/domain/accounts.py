"""Creating local members and checking their passwords."""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
from collections.abc import Awaitable, Callable

import asyncpg

from federation.keys import generate_rsa_keypair
from server.domain import passwords
from server.errors import AppError, Invalid
from server.models import Account, Role
from server.store import accounts as accounts_store
from server.store import registrations as registrations_store
from server.store import sessions as sessions_store
from server.urls import INSTANCE_ACTOR

USERNAME_RE = re.compile(r"^[a-z0-9_]{1,30}$", re.IGNORECASE)
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 8
MAX_PASSWORD = 200
# Names that would collide with the instance's own paths or impersonate staff.
RESERVED = {"admin", "administrator", "root", "support", "help", "moderator", "instance", "actor", "kith", "www"}
THROTTLE_MINUTES = 15
DEVICE_DAYS = 180  # a device cookie unused this long is no longer trusted

log = logging.getLogger(__name__)


def validate_username(username: str) -> str:
    if not username:
        raise Invalid("Choose a username.", field="username")
    if not USERNAME_RE.match(username):
        raise Invalid(
            "Usernames are 1 to 30 characters: letters a-z, digits and underscores only.", field="username"
        )
    if username.lower() in RESERVED:
        raise Invalid(f"The username {username!r} is reserved.", field="username")
    return username


def validate_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise Invalid(f"Passwords need at least {MIN_PASSWORD} characters.", field="password")
    if len(password) > MAX_PASSWORD:
        raise Invalid(f"Passwords can have at most {MAX_PASSWORD} characters.", field="password")
    return password


def validate_email(email: str | None) -> str | None:
    if not email:
        return None
    if len(email) > 254 or not EMAIL_RE.match(email):
        raise Invalid("That does not look like an email address.", field="email")
    return email


def generate_password() -> str:
    return secrets.token_urlsafe(15)


async def create_member(
    pool: asyncpg.Pool,
    username: str,
    password: str,
    *,
    email: str | None = None,
    role: Role = Role.MEMBER,
    check_reserved: bool = True,
    email_confirmed: bool = True,
    within: Callable[[asyncpg.Connection, Account], Awaitable[None]] | None = None,
) -> Account:
    """Validate everything first, then create the account and its login in one transaction (an
    address given by an admin counts as confirmed; a sign-up's is confirmed by mail).

    `within` runs in that transaction too (a sign-up's application or invite use), so a failure
    there leaves no account behind.
    """
    if check_reserved:
        validate_username(username)
    elif not USERNAME_RE.match(username):
        raise Invalid("Usernames are 1 to 30 characters: letters a-z, digits and underscores only.", field="username")
    validate_password(password)
    email = validate_email(email)
    password_hash = await passwords.hash_password(password)
    private_pem, public_pem = await asyncio.to_thread(generate_rsa_keypair)
    async with pool.acquire() as conn, conn.transaction():
        if email and await accounts_store.email_taken(conn, email):
            raise Invalid("That email address is already registered.", field="email")
        account = await accounts_store.insert_local(
            conn, username=username, display_name="", public_key_pem=public_pem, private_key_pem=private_pem
        )
        if account is None:
            raise Invalid(f"The username {username!r} is already taken.", field="username")
        await accounts_store.insert_user(
            conn, account_id=account.id, email=email, password_hash=password_hash, role=role,
            email_confirmed=email_confirmed,
        )
        if within is not None:
            await within(conn, account)
    return account


async def instance_actor(pool: asyncpg.Pool) -> Account:
    """The instance actor, created with its key pair on first start."""
    account = await accounts_store.get_local(pool, INSTANCE_ACTOR)
    if account is None:
        private_pem, public_pem = await asyncio.to_thread(generate_rsa_keypair)
        account = await accounts_store.insert_instance_actor(pool, INSTANCE_ACTOR, public_pem, private_pem)
    return account


class Unconfirmed(AppError):
    """The right password, but the member's address is not confirmed yet (the page offers a new link)."""


async def authenticate(pool: asyncpg.Pool, username: str, password: str, ip: str, max_failures: int, *,
                       allow_suspended: bool = False, device: bytes | None = None,
                       require_confirmed: bool = False) -> int:
    """The account id for a right username and password; AppError otherwise (429 when throttled).

    Guesses are throttled per username and per address. A browser that signed in to the account
    before (`device`, the hash of its device cookie, OWASP's "device cookies") is counted on its own
    budget instead, so strangers guessing a member's password cannot lock the member out.
    A suspended member may sign in to the web only when `allow_suspended` (to read the notice and appeal).
    """
    found = await accounts_store.get_password_hash(pool, username) if username else None
    trusted = (device is not None and found is not None
               and await sessions_store.device_trusted(pool, device, found.account_id, DEVICE_DAYS))
    if trusted:
        failures = await sessions_store.device_failures(pool, device, THROTTLE_MINUTES)
    else:
        failures = await sessions_store.recent_failures(pool, username, ip, THROTTLE_MINUTES)
    if failures >= max_failures:
        log.warning("login_throttled username=%r ip=%s trusted_device=%s", username[:64], ip, trusted)
        raise AppError(429, f"Too many failed sign-in attempts. Try again in {THROTTLE_MINUTES} minutes.")
    if not await passwords.matches(found.password_hash if found is not None else None, password):
        await sessions_store.record_failure(pool, username, ip, device if trusted else None)
        raise AppError(401, "Wrong username or password.")
    if trusted:
        # The strangers' failures stay counted: the owner signing in must not hand them a fresh budget.
        await sessions_store.clear_device_failures(pool, device)
    else:
        await sessions_store.clear_failures(pool, username)
    account_id, stored_hash = found
    account = await accounts_store.get_by_id(pool, account_id)
    if account is None or (account.suspended_at is not None and not allow_suspended):
        raise AppError(403, "This account is suspended.")
    state = await registrations_store.application_state(pool, account_id)
    if state == "pending":
        raise AppError(403, "Your application is waiting for a moderator's approval.")
    if state == "rejected":
        raise AppError(403, "Your application to join was not approved.")
    if require_confirmed and not await accounts_store.email_confirmed(pool, account_id):
        raise Unconfirmed(403, "Confirm your e-mail address first: open the link we mailed you.")
    if passwords.needs_rehash(stored_hash):
        await accounts_store.set_password_hash(pool, account_id, await passwords.hash_password(password))
    if device is not None:
        await sessions_store.remember_device(pool, device, account_id)
    return account_id
