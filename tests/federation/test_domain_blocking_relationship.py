"""The relationship's `domain_blocking`: true for an account whose whole domain the member hides."""

from tests.api.conftest import bearer, make_token
from tests.federation.test_inbox_hostile import follow


async def test_domain_blocking_in_the_relationship(kith, remote):
    alice, token = await make_token(kith.pool, "alice")
    mallory = remote.add_actor("mallory")
    await follow(kith, remote, mallory, alice)  # mallory is known here
    mallory_id = await kith.pool.fetchval("SELECT id FROM accounts WHERE uri = $1", mallory.id)

    async def relationship() -> dict:
        got = await kith.client.get("/api/v1/accounts/relationships", params={"id[]": str(mallory_id)},
                                    headers=bearer(token))
        return (await got.json())[0]

    assert (await relationship())["domain_blocking"] is False
    hidden = await kith.client.post("/api/v1/domain_blocks", data={"domain": remote.host.split(":")[0]},
                                    headers=bearer(token))
    assert hidden.status == 200
    assert (await relationship())["domain_blocking"] is True
