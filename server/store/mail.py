"""Every query on the mail queue and on the single-use links mails carry."""

from __future__ import annotations

from datetime import timedelta
from typing import NamedTuple

from server.store.accounts import Executor


async def enqueue(db: Executor, to_address: str, subject: str, body: str) -> int:
    return await db.fetchval(
        "INSERT INTO mail_outbox (to_address, subject, body) VALUES ($1, $2, $3) RETURNING id",
        to_address, subject, body,
    )


async def add_token(db: Executor, token_hash: str, account_id: int, purpose: str, lifetime: timedelta,
                    email: str | None = None) -> None:
    await db.execute(
        "INSERT INTO user_tokens (token_hash, account_id, purpose, email, expires_at)"
        " VALUES ($1, $2, $3, $4, now() + $5::interval)",
        token_hash, account_id, purpose, email, lifetime,
    )


class UsedToken(NamedTuple):
    account_id: int
    email: str | None


async def use_token(db: Executor, token_hash: str, purpose: str) -> UsedToken | None:
    """Spend a link: the account (and address) it was for, or None if unknown, used or expired."""
    row = await db.fetchrow(
        "UPDATE user_tokens SET used_at = now() WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL"
        " AND expires_at > now() RETURNING account_id, email",
        token_hash, purpose,
    )
    return UsedToken(row["account_id"], row["email"]) if row else None


async def token_valid(db: Executor, token_hash: str, purpose: str) -> bool:
    return bool(await db.fetchval(
        "SELECT 1 FROM user_tokens WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL"
        " AND expires_at > now()", token_hash, purpose))


async def spend_all(db: Executor, account_id: int, purpose: str) -> None:
    """Void the account's other open links of this kind (a new password ends every reset link)."""
    await db.execute("UPDATE user_tokens SET used_at = now() WHERE account_id = $1 AND purpose = $2"
                     " AND used_at IS NULL", account_id, purpose)
