"""bench/fanout: one post to 10,000 followers on 1,000 instances, until every inbox has it.

    .venv/bin/python bench/fanout.py [--instances 1000] [--followers-per-instance 10] [--delay-ms 0]
                                     [--inbox-processes N] [--timeout 300]

The instances are fake inboxes on loopback (one port each on 127.0.0.1, served by one or more
separate processes, each binding its own ports) that answer 202, optionally after --delay-ms.
Kith (`kith run`, workers on) must send one signed POST per shared inbox: 1,000 deliveries for
10,000 followers.

The ceiling, measured in the same run: signing those same deliveries in this process, one after
the other, as Kith signs each one (draft-cavage, the default scheme for a host it knows nothing
about, with the sender's RSA key, over the exact body and inbox URL). Kith's end-to-end time is
printed as a multiple of it.

For 100,000 followers on 10,000 instances (`--instances 10000 --followers-per-instance 10`) the
open-file limit is raised to its hard limit (it is inherited by the inbox processes and by Kith,
which keeps its idle connections open for 30 s) and the inboxes are spread over processes of
at most 5,000 ports each.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import Kith, add_remote_followers, cpu_seconds, kith_pids, listen_on_new_ports, rss_mib  # noqa: E402

PORTS_PER_PROCESS = 5000


def raise_open_files() -> int:
    """Lift the soft RLIMIT_NOFILE to the hard limit (children and Kith inherit it); returns it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def open_files(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return 0


def serve_inboxes(count: int, delay: float, received, conn) -> None:
    """Fake instances: `count` ports on 127.0.0.1, each answering POST /inbox with 202.
    The ports (bound here, so no other process can take them meanwhile) go back through `conn`."""

    from aiohttp import web

    raise_open_files()

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
        conn.send(await listen_on_new_ports(runner, count))
        await asyncio.Event().wait()

    asyncio.run(main())


async def seed(kith: Kith, ports: list[int], per_instance: int):
    """A local member and its remote followers, written straight into the database."""
    from server.db.pool import create_pool
    from server.domain.accounts import create_member

    pool = await create_pool(kith.database_url())
    star = await create_member(pool, "star", "bench password", check_reserved=False)
    await add_remote_followers(pool, star.id, ports, per_instance)
    return pool, star


async def signing_ceiling(pool, base: str, star) -> tuple[int, float]:
    """Sign every delivery of the post here, as Kith's DeliveryRunner signs each one: (count, seconds)."""
    from federation import httpsig
    from federation.render import ACTIVITY_JSON
    from server.urls import Urls

    rows = await pool.fetch("SELECT d.inbox_url, o.payload::text AS body FROM deliveries d"
                            " JOIN outbox_activities o ON o.id = d.activity_id WHERE o.account_id = $1", star.id)
    pem = await pool.fetchval("SELECT private_key_pem FROM accounts WHERE id = $1", star.id)
    key_id = Urls(base).key_id(star.username)
    headers = {"Content-Type": ACTIVITY_JSON, "Accept": ACTIVITY_JSON}
    httpsig.SigningKey(key_id, pem).signer("cavage")("POST", rows[0]["inbox_url"], headers, b"{}")  # key parsed once
    started = time.perf_counter()
    for row in rows:
        body = row["body"].encode()  # as activities_to_send hands it over
        key = httpsig.SigningKey(key_id, pem)
        key.signer("cavage")("POST", row["inbox_url"], dict(headers), body)
    return len(rows), time.perf_counter() - started


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--instances", type=int, default=1000)
    parser.add_argument("--followers-per-instance", type=int, default=10)
    parser.add_argument("--delay-ms", type=float, default=0)
    parser.add_argument("--inbox-processes", type=int, default=0,
                        help=f"processes serving the fake inboxes (default: one per {PORTS_PER_PROCESS} instances)")
    parser.add_argument("--timeout", type=float, default=300, help="seconds to wait for every delivery")
    parser.add_argument("--kith-open-files", type=int, default=0,
                        help="start Kith with this soft RLIMIT_NOFILE (e.g. 1024, systemd's default) instead")
    args = parser.parse_args()

    nofile = raise_open_files()
    processes = args.inbox_processes or -(-args.instances // PORTS_PER_PROCESS)
    if args.instances > 1000 and nofile < args.instances * 2 // processes + 1000:
        print(f"warning: RLIMIT_NOFILE is {nofile}; {args.instances} instances may run out of file descriptors")
    received = multiprocessing.Value("i", 0)
    servers, ports = [], []
    shares = [args.instances // processes + (1 if i < args.instances % processes else 0) for i in range(processes)]
    for share in shares:
        parent_end, child_end = multiprocessing.Pipe(duplex=False)
        server = multiprocessing.Process(target=serve_inboxes, args=(share, args.delay_ms / 1000, received, child_end),
                                         daemon=True)
        server.start()
        servers.append(server)
        if not parent_end.poll(120):
            raise RuntimeError("the fake inboxes did not start")
        ports += parent_end.recv()
    if args.kith_open_files:  # Kith inherits the limit in force when it is started
        raised = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (args.kith_open_files, raised[1]))
        try:
            kith = Kith().start()
        finally:
            resource.setrlimit(resource.RLIMIT_NOFILE, raised)
    else:
        kith = Kith().start()
    kith_nofile = resource.prlimit(kith.proc.pid, resource.RLIMIT_NOFILE)[0]
    try:
        from server.domain.posting import NewPost, create_post
        from server.urls import Urls

        pool, star = await seed(kith, ports, args.followers_per_instance)
        idle = rss_mib(kith.proc.pid)
        peak = idle
        inbox_pids, pg_pids = [server.pid for server in servers], kith.postgres_pids()

        def cpu_now() -> list[float]:  # Kith, its PostgreSQL, the fake inboxes
            return [cpu_seconds(kith_pids(kith.proc.pid)), cpu_seconds(pg_pids), cpu_seconds(inbox_pids)]

        cpu_before = cpu_now()
        started = time.perf_counter()
        await create_post(pool, Urls(kith.base), star, NewPost("Hello, ten thousand followers!"), 500)
        enqueued = time.perf_counter() - started
        first = None
        deadline = started + args.timeout
        last_rss = 0.0
        peak_fds = open_files(kith.proc.pid)
        while received.value < args.instances and time.perf_counter() < deadline:
            now = time.perf_counter()
            if first is None and received.value:
                first = now - started
            if now - last_rss > 0.25:
                peak, last_rss = max(peak, rss_mib(kith.proc.pid)), now
                peak_fds = max(peak_fds, open_files(kith.proc.pid))
            await asyncio.sleep(0.01)
        elapsed = time.perf_counter() - started
        cpu = [after - before for after, before in zip(cpu_now(), cpu_before, strict=True)]
        peak = max(peak, rss_mib(kith.proc.pid))
        for _ in range(100):  # the last batch's outcomes are recorded just after its last POST
            states = dict(await pool.fetch("SELECT state, count(*) FROM deliveries GROUP BY state"))
            if not states.get("pending"):
                break
            await asyncio.sleep(0.1)
        errors = await pool.fetch(  # grouped with each inbox's address taken out
            "SELECT regexp_replace(last_error, '127\\.0\\.0\\.1:[0-9]+', 'HOST', 'g') AS last_error, count(*) AS n"
            " FROM deliveries WHERE last_error IS NOT NULL GROUP BY 1 ORDER BY n DESC LIMIT 3")
        signed, ceiling = await signing_ceiling(pool, kith.base, star)
        followers = args.instances * args.followers_per_instance
        print(f"followers: {followers:,} on {args.instances:,} instances ({processes} inbox process(es)),"
              f" inbox delay {args.delay_ms:.0f} ms")
        print(f"post stored with its deliveries enqueued in {enqueued * 1000:.0f} ms;"
              f" first delivery after {(first or 0) * 1000:.0f} ms")
        print(f"deliveries received: {received.value:,}/{args.instances:,} in {elapsed:.2f} s"
              f" ({received.value / elapsed:,.0f} per second); delivery states {states}")
        for row in errors:
            print(f"  {row['n']} x {row['last_error'][:160]}")
        print(f"ceiling: signing the same {signed:,} deliveries in-process (cavage, RSA) took {ceiling:.2f} s"
              f" ({signed / ceiling:,.0f} per second)")
        print(f"kith end-to-end / signing alone: {elapsed / ceiling:.2f}x (target <= 2x)")
        per = 1000 / max(received.value, 1)
        print(f"CPU meanwhile: kith {cpu[0]:.2f} s ({cpu[0] * per:.2f} ms per delivery), its PostgreSQL {cpu[1]:.2f} s,"
              f" the fake inboxes {cpu[2]:.2f} s; machine load {os.getloadavg()[0]:.2f}")
        print(f"kith RSS: idle {idle:.0f} MiB, peak {peak:.0f} MiB (embedded PostgreSQL not counted);"
              f" open files: peak {peak_fds:,} (its limit {kith_nofile:,})")
        await pool.close()
    finally:
        kith.stop()
        for server in servers:
            server.terminate()


if __name__ == "__main__":
    asyncio.run(main())
