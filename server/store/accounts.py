"""Every query on accounts and local users."""

from __future__ import annotations

from typing import Any

import asyncpg

from server.models import Account, Role, User

Executor = asyncpg.Connection | asyncpg.Pool

_COLUMNS = (
    "id", "username", "domain", "display_name", "note", "uri", "url", "locked", "created_at", "suspended_at",
    "discoverable", "actor_type", "avatar_url", "header_url", "fields",
)
ACCOUNT_COLUMNS = ", ".join(f"a.{c}" for c in _COLUMNS)


def account_columns(alias: str, prefix: str) -> str:
    """The account columns of table `alias`, renamed with `prefix` (to select them beside others)."""
    return ", ".join(f"{alias}.{c} AS {prefix}{c}" for c in _COLUMNS)


def account_from_row(row: Any, prefix: str = "") -> Account:
    """Build an Account from a row; `prefix` selects aliased columns (e.g. 'author_')."""
    values = {c: row[prefix + c] for c in _COLUMNS}
    values["fields"] = tuple((f["name"], f["value"]) for f in values["fields"] or ())
    return Account(**values)


async def insert_local(
    db: Executor, *, username: str, display_name: str, public_key_pem: str, private_key_pem: str
) -> Account | None:
    """Insert a local account; None when the username is taken (case-insensitively)."""
    row = await db.fetchrow(
        "INSERT INTO accounts AS a (username, display_name, public_key_pem, private_key_pem)"
        " VALUES ($1, $2, $3, $4) ON CONFLICT (lower(username), lower(coalesce(domain, '')))"
        f" DO NOTHING RETURNING {ACCOUNT_COLUMNS}",
        username,
        display_name,
        public_key_pem,
        private_key_pem,
    )
    return account_from_row(row) if row else None


async def insert_user(db: Executor, *, account_id: int, email: str | None, password_hash: str, role: Role) -> None:
    await db.execute(
        "INSERT INTO users (account_id, email, password_hash, role) VALUES ($1, $2, $3, $4)",
        account_id,
        email,
        password_hash,
        role.value,
    )


async def email_taken(db: Executor, email: str) -> bool:
    return bool(await db.fetchval("SELECT 1 FROM users WHERE lower(email) = lower($1)", email))


async def get_by_id(db: Executor, account_id: int) -> Account | None:
    row = await db.fetchrow(f"SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.id = $1", account_id)
    return account_from_row(row) if row else None


async def get_local(db: Executor, username: str) -> Account | None:
    row = await db.fetchrow(
        f"SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE lower(a.username) = lower($1) AND a.domain IS NULL",
        username,
    )
    return account_from_row(row) if row else None


async def get_local_many(db: Executor, usernames: list[str]) -> list[Account]:
    """Local accounts among these usernames (case-insensitive); unknown names are left out."""
    rows = await db.fetch(
        f"SELECT {ACCOUNT_COLUMNS} FROM accounts a"
        " WHERE a.domain IS NULL AND lower(a.username) = ANY($1::text[])",
        [u.lower() for u in usernames],
    )
    return [account_from_row(r) for r in rows]


async def get_user(db: Executor, account_id: int) -> User | None:
    row = await db.fetchrow(
        f"SELECT {ACCOUNT_COLUMNS}, u.email, u.role FROM users u JOIN accounts a ON a.id = u.account_id"
        " WHERE u.account_id = $1",
        account_id,
    )
    return User(account=account_from_row(row), email=row["email"], role=Role(row["role"])) if row else None


async def get_password_hash(db: Executor, username: str) -> tuple[int, str] | None:
    """(account id, argon2 hash) of the local user with this username, if any."""
    row = await db.fetchrow(
        "SELECT u.account_id, u.password_hash FROM users u JOIN accounts a ON a.id = u.account_id"
        " WHERE lower(a.username) = lower($1) AND a.domain IS NULL",
        username,
    )
    return (row["account_id"], row["password_hash"]) if row else None


async def set_password_hash(db: Executor, account_id: int, password_hash: str) -> None:
    await db.execute("UPDATE users SET password_hash = $2 WHERE account_id = $1", account_id, password_hash)


async def list_users(db: Executor) -> list[User]:
    rows = await db.fetch(
        f"SELECT {ACCOUNT_COLUMNS}, u.email, u.role FROM users u JOIN accounts a ON a.id = u.account_id"
        " ORDER BY a.id"
    )
    return [User(account=account_from_row(r), email=r["email"], role=Role(r["role"])) for r in rows]


async def count_local_users(db: Executor) -> int:
    return await db.fetchval("SELECT count(*) FROM users")


async def count_active_users(db: Executor, days: int) -> int:
    """Local users who posted or signed in within the last `days` days (NodeInfo's activeMonth etc.)."""
    return await db.fetchval(
        "SELECT count(*) FROM users u WHERE EXISTS ("
        "  SELECT 1 FROM web_sessions w WHERE w.account_id = u.account_id"
        "  AND w.last_seen_at > now() - make_interval(days => $1))"
        " OR EXISTS (SELECT 1 FROM statuses s WHERE s.account_id = u.account_id"
        "  AND s.created_at > now() - make_interval(days => $1))",
        days,
    )


async def get_keys(db: Executor, account_id: int) -> tuple[str, str | None] | None:
    """(public PEM, private PEM or None for remote accounts)."""
    row = await db.fetchrow("SELECT public_key_pem, private_key_pem FROM accounts WHERE id = $1", account_id)
    return (row["public_key_pem"], row["private_key_pem"]) if row else None


async def insert_instance_actor(db: Executor, username: str, public_key_pem: str, private_key_pem: str) -> Account:
    """The instance's own actor (signs fetches and instance-level activities); made once."""
    await db.execute(
        "INSERT INTO accounts (username, display_name, public_key_pem, private_key_pem, actor_type, locked,"
        " discoverable) VALUES ($1, $1, $2, $3, 'Application', true, false)"
        " ON CONFLICT (lower(username), lower(coalesce(domain, ''))) DO NOTHING",
        username,
        public_key_pem,
        private_key_pem,
    )
    account = await get_local(db, username)
    assert account is not None
    return account
