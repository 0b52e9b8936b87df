"""bench/fanout: one post to 10,000 followers on 1,000 instances, until every inbox has it.

    .venv/bin/python bench/fanout.py [--instances 1000] [--followers-per-instance 10] [--delay-ms 0]

The instances are fake inboxes on loopback (one port each on 127.0.0.1, served by a separate
process) that answer 202, optionally after --delay-ms. Kith (`kith run`, workers on) must send
one signed POST per shared inbox: 1,000 deliveries for 10,000 followers.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import Kith, free_port, rss_mib  # noqa: E402


def serve_inboxes(ports: list[int], delay: float, received, ready) -> None:
    """The fake instances: every port answers POST /inbox with 202."""
    from aiohttp import web

    async def inbox(request: web.Request) -> web.Response:
        await request.read()
        if delay:
            await asyncio.sleep(delay)
        with received.get_lock():
            received.value += 1
        return web.Response(status=202)

    async def main() -> None:
        app = web.Application()
        app.router.add_post("/inbox", inbox)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        for port in ports:
            await web.TCPSite(runner, "127.0.0.1", port, backlog=512).start()
        ready.set()
        await asyncio.Event().wait()

    asyncio.run(main())


async def seed(kith: Kith, ports: list[int], per_instance: int):
    """A local member and its remote followers, written straight into the database."""
    from server.db.pool import create_pool
    from server.domain.accounts import create_member

    pool = await create_pool(kith.database_url())
    star = await create_member(pool, "star", "bench password", check_reserved=False)
    await pool.execute(
        "INSERT INTO accounts (username, domain, uri, inbox_url, shared_inbox_url, public_key_pem)"
        " SELECT 'f' || n, '127.0.0.1:' || p, 'http://127.0.0.1:' || p || '/users/f' || n,"
        "  'http://127.0.0.1:' || p || '/users/f' || n || '/inbox', 'http://127.0.0.1:' || p || '/inbox', 'x'"
        " FROM unnest($1::int[]) AS p, generate_series(1, $2) AS n",
        ports, per_instance,
    )
    await pool.execute(
        "INSERT INTO follows (account_id, target_account_id) SELECT id, $1 FROM accounts WHERE domain IS NOT NULL",
        star.id,
    )
    return pool, star


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--instances", type=int, default=1000)
    parser.add_argument("--followers-per-instance", type=int, default=10)
    parser.add_argument("--delay-ms", type=float, default=0)
    args = parser.parse_args()

    ports: list[int] = []
    while len(ports) < args.instances:  # distinct ports: free_port may hand one out twice
        port = free_port()
        if port not in ports:
            ports.append(port)
    received = multiprocessing.Value("i", 0)
    ready = multiprocessing.Event()
    server = multiprocessing.Process(target=serve_inboxes, args=(ports, args.delay_ms / 1000, received, ready))
    server.start()
    ready.wait(60)
    kith = Kith().start()
    try:
        from server.domain.posting import NewPost, create_post
        from server.urls import Urls

        pool, star = await seed(kith, ports, args.followers_per_instance)
        idle = rss_mib(kith.proc.pid)
        peak = idle
        started = time.perf_counter()
        await create_post(pool, Urls(kith.base), star, NewPost("Hello, ten thousand followers!"), 500)
        deadline = started + 120
        while received.value < args.instances and time.perf_counter() < deadline:
            peak = max(peak, rss_mib(kith.proc.pid))
            await asyncio.sleep(0.005)
        elapsed = time.perf_counter() - started
        followers = args.instances * args.followers_per_instance
        print(f"followers: {followers} on {args.instances} instances, inbox delay {args.delay_ms:.0f} ms")
        print(f"deliveries received: {received.value}/{args.instances} in {elapsed:.2f} s"
              f" ({received.value / elapsed:,.0f} per second)")
        print(f"kith RSS: idle {idle:.0f} MiB, peak {peak:.0f} MiB (embedded PostgreSQL not counted)")
        await pool.close()
    finally:
        kith.stop()
        server.terminate()


if __name__ == "__main__":
    asyncio.run(main())
