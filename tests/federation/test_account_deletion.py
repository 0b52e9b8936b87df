"""Leaving cleanly: a member deletes their account; every server that knew it receives a signed
Delete, the actor answers 410 with a Tombstone, and the name cannot be taken again."""

from server.domain import following, posting
from server.keys import URLS
from server.models import Role
from server.store import accounts as accounts_store
from tests.federation.conftest import drain, follow_across
from tests.helpers import PASSWORD, csrf_token, log_in, make_member, submit

AS2 = {"Accept": "application/activity+json"}


async def test_a_deleted_account_is_gone_everywhere(instances):
    a, b = instances
    alice = await make_member(a.pool, "alice")
    bob = await make_member(b.pool, "bob")
    await make_member(b.pool, "carol")
    await follow_across(b, bob, a, "alice")  # b knows alice as a follower's server
    await follow_across(a, alice, b, "carol")
    status_id = await posting.create_post(a.pool, a.fed.urls, alice, posting.NewPost("my last words"), 500)
    await drain(a, b)
    assert await b.pool.fetchval("SELECT count(*) FROM statuses WHERE content LIKE '%my last words%'") == 1

    await log_in(a.client, "alice")
    refused = await submit(a.client, "/settings/delete", {"password": "wrong", "confirm": "on"},
                           page="/settings/delete")
    assert refused.status == 422 and "not your current password" in await refused.text()
    assert await accounts_store.get_user(a.pool, alice.id) is not None  # nothing happened
    done = await submit(a.client, "/settings/delete", {"password": PASSWORD, "confirm": "on"}, page="/settings/delete")
    assert done.status == 200 and "Your account is deleted" in await done.text()
    await drain(a, b)

    # b was told: its copy of alice is gone, and so is her post there.
    remote_alice = await b.pool.fetchrow("SELECT suspended_at, id FROM accounts WHERE username = 'alice'")
    assert remote_alice["suspended_at"] is not None
    assert await b.pool.fetchval("SELECT count(*) FROM statuses WHERE content LIKE '%my last words%'") == 0
    assert await b.pool.fetchval("SELECT count(*) FROM follows WHERE account_id = $1 OR target_account_id = $1",
                                 remote_alice["id"]) == 0

    gone = await a.client.get("/users/alice", headers=AS2)
    assert gone.status == 410 and (await gone.json())["type"] == "Tombstone"
    assert (await a.client.get("/.well-known/webfinger", params={"resource": f"acct:alice@{a.host}"})).status == 404
    assert (await a.client.get(f"/users/alice/statuses/{status_id}", headers=AS2)).status in (404, 410)
    assert (await a.client.get("/settings/profile", allow_redirects=False)).status == 303  # signed out
    assert "Wrong username or password" in await (await submit(
        a.client, "/login", {"username": "alice", "password": PASSWORD}, page="/login")).text()
    taken = await a.client.post("/signup", data={"username": "alice", "password": "a fresh password",
                                                 "csrf_token": await csrf_token(a.client, "/login")})
    assert taken.status == 422 and "already taken" in await taken.text()
    assert await a.pool.fetchval("SELECT count(*) FROM follows WHERE account_id = $1 OR target_account_id = $1",
                                 alice.id) == 0


async def test_admins_delete_accounts_moderators_cannot(client, pool):
    await make_member(pool, "boss", Role.ADMIN)
    await make_member(pool, "mod", Role.MODERATOR)
    target = await make_member(pool, "leaver")
    await following.follow(pool, client.server.app[URLS], target, await make_member(pool, "friend"))
    await log_in(client, "mod")
    assert (await submit(client, f"/admin/accounts/{target.id}/delete", {"confirm": "on"})).status == 403
    await log_in(client, "boss")
    page = await (await client.get(f"/admin/accounts/{target.id}")).text()
    assert "Delete the account" in page
    assert (await submit(client, f"/admin/accounts/{target.id}/delete", {})).status == 422  # not confirmed
    assert (await submit(client, f"/admin/accounts/{target.id}/delete", {"confirm": "on"})).status == 303
    assert await accounts_store.get_user(pool, target.id) is None
    assert "Deleted" in await (await client.get(f"/admin/accounts/{target.id}")).text()
    assert await pool.fetchval("SELECT action FROM moderation_log ORDER BY id DESC LIMIT 1") == "account: deleted"

