"""Web Push subscriptions, one per access token (as Mastodon keeps them)."""

from __future__ import annotations

from typing import Any

from server.store.accounts import Executor


async def save_push(db: Executor, token_id: int, endpoint: str, p256dh: str, auth: str, alerts: dict[str, bool],
                    policy: str, *, standard: bool, access_token: str) -> dict[str, Any]:
    row = await db.fetchrow(
        "INSERT INTO push_subscriptions (token_id, endpoint, p256dh, auth, alerts, policy, standard, access_token)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (token_id) DO UPDATE SET endpoint = EXCLUDED.endpoint,"
        " p256dh = EXCLUDED.p256dh, auth = EXCLUDED.auth, alerts = EXCLUDED.alerts, policy = EXCLUDED.policy,"
        " standard = EXCLUDED.standard, access_token = EXCLUDED.access_token"
        " RETURNING token_id, endpoint, alerts, policy, standard",
        token_id, endpoint, p256dh, auth, alerts, policy, standard, access_token,
    )
    return dict(row)


async def update_push(db: Executor, token_id: int, alerts: dict[str, bool] | None, policy: str | None
                      ) -> dict[str, Any] | None:
    """Change what the app hears (alerts given are merged in) and from whom; None without a subscription."""
    row = await db.fetchrow(
        "UPDATE push_subscriptions SET alerts = alerts || coalesce($2::jsonb, '{}'), policy = coalesce($3, policy)"
        " WHERE token_id = $1 RETURNING token_id, endpoint, alerts, policy, standard", token_id, alerts, policy)
    return dict(row) if row else None


async def for_delivery(db: Executor, delivery_id: int) -> dict[str, Any] | None:
    """What sending one queued push needs: the subscription, its member and the notification id."""
    row = await db.fetchrow(
        "SELECT d.notification_id, ps.token_id, ps.endpoint, ps.p256dh, ps.auth, ps.standard, ps.access_token,"
        " t.account_id FROM push_deliveries d JOIN push_subscriptions ps ON ps.token_id = d.token_id"
        " JOIN oauth_tokens t ON t.id = ps.token_id WHERE d.id = $1 AND t.revoked_at IS NULL", delivery_id)
    return dict(row) if row else None


async def get_push(db: Executor, token_id: int) -> dict[str, Any] | None:
    row = await db.fetchrow("SELECT token_id, endpoint, alerts, policy, standard FROM push_subscriptions"
                            " WHERE token_id = $1", token_id)
    return dict(row) if row else None


async def delete_push(db: Executor, token_id: int) -> None:
    await db.execute("DELETE FROM push_subscriptions WHERE token_id = $1", token_id)
