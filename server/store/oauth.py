"""Every query on OAuth apps, authorization codes and access tokens (tokens stored as hashes)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from server.store.accounts import Executor


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


async def token_by_hash(db: Executor, token_hash: bytes) -> Token | None:
    row = await db.fetchrow(
        "UPDATE oauth_tokens t SET last_used_at = now() FROM oauth_apps a"
        " WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND a.id = t.app_id"
        " RETURNING t.id, t.app_id, t.account_id, t.scopes, a.name AS app_name, a.website AS app_website",
        token_hash,
    )
    return Token(**dict(row)) if row else None


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
