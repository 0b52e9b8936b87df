"""How many statements a home timeline costs: the feed query with its generic plan (and nothing
left behind on the connection), then one statement for all the status entities of the page."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from server.api.entities import statuses_to_api
from server.domain import following, marks, posting, reactions
from server.store import home_feed
from server.store.paging import Page
from server.store.plans import fetch_generic
from server.urls import Urls
from tests.helpers import counting_pool, make_member

URLS = Urls("https://kith.test")


@pytest.fixture
async def counted(database_url: str) -> AsyncIterator[tuple[asyncpg.Pool, list[str]]]:
    """A one-connection pool on the test database that records every statement it sends."""
    async with counting_pool(database_url, max_size=1) as counted:
        yield counted


async def test_the_generic_plan_setting_ends_with_its_query(pool, counted):
    counting, statements = counted
    rows = await fetch_generic(counting, "SELECT current_setting('plan_cache_mode') AS mode")
    assert rows[0]["mode"] == "force_generic_plan"
    assert len(statements) == 3  # BEGIN and SET LOCAL together, the query, COMMIT
    async with counting.acquire() as conn:
        assert await conn.fetchval("SHOW plan_cache_mode") == "auto" and not conn.is_in_transaction()

    with pytest.raises(asyncpg.DivisionByZeroError):
        await fetch_generic(counting, "SELECT 1 / (SELECT count(*) FROM accounts WHERE false) AS x")
    async with counting.acquire() as conn:
        assert await conn.fetchval("SHOW plan_cache_mode") == "auto" and not conn.is_in_transaction()


async def test_a_home_timeline_page_in_few_statements(pool, counted):
    counting, statements = counted
    alice, bob, carol = [await make_member(pool, n) for n in ("alice", "bob", "carol")]
    await following.follow(pool, URLS, alice, bob)
    await following.follow(pool, URLS, alice, carol)
    first = await posting.create_post(pool, URLS, bob, posting.NewPost("hello @alice and @carol #Kith #art"), 500)
    await posting.create_post(pool, URLS, carol, posting.NewPost("a reply", in_reply_to_id=first), 500)
    await reactions.boost(pool, URLS, carol, first)
    await reactions.favourite(pool, URLS, alice, first)
    await marks.bookmark(pool, alice, first)

    page = await home_feed.timeline(counting, alice.id, Page(limit=20))
    await statuses_to_api(counting, URLS, page, alice.id)  # asyncpg reads the types it has not seen yet
    statements.clear()
    page = await home_feed.timeline(counting, alice.id, Page(limit=20))
    assert len(page) == 3
    assert len(statements) == 4  # BEGIN and SET LOCAL, the feed, the boosted post, COMMIT
    assert statements[-1] == "COMMIT"
    statements.clear()
    entities = await statuses_to_api(counting, URLS, page, alice.id)
    assert len(statements) == 1  # whatever the page holds
    by_id = {e["id"]: e for e in entities}
    post = by_id[str(first)]
    assert [m["acct"] for m in post["mentions"]] == ["alice", "carol"]
    assert sorted(t["name"] for t in post["tags"]) == ["art", "kith"]
    assert (post["replies_count"], post["reblogs_count"], post["favourites_count"]) == (1, 1, 1)
    assert (post["favourited"], post["bookmarked"], post["reblogged"], post["muted"]) == (True, True, False, False)
    assert post["account"]["statuses_count"] == 1 and post["account"]["followers_count"] == 1
    boost = next(e for e in entities if e["reblog"])
    assert boost["reblog"]["id"] == str(first) and boost["favourited"] is True

    statements.clear()
    seen = await statuses_to_api(counting, URLS, page, None)  # a visitor: no marks
    assert len(statements) == 1
    assert {e["favourited"] for e in seen} == {None}
