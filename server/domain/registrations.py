"""Joining an instance in each registration mode: open, approval (an application moderators
decide on), invite (a link with a use count and an expiry), closed."""

from __future__ import annotations

import secrets

import asyncpg

from server.domain import account_care
from server.domain.accounts import create_member
from server.domain.instance import InstanceSettings
from server.domain.moderation import normalise_domain
from server.errors import AppError, Invalid
from server.models import Account, Role, User
from server.store import domains as domains_store
from server.store import notifications as notifications_store
from server.store import registrations as registrations_store
from server.urls import Urls

MAX_REASON = 1000


async def sign_up(pool: asyncpg.Pool, site: InstanceSettings, username: str, password: str, email: str | None, *,
                  urls: Urls, confirm_email: bool, reason: str = "", invite: str = "") -> tuple[Account, str]:
    """Create the member as the mode allows; returns the account and what happens next: "welcome"
    (they may sign in now), "confirm" (a link to confirm their address was mailed first) or
    "applied" (moderators decide). A given address is always sent a confirmation link."""
    mode = site.registrations
    if mode == "closed":
        raise AppError(403, "This instance is not accepting sign-ups right now.")
    if mode == "invite" and not (invite and await registrations_store.invite_valid(pool, invite)):
        raise AppError(403, "This instance accepts sign-ups by invitation only, and this invite is not valid.")
    reason = reason.strip()
    if mode == "approval" and not reason:
        raise Invalid("Tell the moderators why you want to join.", field="reason")
    if len(reason) > MAX_REASON:
        raise Invalid(f"The reason can have at most {MAX_REASON} characters.", field="reason")
    if not email and (confirm_email or await registrations_store.email_domains(pool)):
        # Without an address, nothing could be confirmed, and a blocked provider could be sidestepped.
        raise Invalid("Enter your e-mail address: this instance needs one to sign up.", field="email")
    if email and await registrations_store.email_blocked(pool, email):
        raise Invalid("Sign-ups with addresses from that email provider are not accepted here.", field="email")
    async def within(conn: asyncpg.Connection, account: Account) -> None:
        """In the account's own transaction: an applicant starts pending; an invite is used up; staff hear."""
        await notifications_store.tell_staff(conn, "admin.sign_up", account.id)
        if email:
            await account_care.send_confirmation(conn, urls, site.instance_name, account.id, account.username, email)
        if mode == "approval":
            await registrations_store.set_application(conn, account.id, "pending", reason)
        if mode == "invite" and not await registrations_store.use_invite(conn, invite):
            raise AppError(403, "This invite has just been used up.")

    account = await create_member(pool, username, password, email=email, email_confirmed=False, within=within)
    if mode == "approval":
        return account, "applied"
    return account, "confirm" if email and confirm_email else "welcome"


async def decide(pool: asyncpg.Pool, staff_id: int, account: Account, approve: bool) -> None:
    async with pool.acquire() as conn, conn.transaction():
        if not await registrations_store.decide(conn, account.id, approve):
            raise AppError(404, "There is no such pending application.")
        await domains_store.log(conn, staff_id, f"application: {'approved' if approve else 'rejected'}",
                                f"@{account.username}")


async def block_email_domain(pool: asyncpg.Pool, staff_id: int, domain: str, *, blocked: bool = True) -> None:
    domain = normalise_domain(domain)
    async with pool.acquire() as conn, conn.transaction():
        if await registrations_store.set_email_block(conn, domain, blocked):
            await domains_store.log(conn, staff_id, f"email_domain_block: {'added' if blocked else 'removed'}", domain)


def may_invite(user: User, site: InstanceSettings) -> bool:
    return site.invites_by == "members" or user.role in (Role.ADMIN, Role.MODERATOR)


async def create_invite(pool: asyncpg.Pool, user: User, site: InstanceSettings, max_uses: int | None,
                        days: int | None) -> str:
    if not may_invite(user, site):
        raise AppError(403, "On this instance only staff can invite people.")
    if max_uses is not None and not 1 <= max_uses <= 1000:
        raise Invalid("Uses must be between 1 and 1000.", field="max_uses")
    if days is not None and not 1 <= days <= 365:
        raise Invalid("Invites last between 1 and 365 days.", field="days")
    code = secrets.token_urlsafe(12)
    await registrations_store.insert_invite(pool, code, user.id, max_uses, days)
    return code
