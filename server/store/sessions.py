"""Every query on web sessions and failed logins."""

from __future__ import annotations

from server.store.accounts import Executor


async def insert(db: Executor, token_hash: bytes, account_id: int, user_agent: str, ip: str) -> None:
    await db.execute(
        "INSERT INTO web_sessions (token_hash, account_id, user_agent, ip) VALUES ($1, $2, $3, $4)",
        token_hash,
        account_id,
        user_agent[:300],
        ip,
    )


async def touch(db: Executor, token_hash: bytes, idle_days: int) -> int | None:
    """The session's account id, refreshing last_seen_at; None if unknown or idle too long."""
    return await db.fetchval(
        "UPDATE web_sessions SET last_seen_at = now() WHERE token_hash = $1"
        " AND last_seen_at > now() - make_interval(days => $2) RETURNING account_id",
        token_hash,
        idle_days,
    )


async def delete(db: Executor, token_hash: bytes) -> None:
    await db.execute("DELETE FROM web_sessions WHERE token_hash = $1", token_hash)


async def record_failure(db: Executor, username: str, ip: str) -> None:
    await db.execute("INSERT INTO login_failures (username, ip) VALUES ($1, $2)", username[:64], ip)


async def recent_failures(db: Executor, username: str, ip: str, minutes: int) -> int:
    """Failed logins in the window for this username or from this address, whichever is more."""
    return await db.fetchval(
        "SELECT greatest("
        " (SELECT count(*) FROM login_failures WHERE lower(username) = lower($1)"
        "   AND at > now() - make_interval(mins => $3)),"
        " (SELECT count(*) FROM login_failures WHERE ip = $2 AND at > now() - make_interval(mins => $3)))",
        username[:64],
        ip,
        minutes,
    )


async def clear_failures(db: Executor, username: str) -> None:
    await db.execute("DELETE FROM login_failures WHERE lower(username) = lower($1)", username[:64])
