"""Every query on members' two-factor sign-in (TOTP secrets, used steps, recovery codes)."""

from __future__ import annotations

from typing import NamedTuple

from server.store.accounts import Executor


class OtpState(NamedTuple):
    secret: str | None
    enabled: bool


async def state(db: Executor, account_id: int) -> OtpState:
    row = await db.fetchrow("SELECT otp_secret, otp_enabled_at IS NOT NULL AS enabled FROM users"
                            " WHERE account_id = $1", account_id)
    return OtpState(row["otp_secret"], row["enabled"]) if row else OtpState(None, False)


async def set_pending(db: Executor, account_id: int, secret: str) -> None:
    """A new secret while setting up (never over an enabled one)."""
    await db.execute("UPDATE users SET otp_secret = $2 WHERE account_id = $1 AND otp_enabled_at IS NULL",
                     account_id, secret)


async def enable(db: Executor, account_id: int, recovery_hashes: list[str]) -> bool:
    return await db.fetchval(
        "UPDATE users SET otp_enabled_at = now(), otp_recovery_hashes = $2 WHERE account_id = $1"
        " AND otp_secret IS NOT NULL AND otp_enabled_at IS NULL RETURNING true", account_id, recovery_hashes,
    ) is not None


async def disable(db: Executor, account_id: int) -> bool:
    """Turn it off and forget the secret and recovery codes; False if it was not on."""
    return await db.fetchval(
        "UPDATE users SET otp_secret = NULL, otp_enabled_at = NULL, otp_last_step = NULL,"
        " otp_recovery_hashes = '{}' WHERE account_id = $1 AND otp_enabled_at IS NOT NULL RETURNING true",
        account_id,
    ) is not None


async def use_step(db: Executor, account_id: int, step: int) -> bool:
    """Record a code's time step as used; False if it (or a later one) was used already."""
    return await db.fetchval(
        "UPDATE users SET otp_last_step = $2 WHERE account_id = $1 AND (otp_last_step IS NULL OR otp_last_step < $2)"
        " RETURNING true", account_id, step) is not None


async def use_recovery(db: Executor, account_id: int, code_hash: str) -> bool:
    """Spend one recovery code; False if it is not one of the member's unused codes."""
    return await db.fetchval(
        "UPDATE users SET otp_recovery_hashes = array_remove(otp_recovery_hashes, $2) WHERE account_id = $1"
        " AND $2 = ANY(otp_recovery_hashes) RETURNING true", account_id, code_hash) is not None


async def recovery_left(db: Executor, account_id: int) -> int:
    return await db.fetchval("SELECT cardinality(otp_recovery_hashes) FROM users WHERE account_id = $1",
                             account_id) or 0
