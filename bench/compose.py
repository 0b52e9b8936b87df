"""bench/compose: database statements and time per composed post.

    .venv/bin/python bench/compose.py [--posts 200]

A reply that mentions a local and a remote member, carries two hashtags and an image, from an
author with local and remote followers: everything `create_post` stores, fans out and hands to
federation. Counts every statement the compose sends to PostgreSQL (asyncpg's query logger) and
the mean wall time per post.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import Kith  # noqa: E402


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=200)
    args = parser.parse_args()

    from server.db.pool import create_pool
    from server.domain.accounts import create_member
    from server.domain.posting import NewPost, create_post
    from server.store import accounts as accounts_store
    from server.store import media as media_store
    from server.urls import Urls

    kith = Kith().start()
    try:
        seed = await create_pool(kith.database_url())
        author = await create_member(seed, "author", "bench password", check_reserved=False)
        friend = await create_member(seed, "friend", "bench password", check_reserved=False)
        await seed.execute(
            "INSERT INTO accounts (username, domain, uri, inbox_url, shared_inbox_url, public_key_pem)"
            " SELECT 'r' || n, 'remote' || n || '.example', 'https://remote' || n || '.example/users/r' || n,"
            "  'https://remote' || n || '.example/users/r' || n || '/inbox', 'https://remote' || n || '.example/inbox',"
            "  'x' FROM generate_series(1, 20) AS n",
        )
        await seed.execute(
            "INSERT INTO follows (account_id, target_account_id) SELECT id, $1 FROM accounts"
            " WHERE domain IS NOT NULL OR id = $2", author.id, friend.id,
        )
        remote = await accounts_store.get_remote(seed, "r1", "remote1.example")
        urls = Urls(kith.base)
        parent = await create_post(seed, urls, friend, NewPost(text="Where were you?"), 500)

        statements = 0

        def count(_record: object) -> None:
            nonlocal statements
            statements += 1

        pool = await create_pool(kith.database_url(), min_size=1, max_size=1)  # one connection, one logger
        async with pool.acquire() as conn:
            conn.add_query_logger(count)

        async def resolve(_mention):
            return remote

        counts: list[int] = []
        started = time.perf_counter()
        for n in range(args.posts):
            media = await media_store.insert(
                seed, account_id=author.id, kind="image", mime_type="image/webp", file_path=f"bench/{n}.webp",
                thumb_path=None, blurhash=None, meta={}, description="a picture", focus=(0.0, 0.0),
            )
            before = statements
            await create_post(pool, urls, author, NewPost(
                text=f"@friend @r1@remote1.example post {n} #kith #bench", in_reply_to_id=parent,
                media_ids=[media["id"]],
            ), 500, resolve)
            counts.append(statements - before)
        elapsed = time.perf_counter() - started
        print(f"posts composed:              {args.posts}")
        print(f"statements per compose:      {min(counts)}..{max(counts)} (mean {sum(counts) / len(counts):.1f})")
        print(f"wall time per compose:       {elapsed / args.posts * 1000:.1f} ms (incl. one media insert)")
        await pool.close()
        await seed.close()
    finally:
        kith.stop()


if __name__ == "__main__":
    asyncio.run(main())
