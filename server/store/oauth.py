"""Every query on OAuth apps, authorization codes and access tokens (tokens stored as hashes)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from server.models import User
from server.store.accounts import USER_COLUMNS, Executor, user_from_row


@dataclass(frozen=True)
class App:
    id: int
    client_id: str
    client_secret: str
    name: str
    website: str | None
    redirect_uris: list[str]
    scopes: list[str]


@dataclass(frozen=True)
class Token:
    id: int
    app_id: int
    account_id: int | None
    scopes: list[str]
    app_name: str
    app_website: str | None


_APP = "id, client_id, client_secret, name, website, redirect_uris, scopes"


async def insert_app(db: Executor, client_id: str, client_secret: str, name: str, website: str | None,
                     redirect_uris: list[str], scopes: list[str]) -> App:
    row = await db.fetchrow(
        f"INSERT INTO oauth_apps (client_id, client_secret, name, website, redirect_uris, scopes)"
        f" VALUES ($1, $2, $3, $4, $5, $6) RETURNING {_APP}",
        client_id, client_secret, name, website, redirect_uris, scopes,
    )
    return App(**dict(row))


async def app_by_client_id(db: Executor, client_id: str) -> App | None:
    row = await db.fetchrow(f"SELECT {_APP} FROM oauth_apps WHERE client_id = $1", client_id)
    return App(**dict(row)) if row else None


async def app_by_id(db: Executor, app_id: int) -> App | None:
    row = await db.fetchrow(f"SELECT {_APP} FROM oauth_apps WHERE id = $1", app_id)
    return App(**dict(row)) if row else None


async def insert_code(db: Executor, code_hash: bytes, app_id: int, account_id: int, redirect_uri: str,
                      scopes: list[str], challenge: str | None, method: str | None, expires_at: datetime) -> None:
    await db.execute(
        "INSERT INTO oauth_codes (code_hash, app_id, account_id, redirect_uri, scopes, code_challenge,"
        " code_challenge_method, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        code_hash, app_id, account_id, redirect_uri, scopes, challenge, method, expires_at,
    )


async def take_code(db: Executor, code_hash: bytes, app_id: int):
    """Use up an authorization code (it works once); its row if it was valid and unexpired."""
    return await db.fetchrow(
        "DELETE FROM oauth_codes WHERE code_hash = $1 AND app_id = $2 RETURNING account_id, redirect_uri, scopes,"
        " code_challenge, code_challenge_method, expires_at > now() AS fresh",
        code_hash, app_id,
    )


async def insert_token(db: Executor, token_hash: bytes, refresh_hash: bytes | None, app_id: int,
                       account_id: int | None, scopes: list[str]) -> int:
    return await db.fetchval(
        "INSERT INTO oauth_tokens (token_hash, refresh_token_hash, app_id, account_id, scopes)"
        " VALUES ($1, $2, $3, $4, $5) RETURNING id",
        token_hash, refresh_hash, app_id, account_id, scopes,
    )


# How stale a token's last_used_at may get: it is written at most once an hour (Mastodon: once a
# day), so reading the API is not a write (and a WAL flush at commit) on every request.
LAST_USED_EVERY = "1 hour"

_FIND_TOKEN = (
    "WITH found AS (SELECT t.id, t.app_id, t.account_id, t.scopes, t.last_used_at, a.name AS app_name,"
    "  a.website AS app_website FROM oauth_tokens t JOIN oauth_apps a ON a.id = t.app_id"
    "  WHERE t.token_hash = $1 AND t.revoked_at IS NULL),"
    " touched AS (UPDATE oauth_tokens t SET last_used_at = now() FROM found WHERE t.id = found.id"
    f"  AND (found.last_used_at IS NULL OR found.last_used_at < now() - interval '{LAST_USED_EVERY}'))"
)


def _token(row: Any) -> Token:
    return Token(row["t_id"], row["t_app_id"], row["t_account_id"], row["t_scopes"], row["t_app_name"],
                 row["t_app_website"])


_TOKEN_COLUMNS = ("found.id AS t_id, found.app_id AS t_app_id, found.account_id AS t_account_id,"
                  " found.scopes AS t_scopes, found.app_name AS t_app_name, found.app_website AS t_app_website")


async def token_by_hash(db: Executor, token_hash: bytes) -> Token | None:
    """The live token with this hash (its last use noted, see LAST_USED_EVERY)."""
    row = await db.fetchrow(f"{_FIND_TOKEN} SELECT {_TOKEN_COLUMNS} FROM found", token_hash)
    return _token(row) if row else None


async def token_and_user(db: Executor, token_hash: bytes) -> tuple[Token, User | None] | None:
    """token_by_hash and the member it belongs to (None for an app's own token, or a member gone),
    in one statement: every API request starts with it."""
    row = await db.fetchrow(
        f"{_FIND_TOKEN} SELECT {_TOKEN_COLUMNS}, u.account_id AS u_account_id, {USER_COLUMNS} FROM found"
        " LEFT JOIN users u ON u.account_id = found.account_id LEFT JOIN accounts a ON a.id = u.account_id",
        token_hash,
    )
    if row is None:
        return None
    return _token(row), user_from_row(row) if row["u_account_id"] is not None else None


async def take_refresh(db: Executor, refresh_hash: bytes, app_id: int):
    """Revoke the token a refresh token belongs to and return (account_id, scopes) for its successor."""
    return await db.fetchrow(
        "UPDATE oauth_tokens SET revoked_at = now() WHERE refresh_token_hash = $1 AND app_id = $2"
        " AND revoked_at IS NULL RETURNING account_id, scopes",
        refresh_hash, app_id,
    )


def _revoking(where: str) -> str:
    """Revoke the tokens matching `where` and announce their ids on the streaming channel in the
    same transaction, so every process closes the streams they opened (server/api/streaming/hub.py)."""
    return (
        f"WITH gone AS (UPDATE oauth_tokens SET revoked_at = now() WHERE {where} AND revoked_at IS NULL"
        " RETURNING id)"
        " SELECT pg_notify('kith_stream', json_build_object('event', 'tokens_revoked',"
        " 'token_ids', array_agg(id))::text) FROM gone HAVING count(*) > 0"
    )


async def revoke(db: Executor, token_hash: bytes, app_id: int) -> None:
    await db.execute(_revoking("(token_hash = $1 OR refresh_token_hash = $1) AND app_id = $2"), token_hash, app_id)


async def revoke_all(db: Executor, account_id: int) -> None:
    """Every token of the member (a suspension)."""
    await db.execute(_revoking("account_id = $1"), account_id)


async def authorized_apps(db: Executor, account_id: int) -> list[dict]:
    rows = await db.fetch(
        "SELECT a.id, a.name, a.website, array_agg(DISTINCT s) AS scopes, max(t.last_used_at) AS last_used_at,"
        " min(t.created_at) AS since FROM oauth_tokens t JOIN oauth_apps a ON a.id = t.app_id,"
        " unnest(t.scopes) AS s WHERE t.account_id = $1 AND t.revoked_at IS NULL GROUP BY a.id ORDER BY since",
        account_id,
    )
    return [dict(r) for r in rows]


async def revoke_app(db: Executor, account_id: int, app_id: int) -> None:
    await db.execute(_revoking("account_id = $1 AND app_id = $2"), account_id, app_id)
