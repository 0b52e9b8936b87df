"""The profile counters PostgreSQL keeps in account_stats (migration 0046) always equal what the
counting query they replaced answers, whichever way posts and follows come and go."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg

from server.domain import following, inbound, posting, reactions
from server.models import Account, Visibility
from server.store import accounts as accounts_store
from server.store import follows as follows_store
from server.store import statuses as statuses_store
from server.urls import Urls
from tests.helpers import make_member

URLS = Urls("https://kith.test")

# The query accounts.counts ran before the counters (and follows.counts, statuses.count_by_account).
COUNTED = (
    "SELECT i.id,"
    " (SELECT count(*) FROM follows f WHERE f.target_account_id = i.id AND f.state = 'accepted') AS followers,"
    " (SELECT count(*) FROM follows f WHERE f.account_id = i.id AND f.state = 'accepted') AS following,"
    " (SELECT count(*) FROM statuses s WHERE s.account_id = i.id AND s.deleted_at IS NULL"
    "   AND s.visibility IN ('public', 'unlisted')) AS posts,"
    " (SELECT max(s.created_at)::date FROM statuses s WHERE s.account_id = i.id AND s.deleted_at IS NULL) AS last"
    " FROM accounts i"
)


async def assert_counts_match(pool: asyncpg.Pool) -> dict[int, accounts_store.Counts]:
    """The stored counters of every account equal the counted ones; returns them."""
    counted = {r["id"]: accounts_store.Counts(r["followers"], r["following"], r["posts"], r["last"])
               for r in await pool.fetch(COUNTED)}
    stored = await accounts_store.counts(pool, list(counted))
    assert stored == counted
    for account_id, count in counted.items():
        assert await follows_store.counts(pool, account_id) == (count.followers, count.following)
        assert await statuses_store.count_by_account(pool, account_id) == count.posts
    return stored


async def remote_account(pool: asyncpg.Pool, name: str, host: str = "remote.example") -> Account:
    uri = f"https://{host}/users/{name}"
    await pool.execute(
        "INSERT INTO accounts (username, domain, uri, inbox_url, public_key_pem) VALUES ($1, $2, $3, $4, 'x')",
        name, host, uri, f"{uri}/inbox")
    account = await accounts_store.get_by_uri(pool, uri)
    assert account is not None
    return account


async def remote_post(pool: asyncpg.Pool, author: Account, n: int, *, days_ago: float = 0,
                      visibility: Visibility = Visibility.PUBLIC) -> int:
    status_id = await statuses_store.insert_remote(
        pool, account_id=author.id, uri=f"{author.uri}/statuses/{n}", url=None, content=f"<p>{n}</p>",
        spoiler_text="", visibility=visibility, sensitive=False, language=None, kind="note", title="", poll=None,
        in_reply_to_id=None, in_reply_to_uri=None, published=datetime.now(UTC) - timedelta(days=days_ago), raw=None)
    assert status_id is not None
    return status_id


async def test_posts_boosts_and_deletions_keep_the_post_count(pool: asyncpg.Pool):
    alice, bob = await make_member(pool, "alice"), await make_member(pool, "bob")
    ids = {}
    for visibility in ("public", "unlisted", "private", "direct"):
        text = f"a {visibility} post" + (" @bob" if visibility == "direct" else "")
        ids[visibility] = await posting.create_post(pool, URLS, alice, posting.NewPost(text, visibility=visibility),
                                                    500)
    counts = await assert_counts_match(pool)
    assert counts[alice.id].posts == 2 and counts[alice.id].last_status_at is not None  # as before: not the others

    await reactions.boost(pool, URLS, bob, ids["public"])
    assert (await assert_counts_match(pool))[bob.id].posts == 1  # a boost counts, as it did
    await reactions.boost(pool, URLS, bob, ids["public"], undo=True)
    assert (await assert_counts_match(pool))[bob.id].posts == 0

    edit = posting.NewPost("the public post, edited", visibility="public")
    await posting.edit_post(pool, URLS, alice, ids["public"], edit, 500)
    assert (await assert_counts_match(pool))[alice.id].posts == 2

    await posting.delete_post(pool, URLS, alice, ids["public"])
    await posting.delete_post(pool, URLS, alice, ids["private"])
    assert (await assert_counts_match(pool))[alice.id].posts == 1
    for status_id in (ids["unlisted"], ids["direct"]):
        await posting.delete_post(pool, URLS, alice, status_id)
    counts = await assert_counts_match(pool)
    assert counts[alice.id].posts == 0 and counts[alice.id].last_status_at is None


async def test_the_last_post_date_falls_back_when_the_latest_post_goes(pool: asyncpg.Pool):
    remote = await remote_account(pool, "carol")
    await remote_post(pool, remote, 1, days_ago=30)
    await remote_post(pool, remote, 2, days_ago=10, visibility=Visibility.DIRECT)  # counts for the date only
    await remote_post(pool, remote, 3, days_ago=3)
    before = (await assert_counts_match(pool))[remote.id]
    assert before.posts == 2

    await inbound.delete_status(pool, remote, f"{remote.uri}/statuses/3")  # the latest
    after = (await assert_counts_match(pool))[remote.id]
    assert after.posts == 1 and before.last_status_at - after.last_status_at == timedelta(days=7)
    await inbound.delete_status(pool, remote, f"{remote.uri}/statuses/1")  # an older one: the date stays
    await inbound.delete_status(pool, remote, f"{remote.uri}/statuses/2")
    assert (await assert_counts_match(pool))[remote.id].last_status_at is None


async def test_follows_requests_and_unfollows_keep_the_follow_counts(pool: asyncpg.Pool):
    alice, bob, dave = [await make_member(pool, name) for name in ("alice", "bob", "dave")]
    assert await following.follow(pool, URLS, bob, alice) == "accepted"
    counts = await assert_counts_match(pool)
    assert (counts[alice.id].followers, counts[bob.id].following) == (1, 1)

    await pool.execute("UPDATE accounts SET locked = true WHERE id = $1", dave.id)
    dave = await accounts_store.get_local(pool, "dave")
    assert await following.follow(pool, URLS, alice, dave) == "pending"
    assert (await assert_counts_match(pool))[dave.id].followers == 0  # a request does not count
    await following.answer_request(pool, URLS, dave, alice, accept=True)
    counts = await assert_counts_match(pool)
    assert (counts[dave.id].followers, counts[alice.id].following) == (1, 1)
    await following.set_options(pool, alice, dave, show_reblogs=False)  # an update that changes nothing counted
    await assert_counts_match(pool)

    await following.unfollow(pool, URLS, bob, alice)
    await following.remove_follower(pool, URLS, dave, alice)
    counts = await assert_counts_match(pool)
    assert all((c.followers, c.following) == (0, 0) for c in counts.values())


async def test_remote_accounts_deleted_suspended_or_purged(pool: asyncpg.Pool):
    alice = await make_member(pool, "alice")
    gone, purged, dropped = [await remote_account(pool, name) for name in ("gone", "purged", "dropped")]
    for n, author in enumerate((gone, purged, dropped, gone, purged, dropped)):
        await remote_post(pool, author, n, days_ago=n)
        assert await inbound.remote_follow(pool, author, alice, f"{author.uri}#follows/{n}") == "accepted"
    for author in (gone, purged, dropped):
        assert await following.follow(pool, URLS, alice, author) == "pending"
        assert await inbound.follow_accepted(pool, alice.id, author)
    reblogged = await remote_post(pool, purged, 99)
    await reactions.boost(pool, URLS, alice, reblogged)
    counts = await assert_counts_match(pool)
    assert (counts[alice.id].followers, counts[alice.id].following, counts[alice.id].posts) == (3, 3, 1)
    assert counts[gone.id].posts == 2

    await inbound.delete_account(pool, gone)  # the actor deleted itself: posts tombstoned, follows ended
    counts = await assert_counts_match(pool)
    assert (counts[gone.id].posts, counts[alice.id].followers, counts[alice.id].following) == (0, 2, 2)

    async with pool.acquire() as conn, conn.transaction():  # a suspended domain's content purged
        await statuses_store.purge_by_accounts(conn, [purged.id])
        await follows_store.delete_all_of(conn, [purged.id])
    counts = await assert_counts_match(pool)
    assert (counts[purged.id].posts, counts[alice.id].posts, counts[alice.id].followers) == (0, 0, 1)  # boost gone

    # An account row deleted outright: its posts and follows go by cascade, the others' counts follow.
    await pool.execute("DELETE FROM accounts WHERE id = $1", dropped.id)
    counts = await assert_counts_match(pool)
    assert (counts[alice.id].followers, counts[alice.id].following) == (0, 0)
    assert await pool.fetchval("SELECT count(*) FROM account_stats WHERE account_id = $1", dropped.id) == 0


async def test_many_rows_in_one_statement(pool: asyncpg.Pool):
    """Bulk writes (imports, scripts) are counted once per statement, per account."""
    authors = [await remote_account(pool, f"bulk{n}", host="bulk.example") for n in range(3)]
    alice = await make_member(pool, "alice")
    await pool.execute(
        "INSERT INTO statuses (account_id, uri, content, visibility, created_at)"
        " SELECT a, 'https://bulk.example/s/' || a || '/' || n, '', (ARRAY['public', 'private'])[1 + n % 2],"
        "  now() - make_interval(days => n) FROM unnest($1::bigint[]) AS a, generate_series(1, 50) AS n",
        [a.id for a in authors])
    await pool.execute("INSERT INTO follows (account_id, target_account_id, state)"
                       " SELECT a, $2, 'pending' FROM unnest($1::bigint[]) AS a", [a.id for a in authors], alice.id)
    counts = await assert_counts_match(pool)
    assert counts[authors[0].id].posts == 25 and counts[alice.id].followers == 0
    await pool.execute("UPDATE follows SET state = 'accepted' WHERE target_account_id = $1", alice.id)
    await pool.execute("UPDATE statuses SET visibility = 'unlisted' WHERE uri LIKE 'https://bulk.example/%'"
                       " AND visibility = 'private' AND created_at < now() - interval '40 days'")
    await pool.execute("UPDATE statuses SET deleted_at = now() WHERE uri LIKE 'https://bulk.example/%'"
                       " AND created_at > now() - interval '3 days'")
    counts = await assert_counts_match(pool)
    assert counts[alice.id].followers == 3 and counts[authors[0].id].posts == 29
