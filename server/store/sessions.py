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


async def delete_all_of(db: Executor, account_id: int, *, keep: bytes | None = None) -> None:
    """Log the account out everywhere (but in the session whose token hash is `keep`)."""
    await db.execute("DELETE FROM web_sessions WHERE account_id = $1 AND token_hash IS DISTINCT FROM $2",
                     account_id, keep)


async def of_account(db: Executor, account_id: int) -> list[dict]:
    """The account's signed-in browsers, most recently used first."""
    rows = await db.fetch(
        "SELECT id, token_hash, created_at, last_seen_at, user_agent, ip FROM web_sessions WHERE account_id = $1"
        " ORDER BY last_seen_at DESC", account_id)
    return [dict(r) for r in rows]


async def delete_one(db: Executor, account_id: int, session_id: int) -> bool:
    return await db.fetchval("DELETE FROM web_sessions WHERE account_id = $1 AND id = $2 RETURNING true",
                             account_id, session_id) is not None


async def record_failure(db: Executor, username: str, ip: str, device_hash: bytes | None = None) -> None:
    await db.execute(
        "INSERT INTO login_failures (username, ip, device_hash) VALUES ($1, $2, $3)", username[:64], ip, device_hash
    )


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


async def device_failures(db: Executor, device_hash: bytes, minutes: int) -> int:
    """Failed logins in the window from one trusted device (its own budget)."""
    return await db.fetchval(
        "SELECT count(*) FROM login_failures WHERE device_hash = $1 AND at > now() - make_interval(mins => $2)",
        device_hash,
        minutes,
    )


async def clear_failures(db: Executor, username: str) -> None:
    await db.execute("DELETE FROM login_failures WHERE lower(username) = lower($1)", username[:64])


async def clear_device_failures(db: Executor, device_hash: bytes) -> None:
    await db.execute("DELETE FROM login_failures WHERE device_hash = $1", device_hash)


async def device_trusted(db: Executor, device_hash: bytes, account_id: int, max_age_days: int) -> bool:
    """Whether this browser signed in to `account_id` within the last `max_age_days`."""
    return await db.fetchval(
        "SELECT EXISTS (SELECT 1 FROM login_devices WHERE token_hash = $1 AND account_id = $2"
        " AND last_used_at > now() - make_interval(days => $3))",
        device_hash,
        account_id,
        max_age_days,
    )


async def remember_device(db: Executor, device_hash: bytes, account_id: int) -> None:
    """Record (or refresh) a browser that signed in to `account_id`."""
    await db.execute(
        "INSERT INTO login_devices (token_hash, account_id) VALUES ($1, $2)"
        " ON CONFLICT (token_hash, account_id) DO UPDATE SET last_used_at = now()",
        device_hash,
        account_id,
    )
