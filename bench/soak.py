"""bench/soak: mixed load at a steady, moderate rate against one `kith run` (workers on), watching its memory.

    .venv/bin/python bench/soak.py [--minutes 20] [--inbound-per-second 20] [--posts-per-second 1]
                                   [--reads-per-second 10] [--instances 100] [--followers-per-instance 10]
                                   [--sample-seconds 5]

Four kinds of traffic run at once, each at a fixed rate (open loop: a request is started every
1/rate seconds whether or not the previous ones have answered):

* inbound: signed Create activities from a scripted remote actor (RSA-2048, serving its key on
  loopback) that the member follows, every fifth one mentioning her; signed ahead in a process
  pool, a few hundred at a time, so that signing costs Kith's side nothing;
* posts: the member posts through POST /api/v1/statuses; each post fans out to her
  --instances x --followers-per-instance remote followers on fake inboxes (bench/fanout.py's);
* reads: GET /api/v1/timelines/home, /api/v1/notifications, /api/v1/statuses/:id (one of her
  recent posts) and /api/v2/instance, --reads-per-second each, through a bearer token.

The RSS of the kith process is sampled every --sample-seconds. Printed: RSS after warm-up (the
first 20 % of the run), at the end and the growth in between (target: no more than 10 %), a
table of RSS over time, and per kind the requests, the answers by status and the errors
(anything but 202 for inbound and 200 for the API, or no answer), then whether every delivery
arrived and every received activity was applied once the load stopped. The table also shows the
requests in flight and the work queued in Kith (pending deliveries and inbox items): memory that
grows with a backlog (the machine too busy to keep up) is not a leak.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import random
import secrets
import statistics
import sys
import time
from collections import Counter, deque
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import Kith, add_remote_followers, rss_mib  # noqa: E402
from bench.fanout import open_files, raise_open_files, serve_inboxes  # noqa: E402
from federation import httpsig  # noqa: E402
from federation.keys import generate_rsa_keypair  # noqa: E402

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
SIGN_CHUNK = 200
MAX_IN_FLIGHT = 200  # per kind; beyond it a tick is counted as skipped (Kith is not keeping up)


def sign_creates(args: tuple[str, str, str, str, str, int, int]) -> list[tuple[bytes, dict[str, str]]]:
    """Signed Create activities number start .. start+count-1; every fifth mentions the member."""
    inbox, actor, key_id, pem, member, start, count = args
    published = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    out = []
    for n in range(start, start + count):
        note = {"id": f"{actor}/statuses/{n}", "type": "Note", "attributedTo": actor, "to": [PUBLIC],
                "cc": [f"{actor}/followers"], "content": f"<p>soak post {n}</p>", "published": published}
        if n % 5 == 0:
            note["content"] = f'<p><a href="{member}" class="u-url mention">@reader</a> soak post {n}</p>'
            note["cc"].append(member)
            note["tag"] = [{"type": "Mention", "href": member, "name": "@reader"}]
        activity = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{note['id']}/activity",
                    "type": "Create", "actor": actor, "object": note, "to": note["to"], "cc": note["cc"]}
        body = json.dumps(activity).encode()
        out.append((body, httpsig.sign_cavage("POST", inbox, {"Content-Type": "application/activity+json"},
                                              body, key_id, pem)))
    return out


class Signed:
    """Signed activities made a few hundred at a time in a worker process, shortly before they are sent."""

    def __init__(self, inbox: str, actor: str, pem: str, member: str) -> None:
        self.job = (inbox, actor, f"{actor}#main-key", pem, member)
        self.ready: deque[tuple[bytes, dict[str, str]]] = deque()
        self.next = 0
        self.executor = ProcessPoolExecutor(max_workers=1)

    async def fill(self, low_water: int) -> None:
        loop = asyncio.get_running_loop()
        while len(self.ready) < low_water:
            batch = await loop.run_in_executor(self.executor, sign_creates, (*self.job, self.next, SIGN_CHUNK))
            self.next += SIGN_CHUNK
            self.ready.extend(batch)

    async def keep_filled(self, low_water: int) -> None:
        while True:
            await self.fill(low_water)
            await asyncio.sleep(0.5)

    def take(self) -> tuple[bytes, dict[str, str]] | None:
        return self.ready.popleft() if self.ready else None


class Kind:
    def __init__(self, name: str, expected: int) -> None:
        self.name, self.expected = name, expected
        self.statuses: Counter[str] = Counter()
        self.latencies: list[float] = []
        self.in_flight = self.skipped = 0

    @property
    def sent(self) -> int:
        return sum(self.statuses.values())

    @property
    def errors(self) -> int:
        return self.sent - self.statuses[str(self.expected)]

    def summary(self) -> str:
        lat = sorted(self.latencies) or [0.0]
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
        answers = ", ".join(f"{k}: {v}" for k, v in sorted(self.statuses.items()))
        return (f"{self.name:<13} {self.sent:>7} {self.errors:>6} {self.skipped:>7}"
                f"  p50 {statistics.median(lat) * 1000:6.1f} ms  p99 {p99 * 1000:7.1f} ms  ({answers})")


async def remote_actor() -> tuple[web.AppRunner, str, str]:
    """A scripted remote actor on loopback that serves its key (Kith fetches it once)."""
    from bench.common import free_port

    port = free_port()
    actor = f"http://127.0.0.1:{port}/users/remote"
    private_pem, public_pem = generate_rsa_keypair()
    doc = {"@context": ["https://www.w3.org/ns/activitystreams"], "id": actor, "type": "Person",
           "preferredUsername": "remote", "inbox": f"{actor}/inbox", "followers": f"{actor}/followers",
           "publicKey": {"id": f"{actor}#main-key", "owner": actor, "publicKeyPem": public_pem}}
    app = web.Application()
    app.router.add_get("/users/remote", lambda r: web.json_response(doc, content_type="application/activity+json"))
    app.router.add_post("/users/remote/inbox", lambda r: web.Response(status=202))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, actor, private_pem


async def seed(pool, ports: list[int], per_instance: int):
    """The member, her remote followers on the fake instances, and a read+write token."""
    from server.api.auth import token_hash
    from server.domain.accounts import create_member
    from server.store import oauth as oauth_store

    member = await create_member(pool, "reader", "bench password", check_reserved=False)
    await add_remote_followers(pool, member.id, ports, per_instance)
    app = await oauth_store.insert_app(pool, secrets.token_hex(8), "x", "soak", None, ["urn:ietf:wg:oauth:2.0:oob"],
                                       ["read", "write"])
    token = secrets.token_urlsafe(16)
    await oauth_store.insert_token(pool, token_hash(token), None, app.id, member.id, ["read", "write"])
    return member, token


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=20)
    parser.add_argument("--inbound-per-second", type=float, default=20)
    parser.add_argument("--posts-per-second", type=float, default=1)
    parser.add_argument("--reads-per-second", type=float, default=10, help="for each of the four reads")
    parser.add_argument("--instances", type=int, default=100)
    parser.add_argument("--followers-per-instance", type=int, default=10)
    parser.add_argument("--sample-seconds", type=float, default=5)
    parser.add_argument("--warmup", type=float, default=0.2, help="fraction of the run counted as warm-up")
    args = parser.parse_args()
    duration = args.minutes * 60

    raise_open_files()
    received = multiprocessing.Value("i", 0)
    parent_end, child_end = multiprocessing.Pipe(duplex=False)
    inboxes = multiprocessing.Process(target=serve_inboxes, args=(args.instances, 0, received, child_end), daemon=True)
    inboxes.start()
    if not parent_end.poll(120):
        raise RuntimeError("the fake inboxes did not start")
    ports = parent_end.recv()
    actor_runner, actor, actor_pem = await remote_actor()
    kith = Kith(env={"KITH_API_RATE_LIMIT": "1000000"}).start()
    inbox = f"{kith.base}/inbox"
    signed = None
    try:
        from server.db.pool import create_pool
        from server.urls import Urls

        pool = await create_pool(kith.database_url())
        member, token = await seed(pool, ports, args.followers_per_instance)
        member_uri = Urls(kith.base).actor(member.username)
        signed = Signed(inbox, actor, actor_pem, member_uri)
        low_water = max(SIGN_CHUNK, int(args.inbound_per_second * 20))
        await signed.fill(low_water)
        auth = {"Authorization": f"Bearer {token}"}
        kinds = {name: Kind(name, expected) for name, expected in
                 (("inbound", 202), ("post", 200), ("home", 200), ("notifications", 200), ("status", 200),
                  ("instance", 200))}
        recent: deque[str] = deque(maxlen=50)
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60)) as session:
            # Kith fetches the actor's key on its first activity; then the member follows the actor.
            body, headers = signed.take()
            async with session.post(inbox, data=body, headers=headers) as resp:
                assert resp.status == 202, await resp.text()
            remote_id = await pool.fetchval("SELECT id FROM accounts WHERE uri = $1", actor)
            await pool.execute("INSERT INTO follows (account_id, target_account_id) VALUES ($1, $2)",
                               member.id, remote_id)
            async with session.post(f"{kith.base}/api/v1/statuses", json={"status": "soak: first post"},
                                    headers=auth) as resp:
                assert resp.status == 200, await resp.text()
                recent.append((await resp.json())["id"])
            posts_made = [1]

            async def request(kind: Kind, method: str, url: str, **kw) -> None:
                kind.in_flight += 1
                started = time.perf_counter()
                try:
                    async with session.request(method, url, **kw) as resp:
                        data = await resp.read()
                        kind.statuses[str(resp.status)] += 1
                        if kind.name == "post" and resp.status == 200:
                            recent.append(json.loads(data)["id"])
                            posts_made[0] += 1
                except Exception as exc:  # no answer: counted as an error under its type
                    kind.statuses[type(exc).__name__] += 1
                finally:
                    kind.in_flight -= 1
                    kind.latencies.append(time.perf_counter() - started)

            def inbound():
                item = signed.take()
                if item is None:
                    kinds["inbound"].skipped += 1
                    return None
                return request(kinds["inbound"], "POST", inbox, data=item[0], headers=item[1])

            n = [0]

            def post():
                n[0] += 1
                return request(kinds["post"], "POST", f"{kith.base}/api/v1/statuses",
                               json={"status": f"soak post {n[0]} #soak"}, headers=auth)

            fire = {
                "inbound": inbound,
                "post": post,
                "home": lambda: request(kinds["home"], "GET", f"{kith.base}/api/v1/timelines/home",
                                        params={"limit": "20"}, headers=auth),
                "notifications": lambda: request(kinds["notifications"], "GET", f"{kith.base}/api/v1/notifications",
                                                 params={"limit": "20"}, headers=auth),
                "status": lambda: request(kinds["status"], "GET",
                                          f"{kith.base}/api/v1/statuses/{random.choice(recent)}", headers=auth),
                "instance": lambda: request(kinds["instance"], "GET", f"{kith.base}/api/v2/instance", headers=auth),
            }
            rates = {"inbound": args.inbound_per_second, "post": args.posts_per_second} | {
                k: args.reads_per_second for k in ("home", "notifications", "status", "instance")}
            loop = asyncio.get_running_loop()
            started = loop.time()
            stop_at = started + duration
            tasks: set[asyncio.Task] = set()

            async def ticker(name: str) -> None:
                kind, interval = kinds[name], 1 / rates[name]
                next_at = started + random.random() * interval
                while next_at < stop_at:
                    await asyncio.sleep(max(0.0, next_at - loop.time()))
                    next_at += interval
                    if kind.in_flight >= MAX_IN_FLIGHT:
                        kind.skipped += 1
                        continue
                    coro = fire[name]()
                    if coro is not None:
                        task = asyncio.create_task(coro)
                        tasks.add(task)
                        task.add_done_callback(tasks.discard)

            # (seconds, RSS MiB, open files, answered, delivered, in flight, queued in Kith, answers to reads so far)
            samples: list[tuple] = []
            reads = [kinds[k] for k in ("home", "notifications", "status", "instance")]

            async def sampler() -> None:
                while True:
                    queued = await pool.fetchval(
                        "SELECT (SELECT count(*) FROM deliveries WHERE state = 'pending')"
                        " + (SELECT count(*) FROM inbox_items WHERE state = 'pending')")
                    samples.append((loop.time() - started, rss_mib(kith.proc.pid), open_files(kith.proc.pid),
                                    sum(k.sent for k in kinds.values()), received.value,
                                    sum(k.in_flight for k in kinds.values()), queued,
                                    tuple(len(k.latencies) for k in reads)))
                    if loop.time() >= stop_at:
                        return
                    await asyncio.sleep(min(args.sample_seconds, max(0.0, stop_at - loop.time())))

            print(f"soak: {args.minutes:g} min; inbound {args.inbound_per_second:g}/s,"
                  f" posts {args.posts_per_second:g}/s"
                  f" to {args.instances * args.followers_per_instance} followers on {args.instances} instances,"
                  f" reads {args.reads_per_second:g}/s each of home, notifications, status, instance", flush=True)
            refill = asyncio.create_task(signed.keep_filled(low_water))
            sampling = asyncio.create_task(sampler())
            progress_every = max(60.0, duration / 10)

            async def progress() -> None:
                while True:
                    await asyncio.sleep(progress_every)
                    s = samples[-1]
                    print(f"  {s[0] / 60:5.1f} min: RSS {s[1]:.0f} MiB, requests {s[3]:,},"
                          f" errors {sum(k.errors for k in kinds.values())}, deliveries {s[4]:,}", flush=True)

            reporter = asyncio.create_task(progress())
            await asyncio.gather(*(ticker(name) for name in kinds))
            await sampling
            reporter.cancel()
            refill.cancel()
            if tasks:
                await asyncio.wait(tasks, timeout=60)

        # Let the queues drain: every post's deliveries, every accepted activity applied.
        expected_deliveries = posts_made[0] * args.instances
        drain_started = time.perf_counter()
        while time.perf_counter() - drain_started < 120:
            pending_inbox = await pool.fetchval("SELECT count(*) FROM inbox_items WHERE state = 'pending'")
            if received.value >= expected_deliveries and not pending_inbox:
                break
            await asyncio.sleep(0.5)
        drained = time.perf_counter() - drain_started
        inbox_states = dict(await pool.fetch("SELECT state, count(*) FROM inbox_items GROUP BY state"))
        delivery_states = dict(await pool.fetch("SELECT state, count(*) FROM deliveries GROUP BY state"))
        errors = await pool.fetch(
            "SELECT 'inbox: ' || last_error AS e, count(*) AS n FROM inbox_items WHERE last_error IS NOT NULL"
            " GROUP BY 1"
            " UNION ALL SELECT 'delivery: ' || regexp_replace(last_error, '127\\.0\\.0\\.1:[0-9]+', 'HOST', 'g'),"
            " count(*) FROM deliveries WHERE last_error IS NOT NULL"
            " GROUP BY 1 ORDER BY n DESC LIMIT 5")
        stored = await pool.fetchval("SELECT count(*) FROM statuses WHERE account_id = $1", remote_id)
        notifications = await pool.fetchval("SELECT count(*) FROM notifications WHERE account_id = $1", member.id)
        await pool.close()

        warm_at = duration * args.warmup
        warm = min(samples, key=lambda s: abs(s[0] - warm_at))
        end = samples[-1]
        after_warm = [s for s in samples if s[0] >= warm[0]]
        growth = (end[1] - warm[1]) / warm[1] * 100
        print()
        print(f"{'kind':<13} {'sent':>7} {'errors':>6} {'skipped':>7}  latency")
        for kind in kinds.values():
            print(kind.summary())
        total_errors = sum(k.errors for k in kinds.values())
        print(f"errors in all: {total_errors} (every answer should be 202 inbound, 200 from the API)")
        print(f"deliveries received: {received.value:,} of {expected_deliveries:,} ({posts_made[0]:,} posts x"
              f" {args.instances} instances); states {delivery_states}")
        print(f"inbound activities: states {inbox_states}; the actor's posts stored: {stored:,};"
              f" the member's notifications: {notifications:,} (queues drained {drained:.1f} s after the load)")
        for row in errors:
            print(f"  {row['n']} x {row['e'][:160]}")
        print()
        print(f"{'minute':>7} {'RSS MiB':>8} {'open files':>10} {'answered':>9} {'delivered':>10} {'in flight':>9}"
              f" {'queued':>7} {'reads p50 since the row before':>31}")
        rows = samples[:: max(1, len(samples) // 12)]
        if rows[-1] is not end:
            rows.append(end)
        before = None
        for s in rows:
            window = [lat for i, kind in enumerate(reads)
                      for lat in kind.latencies[(before[7][i] if before else 0):s[7][i]]]
            p50 = f"{statistics.median(window) * 1000:.1f} ms" if window else "-"
            print(f"{s[0] / 60:7.1f} {s[1]:8.1f} {s[2]:10} {s[3]:9,} {s[4]:10,} {s[5]:9} {s[6]:7,} {p50:>31}")
            before = s
        print()
        print(f"kith RSS (embedded PostgreSQL not counted): start {samples[0][1]:.1f} MiB, after warm-up"
              f" ({warm[0] / 60:.1f} min) {warm[1]:.1f} MiB, end {end[1]:.1f} MiB, highest after warm-up"
              f" {max(s[1] for s in after_warm):.1f} MiB")
        print(f"growth after warm-up: {growth:+.1f} % (target <= 10 %)")
    finally:
        if signed is not None:
            signed.executor.shutdown(cancel_futures=True)
        kith.stop()
        inboxes.terminate()
        await actor_runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
