"""A token's last use is noted at most once an hour: reading the API is not a write on every request."""

from __future__ import annotations

import secrets

from server.api.auth import token_hash
from server.store import oauth as oauth_store
from tests.helpers import make_member


async def test_last_used_at_is_written_once_an_hour(client, pool):
    alice = await make_member(pool, "alice")
    app = await oauth_store.insert_app(pool, secrets.token_hex(8), "secret", "Use test", None,
                                       ["urn:ietf:wg:oauth:2.0:oob"], ["read"])
    token = secrets.token_urlsafe(16)
    token_id = await oauth_store.insert_token(pool, token_hash(token), None, app.id, alice.id, ["read"])
    headers = {"Authorization": f"Bearer {token}"}

    async def last_used():
        return await pool.fetchval("SELECT last_used_at FROM oauth_tokens WHERE id = $1", token_id)

    assert await last_used() is None
    resp = await client.get("/api/v1/accounts/verify_credentials", headers=headers)
    assert resp.status == 200 and (await resp.json())["username"] == "alice"
    first = await last_used()
    assert first is not None
    assert (await client.get("/api/v1/timelines/home", headers=headers)).status == 200
    assert await last_used() == first  # within the hour: not written again

    await pool.execute("UPDATE oauth_tokens SET last_used_at = now() - interval '61 minutes' WHERE id = $1", token_id)
    assert (await client.get("/api/v1/timelines/home", headers=headers)).status == 200
    assert await last_used() > first

    app_only = secrets.token_urlsafe(16)  # an app's own token: no member
    await oauth_store.insert_token(pool, token_hash(app_only), None, app.id, None, ["read"])
    resp = await client.get("/api/v1/apps/verify_credentials", headers={"Authorization": f"Bearer {app_only}"})
    assert resp.status == 200 and (await resp.json())["name"] == "Use test"
    await pool.execute("UPDATE users SET application_state = 'pending' WHERE account_id = $1", alice.id)
    assert (await client.get("/api/v1/timelines/home", headers=headers)).status == 403  # awaiting approval
