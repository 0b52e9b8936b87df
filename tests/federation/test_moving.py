"""Moving an account across instances, as Mastodon does: the new account names the old one as an
alias, the old one moves, its remote followers' server receives a signed Move and moves them, its
followers here follow the new account at once; a move to an account that does not alias back
moves nobody."""

from server.domain import following
from server.store import accounts as accounts_store
from tests.federation.conftest import drain, follow_across
from tests.helpers import PASSWORD, log_in, make_member, post_status, submit

AS2 = {"Accept": "application/activity+json"}


async def followers_of(instance, username: str, domain: str | None) -> set[tuple[str, str | None]]:
    rows = await instance.pool.fetch(
        "SELECT f.username, f.domain FROM follows x JOIN accounts t ON t.id = x.target_account_id"
        " JOIN accounts f ON f.id = x.account_id WHERE t.username = $1 AND t.domain IS NOT DISTINCT FROM $2"
        " AND x.state = 'accepted'", username, domain)
    return {tuple(r) for r in rows}


async def test_moving_an_account_to_another_instance(instances):
    a, b = instances
    alice = await make_member(a.pool, "alice")
    carol = await make_member(a.pool, "carol")
    bob = await make_member(b.pool, "bob")
    await make_member(b.pool, "newalice")
    await follow_across(b, bob, a, "alice")
    await following.follow(a.pool, a.fed.urls, carol, alice)
    await drain(a, b)

    # The new account names the old one first.
    await log_in(b.client, "newalice")
    assert (await submit(b.client, "/settings/aliases", {"handle": f"alice@{a.host}"},
                         page="/settings/aliases")).status == 303
    actor = await (await b.client.get("/users/newalice", headers=AS2)).json()
    assert actor["alsoKnownAs"] == [f"{a.base}/users/alice"]

    await log_in(a.client, "alice")
    not_aliased = await submit(a.client, "/settings/migration", {"handle": f"bob@{b.host}", "password": PASSWORD},
                               page="/settings/migration")
    assert not_aliased.status == 422 and "does not name this account" in await not_aliased.text()
    wrong = await submit(a.client, "/settings/migration", {"handle": f"newalice@{b.host}", "password": "nope"},
                         page="/settings/migration")
    assert wrong.status == 422
    assert (await accounts_store.get_local(a.pool, "alice")).moved_to_uri is None  # nothing moved yet

    moved = await submit(a.client, "/settings/migration", {"handle": f"newalice@{b.host}", "password": PASSWORD},
                         page="/settings/migration")
    assert moved.status == 303
    await drain(a, b)

    # b received the Move: bob follows the new account now, and was told.
    assert await followers_of(b, "newalice", None) == {("bob", None), ("carol", a.host)}
    assert ("bob", None) not in await followers_of(b, "alice", a.host)
    assert await b.pool.fetchval("SELECT count(*) FROM notifications WHERE type = 'move' AND account_id = $1",
                                 bob.id) == 1
    # Here, carol was moved at once; alice's actor says where she went; she posts no more.
    assert ("carol", None) not in await followers_of(a, "alice", None)
    doc = await (await a.client.get("/users/alice", headers=AS2)).json()
    assert doc["movedTo"] == f"{b.base}/users/newalice"
    assert await post_status(a.client, "still here?") == 422
    profile = await (await a.client.get("/@alice")).text()
    assert "This account has moved" in profile and f"@<bdi>newalice@{b.host}</bdi>" in profile
    again = await submit(a.client, "/settings/migration", {"handle": f"newalice@{b.host}", "password": PASSWORD},
                         page="/settings/migration")
    assert again.status == 422 and "once every 30 days" in await again.text()
