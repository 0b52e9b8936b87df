"""bench/deadhosts: with 10 % of 1,000 inboxes hanging, how much slower do the other 90 % get a post?

    .venv/bin/python bench/deadhosts.py [--instances 1000] [--dead 100] [--posts 6] [--interval 3]

Fake instances on loopback (one port each, served by a separate process) record which activity
each received (the id in the body) and when. A member of a `kith run` (workers on) has one follower
on each, so every post makes one delivery per instance. In the same run:

1. baseline: --posts posts, one every --interval seconds, every inbox answering 202; for each, the
   time from create_post until the inboxes that stay live (all but the first --dead) have it;
2. the first --dead inboxes now accept the connection, read the request and never answer (Kith
   gives up after its read timeout, 10 s); as many posts again, at the same pace; for each, the
   time until every live inbox has it.

The posts follow each other faster than the timeout, so the later ones meet both hung deliveries
of the earlier ones and, once those time out, the hosts' open breakers. Printed: both series,
their medians and the slowdown (target <= 1.10).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import statistics
import sys
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import Kith, add_remote_followers, listen_on_new_ports, rss_mib  # noqa: E402

FLUSH_SECONDS = 0.05  # how often the inbox process reports what it received


def serve_inboxes(count: int, hanging, conn: Connection) -> None:
    """`count` inboxes on 127.0.0.1, one port each; the first `hanging.value` of them never answer.
    Sends its ports, then batches of (activity id, inbox number, wall-clock time) as they arrive."""

    from aiohttp import web

    index: dict[int, int] = {}
    arrived: list[tuple[str, int, float]] = []

    async def inbox(request: web.Request) -> web.Response:
        body = await request.read()
        number = index[request.transport.get_extra_info("sockname")[1]]
        if number < hanging.value:
            await asyncio.sleep(3600)  # accepted, read, never answered
        arrived.append((json.loads(body)["id"], number, time.time()))
        return web.Response(status=202)

    async def report() -> None:
        nonlocal arrived
        while True:
            await asyncio.sleep(FLUSH_SECONDS)
            if arrived:
                batch, arrived = arrived, []
                conn.send(batch)

    async def main() -> None:
        app = web.Application()
        app.router.add_post("/inbox", inbox)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        ports = await listen_on_new_ports(runner, count)
        index.update((port, number) for number, port in enumerate(ports))
        conn.send(ports)
        await report()

    asyncio.run(main())


@dataclass
class FakeInboxes:
    """The inbox process, seen from the benchmark: who received which activity when."""

    count: int
    hanging: multiprocessing.sharedctypes.Synchronized = field(default_factory=lambda: multiprocessing.Value("i", 0))
    ports: list[int] = field(default_factory=list)
    times: dict[str, dict[int, float]] = field(default_factory=dict)  # activity id -> inbox number -> arrival

    def start(self) -> FakeInboxes:
        """Start the inbox process (from inside the benchmark's event loop)."""
        self.conn, child = multiprocessing.Pipe(duplex=False)
        self.process = multiprocessing.Process(target=serve_inboxes, args=(self.count, self.hanging, child),
                                               daemon=True)
        self.process.start()
        if not self.conn.poll(120):
            raise RuntimeError("the fake inboxes did not start")
        self.ports = self.conn.recv()
        # read as they come, or the inbox process blocks on a full pipe and stops answering
        asyncio.get_running_loop().add_reader(self.conn.fileno(), self.collect)
        return self

    def collect(self) -> None:
        """Take in what the inbox process reported."""
        while self.conn.poll():
            for activity_id, number, at in self.conn.recv():
                self.times.setdefault(activity_id, {})[number] = at

    def arrivals(self, activity_id: str, inboxes: range) -> list[float]:
        """When these inboxes received the activity, earliest first (those that did)."""
        times = self.times.get(activity_id, {})
        return sorted(times[n] for n in inboxes if n in times)

    async def wait_for(self, activity_id: str, inboxes: range, deadline: float) -> list[float]:
        """`arrivals` once all these inboxes have it (or at the deadline, as far as it got)."""
        while len(self.arrivals(activity_id, inboxes)) < len(inboxes) and time.time() < deadline:
            await asyncio.sleep(0.01)
        return self.arrivals(activity_id, inboxes)

    def stop(self) -> None:
        asyncio.get_running_loop().remove_reader(self.conn.fileno())
        self.process.terminate()


async def seed(kith: Kith, ports: list[int]):
    """A local member with one remote follower per fake instance (shared inbox), written straight into the database."""
    from server.db.pool import create_pool
    from server.domain.accounts import create_member

    pool = await create_pool(kith.database_url())
    star = await create_member(pool, "star", "bench password", check_reserved=False)
    await add_remote_followers(pool, star.id, ports, 1)
    return pool, star


async def post(pool, base: str, star, text: str) -> tuple[str, float]:
    """Publish through create_post, as the API does: (the Create activity's id, wall-clock start)."""
    from server.domain.posting import NewPost, create_post
    from server.urls import Urls

    started = time.time()
    await create_post(pool, Urls(base), star, NewPost(text), 500)
    activity_id = await pool.fetchval("SELECT payload->>'id' FROM outbox_activities WHERE account_id = $1"
                                      " ORDER BY id DESC LIMIT 1", star.id)
    return activity_id, started


async def series(inboxes: FakeInboxes, pool, base: str, star, posts: int, interval: float, live: range,
                 label: str, timeout: float) -> list[float]:
    """`posts` posts, one every `interval` s; for each, seconds until the `live` inboxes have it."""
    sent = []
    for n in range(posts):
        sent.append(await post(pool, base, star, f"{label} {n}"))
        if n < posts - 1:
            await asyncio.sleep(max(0.0, sent[-1][1] + interval - time.time()))
    took = []
    for activity_id, started in sent:
        arrivals = await inboxes.wait_for(activity_id, live, time.time() + timeout)
        took.append(arrivals[-1] - started if len(arrivals) == len(live) else float("inf"))
    return took


def show(label: str, took: list[float]) -> float:
    median = statistics.median(took)
    print(f"{label}: " + ", ".join(f"{t:.2f}" for t in took) + f" s; median {median:.2f} s, max {max(took):.2f} s")
    return median


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--instances", type=int, default=1000)
    parser.add_argument("--dead", type=int, default=100, help="inboxes that hang in the second series")
    parser.add_argument("--posts", type=int, default=6, help="posts in each series")
    parser.add_argument("--interval", type=float, default=3.0, help="seconds between posts")
    parser.add_argument("--timeout", type=float, default=120, help="seconds to wait for one post's deliveries")
    args = parser.parse_args()

    inboxes = FakeInboxes(args.instances).start()
    kith = Kith().start()
    try:
        pool, star = await seed(kith, inboxes.ports)
        every, live = range(args.instances), range(args.dead, args.instances)
        await series(inboxes, pool, kith.base, star, 1, 0, every, "warm-up", args.timeout)
        healthy = await series(inboxes, pool, kith.base, star, args.posts, args.interval, live,
                               "baseline", args.timeout)
        inboxes.hanging.value = args.dead
        hanging = await series(inboxes, pool, kith.base, star, args.posts, args.interval, live,
                               "hanging", args.timeout)
        states = dict(await pool.fetch("SELECT state, count(*) FROM deliveries GROUP BY state"))
        broken = await pool.fetchval("SELECT count(*) FROM hosts WHERE unreachable_since IS NOT NULL")
        print(f"{args.instances:,} instances, one post every {args.interval:g} s, {args.posts} posts a series;"
              f" kith RSS {rss_mib(kith.proc.pid):.0f} MiB")
        base = show(f"all answer: seconds until inboxes {live.start}-{live.stop - 1} have the post", healthy)
        slow = show(f"inboxes 0-{args.dead - 1} hang: seconds until the {len(live):,} others have it", hanging)
        print(f"delivery states {states}; hosts with an open breaker: {broken}")
        print(f"slowdown of live deliveries: median {slow / base:.2f}x, worst {max(hanging) / max(healthy):.2f}x"
              " (target <= 1.10)")
        await pool.close()
    finally:
        kith.stop()
        inboxes.stop()


if __name__ == "__main__":
    asyncio.run(main())
