"""bench/backlog: after an outage, does the backlog drain at >= 10x the arrival rate while new posts
still go out within seconds?

    .venv/bin/python bench/backlog.py [--instances 1000] [--posts-per-minute 1] [--outage-hours 2]

The arrival rate: a member posts --posts-per-minute times a minute, each post to --instances
fake instances (one follower each, shared inboxes, as in bench/fanout), so posts-per-minute x
instances deliveries a minute; 1,000 a minute (16.7 a second) by default.

The outage: every instance was unreachable for --outage-hours (Kith's breakers open for all of
them, retrying in a day), and the member kept posting at that rate: 120 posts by default, made
through create_post as the API makes them, so their 120,000 deliveries are real ones (the stored
Create activities, signed with the member's key when sent), queued for the retry time. Their
timestamps are then spread back over the outage, the oldest 2 hours old.

The instances come back: the breakers close and every queued delivery is due (as an admin's
"retry now" makes them, backdated to when each post was made). Measured from then on, with the
member still posting at the arrival rate: the drain rate (backlog deliveries received per second)
as a multiple of the arrival rate (target >= 10), and for each new post the time from create_post
to its first inbox and to all of them (target: a few seconds).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import Kith, rss_mib  # noqa: E402
from bench.deadhosts import FakeInboxes, post, seed  # noqa: E402


async def outage(pool, base: str, star, ports: list[int], posts: int, hours: float) -> None:
    """The instances unreachable (breakers open until tomorrow) while the member posts `posts` times;
    then the posts' and deliveries' times spread back over the outage, oldest first."""
    await pool.execute(
        "INSERT INTO hosts (host, unreachable_since, retry_at, last_failure_at, last_error)"
        " SELECT '127.0.0.1:' || p, now() - make_interval(secs => $2), now() + interval '1 day', now(),"
        "  'connection refused' FROM unnest($1::int[]) AS p",
        ports, hours * 3600)
    for n in range(posts):
        await post(pool, base, star, f"Posted during the outage, number {n}")
    await pool.execute(
        "WITH aged AS (SELECT id, now() - make_interval(secs => $1 * (1 - (row_number() OVER (ORDER BY id) - 1)"
        "  / $2::float8)) AS at FROM outbox_activities)"
        " UPDATE outbox_activities o SET created_at = aged.at FROM aged WHERE o.id = aged.id",
        hours * 3600, posts)
    await pool.execute("UPDATE deliveries d SET created_at = o.created_at, next_attempt_at = now() + interval '1 day'"
                       " FROM outbox_activities o WHERE o.id = d.activity_id")
    await pool.execute("ANALYZE")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--instances", type=int, default=1000)
    parser.add_argument("--posts-per-minute", type=float, default=1.0)
    parser.add_argument("--outage-hours", type=float, default=2.0)
    parser.add_argument("--timeout", type=float, default=3600, help="seconds to wait for the drain")
    args = parser.parse_args()
    arrival = args.posts_per_minute * args.instances / 60  # deliveries a second
    queued = round(args.posts_per_minute * 60 * args.outage_hours)
    interval = 60 / args.posts_per_minute

    inboxes = FakeInboxes(args.instances).start()
    kith = Kith().start()
    try:
        pool, star = await seed(kith, inboxes.ports)
        made = time.perf_counter()
        await outage(pool, kith.base, star, inboxes.ports, queued, args.outage_hours)
        backlog = set(await pool.fetchval("SELECT array_agg(payload->>'id') FROM outbox_activities"))
        total = await pool.fetchval("SELECT count(*) FROM deliveries WHERE state = 'pending'")
        print(f"outage: {queued} posts, {total:,} deliveries queued in {time.perf_counter() - made:.0f} s;"
              f" arrival rate {args.posts_per_minute:g} posts/min x {args.instances:,} instances"
              f" = {arrival:.1f} deliveries/s")

        back = time.time()
        await pool.execute("UPDATE hosts SET unreachable_since = NULL, retry_at = NULL")
        await pool.execute("UPDATE deliveries SET next_attempt_at = created_at WHERE state = 'pending'")
        await pool.execute("SELECT pg_notify('kith_queue', 'deliveries')")

        fresh: list[tuple[str, float]] = []
        peak_rss, reported, drained_at = 0.0, back, None
        next_post = back + interval / 2
        while time.time() < back + args.timeout:
            now = time.time()
            received = sum(len(inboxes.times.get(a, ())) for a in backlog)
            if received >= total and drained_at is None:
                drained_at = max(max(inboxes.times[a].values()) for a in backlog)
            if drained_at is not None and all(len(inboxes.times.get(a, ())) >= args.instances for a, _ in fresh):
                break
            if drained_at is None and now >= next_post:
                fresh.append(await post(pool, kith.base, star, f"Posted while the backlog drains, {len(fresh)}"))
                next_post += interval
            if now - reported >= 10:
                peak_rss, reported = max(peak_rss, rss_mib(kith.proc.pid)), now
                print(f"  {now - back:5.0f} s: {received:,}/{total:,} of the backlog received"
                      f" ({received / (now - back):,.0f}/s), {len(fresh)} new posts")
            await asyncio.sleep(0.05)

        received = sum(len(inboxes.times.get(a, ())) for a in backlog)
        took = (drained_at or time.time()) - back
        rate = received / took
        print(f"backlog: {received:,}/{total:,} deliveries received in {took:.0f} s: {rate:,.0f}/s,"
              f" {rate / arrival:.1f}x the arrival rate (target >= 10x)")
        firsts, alls = [], []
        for activity_id, started in fresh:
            times = inboxes.arrivals(activity_id, range(args.instances))
            firsts.append(times[0] - started if times else float("inf"))
            alls.append(times[-1] - started if len(times) >= args.instances else float("inf"))
        if fresh:
            print(f"{len(fresh)} new posts during the drain, one every {interval:.0f} s; seconds from create_post to"
                  f" the first inbox: p50 {statistics.median(firsts):.2f}, max {max(firsts):.2f};"
                  f" to all {args.instances:,}: p50 {statistics.median(alls):.2f}, max {max(alls):.2f}"
                  " (target: a few seconds)")
        states = dict(await pool.fetch("SELECT state, count(*) FROM deliveries GROUP BY state"))
        print(f"delivery states {states}; kith RSS peak {max(peak_rss, rss_mib(kith.proc.pid)):.0f} MiB")
        await pool.close()
    finally:
        kith.stop()
        inboxes.stop()


if __name__ == "__main__":
    asyncio.run(main())
