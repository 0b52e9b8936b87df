"""The search page finds posts by their words, as the API does, and accounts by the start of a name."""

from tests.helpers import log_in, make_member, post_status


async def test_search_page_finds_posts_by_words(client, pool):
    await make_member(pool, "alice")
    await make_member(pool, "bob")
    await log_in(client, "bob")
    await post_status(client, "The heirloom beans came up today")
    await log_in(client, "alice")
    found = await (await client.get("/search", params={"q": "heirloom"})).text()
    assert "The heirloom beans came up today" in found
    people = await (await client.get("/search", params={"q": "bo"})).text()
    assert "@<bdi>bob</bdi>" in people
    nothing = await (await client.get("/search", params={"q": "xylophonic"})).text()
    assert "Nothing found for xylophonic" in nothing
