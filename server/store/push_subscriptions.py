"""Web Push subscriptions, one per access token (as Mastodon keeps them)."""

from __future__ import annotations

from typing import Any

from server.store.accounts import Executor


async def save_push(db: Executor, token_id: int, endpoint: str, p256dh: str, auth: str, alerts: dict[str, bool],
                    policy: str) -> dict[str, Any]:
    row = await db.fetchrow(
        "INSERT INTO push_subscriptions (token_id, endpoint, p256dh, auth, alerts, policy)"
        " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (token_id) DO UPDATE SET endpoint = EXCLUDED.endpoint,"
        " p256dh = EXCLUDED.p256dh, auth = EXCLUDED.auth, alerts = EXCLUDED.alerts, policy = EXCLUDED.policy"
        " RETURNING token_id, endpoint, alerts, policy",
        token_id, endpoint, p256dh, auth, alerts, policy,
    )
    return dict(row)


async def get_push(db: Executor, token_id: int) -> dict[str, Any] | None:
    row = await db.fetchrow("SELECT token_id, endpoint, alerts, policy FROM push_subscriptions WHERE token_id = $1",
                            token_id)
    return dict(row) if row else None


async def delete_push(db: Executor, token_id: int) -> None:
    await db.execute("DELETE FROM push_subscriptions WHERE token_id = $1", token_id)
