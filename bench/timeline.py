"""bench/timeline: the home timeline through the client API, with a million posts in the database.

    .venv/bin/python bench/timeline.py [--posts 1000000] [--authors 10000] [--requests 500]

Two readers: one following 500 busy accounts, one following 5 quiet ones (the case where a
naive "posts WHERE author IN follows ORDER BY id" query degrades). Prints p50/p99 of
GET /api/v1/timelines/home (20 posts, full entities) and of the home-feed query alone.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import statistics
import sys
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import Kith, rss_mib  # noqa: E402


async def seed(pool, posts: int, authors: int) -> tuple[str, str, int, int]:
    from server.api.auth import token_hash
    from server.domain.accounts import create_member
    from server.store import oauth as oauth_store

    print(f"seeding {posts:,} posts by {authors:,} authors ...", flush=True)
    started = time.perf_counter()
    await pool.execute(
        "INSERT INTO accounts (username, domain, uri, inbox_url, public_key_pem, fetched_at)"
        " SELECT 'a' || n, 'bench.example', 'https://bench.example/users/a' || n,"
        " 'https://bench.example/users/a' || n || '/inbox', 'x', now() FROM generate_series(1, $1) n",
        authors,
    )
    # Posts spread over the last year; ids carry their time, as kith_id() makes them.
    await pool.execute(
        "INSERT INTO statuses (id, account_id, uri, content, visibility, created_at)"
        " SELECT (floor(extract(epoch FROM t) * 1000)::bigint << 16) | (n & 65535), a.id,"
        "  'https://bench.example/s/' || n, '<p>bench post ' || n || '</p>', 'public', t"
        " FROM generate_series(1, $1) n"
        " CROSS JOIN LATERAL (SELECT now() - make_interval(secs => (($1 - n) * 31536000.0 / $1)) AS t) ts"
        " JOIN accounts a ON a.username = 'a' || (1 + (n::bigint * 7919) % $2) AND a.domain = 'bench.example'",
        posts, authors,
    )
    await pool.execute("ANALYZE")
    print(f"seeded in {time.perf_counter() - started:.1f} s", flush=True)

    busy = await create_member(pool, "busyreader", "bench password", check_reserved=False)
    quiet = await create_member(pool, "quietreader", "bench password", check_reserved=False)
    await pool.execute(
        "INSERT INTO follows (account_id, target_account_id) SELECT $1, id FROM accounts"
        " WHERE domain = 'bench.example' ORDER BY id LIMIT 500", busy.id,
    )
    quiet_authors = await pool.fetch(
        "INSERT INTO accounts (username, domain, uri, inbox_url, public_key_pem) SELECT 'quiet' || n,"
        " 'bench.example', 'https://bench.example/users/quiet' || n, 'https://bench.example/i', 'x'"
        " FROM generate_series(1, 5) n RETURNING id"
    )
    for row in quiet_authors:  # two posts each, long ago
        await pool.execute(
            "INSERT INTO statuses (account_id, uri, content, visibility, created_at, id)"
            " SELECT $1::bigint, 'https://bench.example/q/' || $1::text || '/' || g, '<p>quiet</p>', 'public',"
            " now() - interval '300 days', kith_id(now() - interval '300 days') FROM generate_series(1, 2) g",
            row["id"],
        )
        await pool.execute("INSERT INTO follows (account_id, target_account_id) VALUES ($1, $2)", quiet.id, row["id"])
    # What fan-out on arrival would have written into the two home feeds.
    for reader in (busy.id, quiet.id):
        await pool.execute(
            "INSERT INTO home_feed (account_id, status_id, author_id) SELECT $1, s.id, s.account_id FROM statuses s"
            " JOIN follows f ON f.target_account_id = s.account_id AND f.account_id = $1", reader,
        )
    await pool.execute("ANALYZE")
    app = await oauth_store.insert_app(pool, secrets.token_hex(8), "x", "bench", None, ["urn:ietf:wg:oauth:2.0:oob"],
                                       ["read"])
    tokens = []
    for reader in (busy.id, quiet.id):
        token = secrets.token_urlsafe(16)
        await oauth_store.insert_token(pool, token_hash(token), None, app.id, reader, ["read"])
        tokens.append(token)
    return tokens[0], tokens[1], busy.id, quiet.id


def p99(samples: list[float]) -> float:
    samples = sorted(samples)
    return samples[min(len(samples) - 1, int(len(samples) * 0.99))]


def percentiles(samples: list[float]) -> str:
    return f"p50 {statistics.median(samples) * 1000:.1f} ms, p99 {p99(samples) * 1000:.1f} ms"


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--authors", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=500)
    args = parser.parse_args()

    from server.db.pool import create_pool
    from server.store import home_feed
    from server.store.paging import Page

    kith = Kith(env={"KITH_WORKERS": "false", "KITH_API_RATE_LIMIT": "1000000"}).start()
    try:
        pool = await create_pool(kith.database_url())
        busy_token, quiet_token, busy_id, quiet_id = await seed(pool, args.posts, args.authors)
        async with aiohttp.ClientSession() as session:
            for name, token, reader in (("following 500 busy accounts", busy_token, busy_id),
                                        ("following 5 quiet accounts", quiet_token, quiet_id)):
                api, query = [], []
                for _ in range(args.requests):
                    started = time.perf_counter()
                    async with session.get(f"{kith.base}/api/v1/timelines/home", params={"limit": "20"},
                                           headers={"Authorization": f"Bearer {token}"}) as resp:
                        body = await resp.json()
                        assert resp.status == 200 and body, body
                    api.append(time.perf_counter() - started)
                    started = time.perf_counter()
                    await home_feed.timeline(pool, reader, Page(limit=20))
                    query.append(time.perf_counter() - started)
                print(f"{name}: GET /api/v1/timelines/home {percentiles(api)}; query alone {percentiles(query)}")
                print(f"  API p99 / query p99: {p99(api) / p99(query):.1f}x (target <= 3x)")
        print(f"kith RSS: {rss_mib(kith.proc.pid):.0f} MiB")
        await pool.close()
    finally:
        kith.stop()


if __name__ == "__main__":
    asyncio.run(main())
