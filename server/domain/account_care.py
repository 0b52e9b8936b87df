"""Members looking after their own account: confirming their e-mail address, resetting a
forgotten password by mail, changing their password or address. Links in mails are single-use
and expire; only their hashes are stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import asyncpg

from server.domain import passwords
from server.domain.accounts import validate_email, validate_password
from server.errors import Invalid
from server.mail.outbox import queue_mail
from server.store import accounts as accounts_store
from server.store import mail as mail_store
from server.store import oauth as oauth_store
from server.store import sessions as sessions_store
from server.urls import Urls

RESET_LIFETIME = timedelta(hours=1)
CONFIRM_LIFETIME = timedelta(days=2)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def _link(db: asyncpg.Connection, account_id: int, purpose: str, lifetime: timedelta,
                email: str | None = None) -> str:
    token = secrets.token_urlsafe(32)
    await mail_store.add_token(db, token_hash(token), account_id, purpose, lifetime, email)
    return token


async def send_confirmation(db: asyncpg.Connection, urls: Urls, instance_name: str, account_id: int,
                            username: str, email: str) -> None:
    """Queue the mail with the link that confirms `email` for the account."""
    token = await _link(db, account_id, "confirm_email", CONFIRM_LIFETIME, email)
    await queue_mail(db, email, f"Confirm your e-mail address for {instance_name}", (
        f"Hello @{username},\n\nto confirm that this is your address on {instance_name}, open this link"
        f" within two days:\n\n{urls.base}/auth/confirm?token={token}\n\n"
        "If you did not sign up or change your address, ignore this mail.\n"))


async def confirm_email(pool: asyncpg.Pool, token: str) -> int:
    """Spend a confirmation link; the account's id. Invalid when it is unknown, used or expired."""
    async with pool.acquire() as conn, conn.transaction():
        used = await mail_store.use_token(conn, token_hash(token), "confirm_email")
        if used is None:
            raise Invalid("This confirmation link is not valid: it was used already or is more than two days"
                          " old. Sign in to have a new one sent.", field="token")
        if used.email:
            await accounts_store.set_email(conn, used.account_id, used.email, confirmed=True)
    return used.account_id


async def resend_confirmation(pool: asyncpg.Pool, urls: Urls, instance_name: str, identifier: str) -> None:
    """Send a new confirmation link to a member who has not confirmed yet (silently nothing otherwise)."""
    target = await accounts_store.mail_target(pool, identifier)
    if target is None or target.email is None or target.confirmed:
        return
    async with pool.acquire() as conn, conn.transaction():
        await send_confirmation(conn, urls, instance_name, target.account_id, target.username, target.email)


async def request_reset(pool: asyncpg.Pool, urls: Urls, instance_name: str, identifier: str) -> None:
    """Mail a one-hour, single-use reset link to the member with this username or address. The
    caller answers the same whether or not there is one, so the form tells nobody who is a member."""
    identifier = identifier.strip().lstrip("@")
    if not identifier or len(identifier) > 320:
        raise Invalid("Enter your username or e-mail address.", field="identifier")
    target = await accounts_store.mail_target(pool, identifier)
    if target is None or target.email is None:
        return
    async with pool.acquire() as conn, conn.transaction():
        token = await _link(conn, target.account_id, "reset_password", RESET_LIFETIME)
        await queue_mail(conn, target.email, f"Reset your password on {instance_name}", (
            f"Hello @{target.username},\n\nsomeone (we hope you) asked to reset your password on {instance_name}."
            f" To choose a new one, open this link within an hour; it works once:\n\n"
            f"{urls.base}/password/reset/{token}\n\nIf it was not you, ignore this mail: your password stays as"
            " it is.\n"))


async def reset_link_valid(pool: asyncpg.Pool, token: str) -> bool:
    return await mail_store.token_valid(pool, token_hash(token), "reset_password")


async def reset_password(pool: asyncpg.Pool, token: str, password: str) -> int:
    """Set a new password through a reset link; every session and app token of the account ends."""
    validate_password(password)
    password_hash = await passwords.hash_password(password)
    async with pool.acquire() as conn, conn.transaction():
        used = await mail_store.use_token(conn, token_hash(token), "reset_password")
        if used is None:
            raise Invalid("This reset link is not valid: it was used already or is more than an hour old."
                          " Ask for a new one.", field="token")
        await _set_password(conn, used.account_id, password_hash, keep_session=None, revoke_apps=True)
        await accounts_store.confirm_email(conn, used.account_id)  # the link reached that address
    return used.account_id


async def set_password(pool: asyncpg.Pool, account_id: int, password: str) -> None:
    """An admin sets the password (`kith user password`): the member is signed out everywhere."""
    validate_password(password)
    password_hash = await passwords.hash_password(password)
    async with pool.acquire() as conn, conn.transaction():
        await _set_password(conn, account_id, password_hash, keep_session=None, revoke_apps=True)


async def check_password(pool: asyncpg.Pool, account_id: int, password: str) -> None:
    """Invalid unless `password` is the member's current password."""
    stored = await accounts_store.password_hash_of(pool, account_id)
    if not await passwords.matches(stored, password):
        raise Invalid("That is not your current password.", field="current_password")


async def change_password(pool: asyncpg.Pool, account_id: int, current: str, new: str, *,
                          sign_out_others: bool, this_session: bytes | None) -> None:
    """A new password (the current one checked first); optionally every other browser is signed
    out and every app's access revoked."""
    await check_password(pool, account_id, current)
    validate_password(new)
    if new == current:
        raise Invalid("The new password is the same as the current one.", field="password")
    password_hash = await passwords.hash_password(new)
    async with pool.acquire() as conn, conn.transaction():
        await _set_password(conn, account_id, password_hash, keep_session=this_session if sign_out_others else None,
                            revoke_apps=sign_out_others, sign_out=sign_out_others)


async def _set_password(conn: asyncpg.Connection, account_id: int, password_hash: str, *,
                        keep_session: bytes | None, revoke_apps: bool, sign_out: bool = True) -> None:
    await accounts_store.set_password_hash(conn, account_id, password_hash)
    await mail_store.spend_all(conn, account_id, "reset_password")
    if sign_out:
        await sessions_store.delete_all_of(conn, account_id, keep=keep_session)
    if revoke_apps:
        await oauth_store.revoke_all(conn, account_id)


async def change_email(pool: asyncpg.Pool, urls: Urls, instance_name: str, account_id: int, username: str,
                       password: str, email: str) -> None:
    """A new address takes effect once confirmed from a link sent to it; until then the old one stays."""
    await check_password(pool, account_id, password)
    email = validate_email(email.strip())
    if email is None:
        raise Invalid("Enter the new e-mail address.", field="email")
    if await accounts_store.email_taken(pool, email):
        raise Invalid("That e-mail address is already registered.", field="email")
    async with pool.acquire() as conn, conn.transaction():
        await send_confirmation(conn, urls, instance_name, account_id, username, email)
