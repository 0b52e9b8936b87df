"""The profile directory page: who chose to be listed, in the order asked for, to visitors too;
what the viewer blocked stays out; bad parameters get a clear 400."""

import re

from aiohttp.test_utils import TestClient

from tests.helpers import log_in, make_member, post_status, submit


def listed(page: str) -> list[str]:
    """The handles in the directory's list, in order (the navigation shows the viewer's own too)."""
    return re.findall(r'<span class="handle">@<bdi>([^<]+)</bdi></span>', page.split('class="people directory"')[1])


async def test_the_directory_lists_who_chose_to_be_listed(client, pool):
    await make_member(pool, "alice")
    quiet = await make_member(pool, "quiet")
    await make_member(pool, "bob")
    await pool.execute("UPDATE accounts SET discoverable = false WHERE id = $1", quiet.id)
    await pool.execute("UPDATE accounts SET note = '<p>I grow tomatoes</p>' WHERE username = 'alice'")
    await log_in(client, "alice")
    assert await post_status(client, "the latest post") == 303

    page = await (await client.get("/directory")).text()
    assert listed(page) == ["alice", "bob"]  # the latest post first; quiet chose not to be listed
    assert "I grow tomatoes" in page and "1 post · 0 followers · last post" in page
    assert listed(await (await client.get("/directory?order=new")).text()) == ["bob", "alice"]  # newest first
    assert 'href="/directory">Profile directory</a>' in page  # the footer links to it

    assert (await submit(client, "/@bob/block")).status == 303
    assert listed(await (await client.get("/directory")).text()) == ["alice"]  # what alice blocked stays out
    visitor = TestClient(client.server)
    assert listed(await (await visitor.get("/directory")).text()) == ["alice", "bob"]
    await visitor.session.close()

    for query, message in (("order=popular", "order must be one of active, new"),
                           ("scope=mine", "scope must be one of local, all"),
                           ("offset=-1", "offset must be a whole number"),
                           ("offset=" + "9" * 5000, "offset must be a whole number")):
        refused = await client.get(f"/directory?{query}")
        assert refused.status == 400 and message in await refused.text()


async def test_known_accounts_are_listed_unless_their_domain_is_limited(client, pool):
    from server.domain import moderation
    from server.store.domains import DomainPolicy

    await make_member(pool, "alice")
    await pool.execute("INSERT INTO accounts (username, domain, uri, public_key_pem) VALUES"
                       " ('far', 'far.example', 'https://far.example/users/far', 'k')")
    assert listed(await (await client.get("/directory")).text()) == ["alice"]  # this server's, by default
    assert listed(await (await client.get("/directory?scope=all&order=new")).text()) == ["far@far.example", "alice"]
    await moderation.set_domain_policy(pool, DomainPolicy("example", severity="limit"), None)  # a parent domain
    assert listed(await (await client.get("/directory?scope=all")).text()) == ["alice"]
