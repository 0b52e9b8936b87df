"""The queues survive crashes, never hand one item to two workers, and back off; `kith worker` runs them."""

import asyncio
import dataclasses
import json
import subprocess
import sys
import time

from aiohttp import ClientSession, web
from aiohttp.test_utils import TestServer

from federation import queue
from federation.delivery import DeliveryRunner
from federation.fetch import resolve_handle
from server.domain import following
from server.store import deliveries as deliveries_store
from tests.conftest import REPO, free_port
from tests.federation.conftest import drain
from tests.helpers import make_member


async def _queued_follow(a, b):
    alice = await make_member(a.pool, "alice")
    await make_member(b.pool, "bob")
    bob = await resolve_handle(a.fed, f"bob@{b.host}")
    await following.follow(a.pool, a.fed.urls, alice, bob)
    return alice, bob


async def test_concurrent_claims_are_disjoint(kith):
    alice = await make_member(kith.pool, "alice")
    activity = await kith.pool.fetchval(
        "INSERT INTO outbox_activities (account_id, payload) VALUES ($1, '{}') RETURNING id", alice.id
    )
    await kith.pool.execute(
        "INSERT INTO deliveries (activity_id, inbox_url, host)"
        " SELECT $1, 'http://h' || g || '.test/inbox', 'h' || g || '.test' FROM generate_series(1, 60) g", activity
    )
    claims = await asyncio.gather(*(queue.claim(kith.pool, "deliveries", "inbox_url", 25) for _ in range(4)))
    ids = [job.id for jobs in claims for job in jobs]
    assert len(ids) == 60 and len(set(ids)) == 60


async def test_a_crashed_workers_lease_runs_out_and_the_delivery_happens(instances):
    a, b = instances
    await _queued_follow(a, b)
    crashed = await queue.claim(a.pool, "deliveries", "inbox_url", 10)  # claimed, then the worker "dies"
    assert len(crashed) == 1
    assert await DeliveryRunner(a.fed).run_once() == 0  # leased: nobody else takes it
    await a.pool.execute("UPDATE deliveries SET locked_until = now() - interval '1 second'")
    await drain(a, b)
    assert await a.pool.fetchval("SELECT state FROM follows") == "accepted"
    assert await a.pool.fetchval("SELECT attempts FROM deliveries") == 2


async def test_unreachable_host_backs_off_and_defers_its_other_deliveries(instances):
    a, b = instances
    alice, bob = await _queued_follow(a, b)
    await b.client.close()  # the remote goes down
    await DeliveryRunner(a.fed).run_once()
    row = await a.pool.fetchrow("SELECT state, attempts, next_attempt_at > now() AS later, last_error FROM deliveries")
    assert row["state"] == "pending" and row["attempts"] == 1 and row["later"] and row["last_error"]
    assert await a.pool.fetchval("SELECT unreachable_since IS NOT NULL FROM hosts WHERE host = $1", b.host)


def test_backoff_grows_and_is_capped():
    delays = [queue.backoff(n) for n in range(1, 20)]
    assert 20 <= delays[0] <= 40
    assert delays[5] > delays[1]
    assert max(delays) <= queue.MAX_RETRY * 1.25


async def test_kith_worker_process_delivers(instances, instance_databases):
    """A separate `kith worker` process (as an admin runs for capacity) drains the queues, and
    serves its own counters on its metrics port."""
    a, b = instances
    await _queued_follow(a, b)
    metrics_port = free_port()
    workers = [
        subprocess.Popen([sys.executable, "-m", "server.cli", "worker", "--database-url", url, "--domain", host,
                          "--insecure-federation", "--allow-private-host", "127.0.0.1", *extra], cwd=REPO,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for url, host, extra in ((instance_databases["kith_a"], a.host, ["--metrics-port", str(metrics_port)]),
                                 (instance_databases["kith_b"], b.host, []))
    ]
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if await a.pool.fetchval("SELECT state FROM follows") == "accepted":
                break
            await asyncio.sleep(0.2)
        assert await a.pool.fetchval("SELECT state FROM follows") == "accepted"
        async with ClientSession() as session, session.get(f"http://127.0.0.1:{metrics_port}/metrics") as scraped:
            assert scraped.status == 200
            assert 'kith_deliveries_total{outcome="delivered"} 1.0' in await scraped.text()
    finally:
        for worker in workers:
            worker.terminate()
            assert worker.wait(timeout=20) == 0


async def test_a_peer_failing_then_hanging_then_recovering_gets_everything(kith):
    """A peer answers 500, then hangs past our timeout, then recovers: each failure backs off (longer
    the second time) with the host's breaker open, and once it answers, every activity is delivered
    and the breaker closes."""
    mode, received, hung = ["500"], [], []

    async def inbox(request: web.Request) -> web.Response:
        body = await request.read()
        if mode[0] == "500":
            return web.Response(status=500, text="database is on fire")
        if mode[0] == "hang":
            hung.append(json.loads(body)["id"])
            await asyncio.sleep(3600)
        received.append(json.loads(body)["id"])
        return web.Response(status=202)

    app = web.Application()
    app.router.add_post("/inbox", inbox)
    peer = TestServer(app, host="127.0.0.1")
    await peer.start_server()
    host = f"127.0.0.1:{peer.port}"
    kith.fed.policy = dataclasses.replace(kith.fed.policy, read_timeout=0.5, total_timeout=1.0)
    alice = await make_member(kith.pool, "alice")
    for n in range(3):
        activity = await deliveries_store.insert_activity(kith.pool, alice.id, {"id": f"https://kith.test/a/{n}"})
        await deliveries_store.insert_deliveries(kith.pool, activity, [(f"http://{host}/inbox", host)])

    async def state() -> tuple[list[str], float, bool]:
        rows = await kith.pool.fetch(
            "SELECT state, extract(epoch FROM next_attempt_at - now()) AS wait FROM deliveries")
        breaker = await kith.pool.fetchval("SELECT unreachable_since IS NOT NULL FROM hosts WHERE host = $1", host)
        return sorted(r["state"] for r in rows), min(r["wait"] for r in rows), breaker

    async def due_now() -> None:
        await kith.pool.execute("UPDATE deliveries SET next_attempt_at = now()")

    try:
        assert await DeliveryRunner(kith.fed).run_once() == 3
        states, first_wait, breaker_open = await state()
        assert states == ["pending"] * 3 and first_wait > 20 and breaker_open
        assert await DeliveryRunner(kith.fed).run_once() == 0  # nothing is due: it backs off
        mode[0] = "hang"
        await due_now()
        assert await DeliveryRunner(kith.fed).run_once() == 3
        states, second_wait, breaker_open = await state()
        assert states == ["pending"] * 3 and second_wait > first_wait and breaker_open
        assert len(hung) == 1  # one probe (the breaker is open); the other two waited with it, untried
        assert await kith.pool.fetchval("SELECT bool_or(last_error LIKE '%timed out%') FROM deliveries")
        mode[0] = "ok"
        await due_now()
        assert await DeliveryRunner(kith.fed).run_once() == 3
        states, _, breaker_open = await state()
        assert states == ["done"] * 3 and not breaker_open
        assert sorted(received) == [f"https://kith.test/a/{n}" for n in range(3)]
    finally:
        await peer.close()
