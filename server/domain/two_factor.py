"""Two-factor sign-in with a TOTP app (RFC 6238, 30-second steps, 6 digits): set up from a QR
code, enabled once a code checks out, with ten single-use recovery codes; each code works once."""

from __future__ import annotations

import hashlib
import secrets
import time

import asyncpg
import pyotp
from markupsafe import Markup

from server.domain import account_care
from server.errors import AppError, Invalid
from server.mail.outbox import queue_mail
from server.models import Account
from server.store import accounts as accounts_store
from server.store import domains as domains_store
from server.store import two_factor as otp_store

RECOVERY_CODES = 10
DRIFT_STEPS = 1  # a code from the step before or after is accepted (clocks drift)


def _hash(code: str) -> str:
    return hashlib.sha256(code.strip().lower().replace("-", "").encode()).hexdigest()


async def enabled(pool: asyncpg.Pool, account_id: int) -> bool:
    return (await otp_store.state(pool, account_id)).enabled


async def start_setup(pool: asyncpg.Pool, account_id: int) -> str:
    """The secret being set up: the pending one, or a new one."""
    current = await otp_store.state(pool, account_id)
    if current.enabled:
        raise Invalid("Two-factor sign-in is already on.")
    if current.secret:
        return current.secret
    secret = pyotp.random_base32()
    await otp_store.set_pending(pool, account_id, secret)
    return secret


def qr_svg(secret: str, label: str, issuer: str) -> Markup:
    """The otpauth:// URI as an SVG QR code, drawn here (no image leaves the server)."""
    import segno  # here, not at the top: only this page draws QR codes

    uri = pyotp.TOTP(secret).provisioning_uri(name=label, issuer_name=issuer)
    return Markup(segno.make(uri, error="m").svg_inline(scale=5, border=2, dark="#000", light="#fff",
                                                         omitsize=False, title="QR code for your app"))


def _matching_step(secret: str, code: str) -> int | None:
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp, now = pyotp.TOTP(secret), int(time.time())
    for offset in range(-DRIFT_STEPS, DRIFT_STEPS + 1):
        at = now + offset * totp.interval
        if secrets.compare_digest(totp.at(at), code):
            return at // totp.interval
    return None


async def enable(pool: asyncpg.Pool, account_id: int, code: str) -> list[str]:
    """Turn it on once a code from the member's app matches; the recovery codes, shown once."""
    current = await otp_store.state(pool, account_id)
    step = _matching_step(current.secret, code) if current.secret and not current.enabled else None
    if step is None:
        raise Invalid("That code does not match. Enter the 6 digits your app shows now.", field="code")
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODES)]
    async with pool.acquire() as conn, conn.transaction():
        if not await otp_store.enable(conn, account_id, [_hash(c) for c in codes]):
            raise Invalid("Two-factor sign-in is already on.")
        await otp_store.use_step(conn, account_id, step)
    return codes


async def verify(pool: asyncpg.Pool, account_id: int, code: str) -> bool:
    """A current code from the app (each works once) or an unused recovery code (then spent)."""
    current = await otp_store.state(pool, account_id)
    if not current.enabled or not current.secret:
        return False
    step = _matching_step(current.secret, code)
    if step is not None:
        return await otp_store.use_step(pool, account_id, step)
    return len(code.strip()) <= 20 and await otp_store.use_recovery(pool, account_id, _hash(code))


async def disable(pool: asyncpg.Pool, account_id: int, password: str, code: str) -> None:
    await account_care.check_password(pool, account_id, password)
    if not await verify(pool, account_id, code):
        raise Invalid("That code does not match (or was used already).", field="code")
    await otp_store.disable(pool, account_id)


async def staff_disable(pool: asyncpg.Pool, instance_name: str, staff_id: int | None, target: Account) -> None:
    """An admin turns it off for a member who lost both their app and their recovery codes, as
    Mastodon's "Disable 2FA": the member signs in with the password alone and may set it up again.
    It goes in the moderation log (without staff from the command line), and the member is told by
    mail, in case it was not their asking."""
    async with pool.acquire() as conn, conn.transaction():
        if not await otp_store.disable(conn, target.id):
            raise AppError(409, f"Two-factor sign-in is not on for @{target.username}.")  # nothing to turn off
        await domains_store.log(conn, staff_id, "account: disable two-factor", f"@{target.handle()}")
        member = await accounts_store.mail_target_by_id(conn, target.id)
        if member is not None and member.email:
            await queue_mail(conn, member.email, f"Two-factor sign-in was turned off on {instance_name}", (
                f"Hello @{member.username},\n\nan administrator of {instance_name} turned off two-factor sign-in"
                " for your account: your password alone now signs you in. You can set it up again under"
                " Settings, Two-factor sign-in.\n\nIf you did not ask for this, change your password and"
                " contact the administrators.\n"))
