"""Every query on sign-up applications and invite links."""

from __future__ import annotations

from typing import Any

from server.store.accounts import ACCOUNT_COLUMNS, Executor, account_from_row


async def set_application(db: Executor, account_id: int, state: str, reason: str = "") -> None:
    await db.execute("UPDATE users SET application_state = $2, signup_reason = $3 WHERE account_id = $1",
                     account_id, state, reason)


async def application_state(db: Executor, account_id: int) -> str | None:
    return await db.fetchval("SELECT application_state FROM users WHERE account_id = $1", account_id)


async def pending(db: Executor) -> list[dict[str, Any]]:
    rows = await db.fetch(
        f"SELECT {ACCOUNT_COLUMNS}, u.email, u.signup_reason FROM users u JOIN accounts a ON a.id = u.account_id"
        " WHERE u.application_state = 'pending' ORDER BY u.created_at"
    )
    return [{"account": account_from_row(r), "email": r["email"], "reason": r["signup_reason"]} for r in rows]


async def pending_count(db: Executor) -> int:
    return await db.fetchval("SELECT count(*) FROM users WHERE application_state = 'pending'")


async def decide(db: Executor, account_id: int, approve: bool) -> bool:
    return await db.fetchval(
        "UPDATE users SET application_state = $2 WHERE account_id = $1 AND application_state = 'pending'"
        " RETURNING true",
        account_id, "approved" if approve else "rejected",
    ) is not None


async def insert_invite(db: Executor, code: str, created_by: int, max_uses: int | None, days: int | None) -> None:
    await db.execute(
        "INSERT INTO invites (code, created_by, max_uses, expires_at) VALUES ($1, $2, $3,"
        " CASE WHEN $4::int IS NULL THEN NULL ELSE now() + make_interval(days => $4) END)",
        code, created_by, max_uses, days,
    )


async def use_invite(db: Executor, code: str) -> bool:
    """Count one use of a valid invite; False if it is unknown, used up or expired."""
    return await db.fetchval(
        "UPDATE invites SET uses = uses + 1 WHERE code = $1 AND (max_uses IS NULL OR uses < max_uses)"
        " AND (expires_at IS NULL OR expires_at > now()) RETURNING true",
        code,
    ) is not None


async def invite_valid(db: Executor, code: str) -> bool:
    return bool(await db.fetchval(
        "SELECT 1 FROM invites WHERE code = $1 AND (max_uses IS NULL OR uses < max_uses)"
        " AND (expires_at IS NULL OR expires_at > now())",
        code,
    ))


async def invites_of(db: Executor, account_id: int) -> list[dict[str, Any]]:
    rows = await db.fetch(
        "SELECT code, max_uses, uses, expires_at, created_at FROM invites WHERE created_by = $1 ORDER BY id DESC",
        account_id,
    )
    return [dict(r) for r in rows]


async def email_domains(db: Executor) -> list[str]:
    return [r["domain"] for r in await db.fetch("SELECT domain FROM email_domain_blocks ORDER BY domain")]


async def email_blocked(db: Executor, email: str) -> bool:
    """Whether the address's domain, or a parent of it, is blocked for sign-ups."""
    domain = email.rsplit("@", 1)[-1].lower()
    return bool(await db.fetchval(
        "SELECT 1 FROM email_domain_blocks WHERE $1 = domain OR $1 LIKE '%.' || domain", domain
    ))


async def set_email_block(db: Executor, domain: str, blocked: bool) -> bool:
    if blocked:
        query = "INSERT INTO email_domain_blocks (domain) VALUES ($1) ON CONFLICT DO NOTHING RETURNING true"
    else:
        query = "DELETE FROM email_domain_blocks WHERE domain = $1 RETURNING true"
    return await db.fetchval(query, domain) is not None
