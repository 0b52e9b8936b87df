"""Deliveries keep flowing: new work is not stuck behind a backlog, a hanging peer holds up only its
own deliveries, and a peer whose breaker is open is tried once, not once per delivery."""

import asyncio
import dataclasses
import json

from aiohttp import web
from aiohttp.test_utils import TestServer

from federation import queue
from federation.delivery import DeliveryRunner
from server.store import deliveries as deliveries_store
from tests.helpers import make_member


async def _peer(hang: bool, received: list[str]) -> TestServer:
    """An inbox on loopback that records each activity's id, then answers 202 (or never answers)."""

    async def inbox(request: web.Request) -> web.Response:
        received.append(json.loads(await request.read())["id"])
        if hang:
            await asyncio.sleep(3600)
        return web.Response(status=202)

    app = web.Application()
    app.router.add_post("/inbox", inbox)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    return server


async def _queue(pool, account_id: int, n: int, server: TestServer) -> None:
    host = f"127.0.0.1:{server.port}"
    activity = await deliveries_store.insert_activity(pool, account_id, {"id": f"https://kith.test/a/{n}"})
    await deliveries_store.insert_deliveries(pool, activity, [(f"http://{host}/inbox", host)])


async def test_a_claim_takes_the_newest_due_work_besides_the_oldest(kith):
    alice = await make_member(kith.pool, "alice")
    activity = await kith.pool.fetchval(
        "INSERT INTO outbox_activities (account_id, payload) VALUES ($1, '{}') RETURNING id", alice.id)
    await kith.pool.execute(  # h1 is the longest due, h100 the most recently
        "INSERT INTO deliveries (activity_id, inbox_url, host, next_attempt_at)"
        " SELECT $1, 'http://h' || g || '.test/inbox', 'h' || g || '.test', now() - (101 - g) * interval '1 minute'"
        " FROM generate_series(1, 100) g", activity)
    jobs = await queue.claim(kith.pool, "deliveries", "host", 10, fresh=4)
    assert sorted(int(job.row["host"][1:-5]) for job in jobs) == [1, 2, 3, 4, 5, 6, 97, 98, 99, 100]
    rest = await queue.claim(kith.pool, "deliveries", "host", 200, fresh=100)
    assert len(rest) == 90  # the two ends met: each item once


async def test_a_claim_takes_as_many_as_asked_when_all_are_due_alike(kith):
    """A post's deliveries share one due time: the newest and the oldest end of a claim must not
    pick the same ones (the runner took a short claim for the end of the work and waited)."""
    alice = await make_member(kith.pool, "alice")
    activity = await kith.pool.fetchval(
        "INSERT INTO outbox_activities (account_id, payload) VALUES ($1, '{}') RETURNING id", alice.id)
    await kith.pool.execute(
        "INSERT INTO deliveries (activity_id, inbox_url, host, next_attempt_at)"
        " SELECT $1, 'http://h' || g || '.test/inbox', 'h' || g || '.test', now() FROM generate_series(1, 1000) g",
        activity)
    await kith.pool.execute("ANALYZE deliveries")  # as the planner sees a real queue: it may sort, not walk the index
    claimed = [job.id for job in await queue.claim(kith.pool, "deliveries", "host", 512, fresh=384)]
    for _ in range(6):  # as the runner claims again when 64 have finished
        jobs = await queue.claim(kith.pool, "deliveries", "host", 64, fresh=48)
        assert len(jobs) == 64
        claimed += [job.id for job in jobs]
    assert len(set(claimed)) == 512 + 6 * 64
    assert len(await queue.claim(kith.pool, "deliveries", "host", 512, fresh=384)) == 1000 - 512 - 6 * 64


async def test_a_hanging_peer_does_not_hold_up_the_others(kith):
    """The workers' loop delivers to a healthy peer while a delivery to a hanging one is in flight."""
    hung, healthy = [], []
    hanging_peer, healthy_peer = await _peer(True, hung), await _peer(False, healthy)
    alice = await make_member(kith.pool, "alice")
    await _queue(kith.pool, alice.id, 0, hanging_peer)
    runner, wake = DeliveryRunner(kith.fed), asyncio.Event()
    loop = asyncio.create_task(runner.run(wake))
    try:
        async with asyncio.timeout(30):  # not a measure of speed: a hang fails the test instead of stalling it
            while not hung:
                await asyncio.sleep(0.05)
            for n in range(1, 4):
                await _queue(kith.pool, alice.id, n, healthy_peer)
            wake.set()
            while await kith.pool.fetchval("SELECT count(*) FROM deliveries WHERE state = 'done'") < 3:
                await asyncio.sleep(0.05)
        assert sorted(healthy) == [f"https://kith.test/a/{n}" for n in range(1, 4)]
        assert set(runner.hosts) == {f"127.0.0.1:{hanging_peer.port}"}  # a host with nothing in hand is forgotten
        assert await kith.pool.fetchval("SELECT state FROM deliveries WHERE host = $1",
                                        f"127.0.0.1:{hanging_peer.port}") == "pending"
    finally:
        loop.cancel()
        await asyncio.wait([loop])
        await hanging_peer.close()
        await healthy_peer.close()


async def test_a_peer_with_an_open_breaker_is_tried_once_and_new_deliveries_wait(kith):
    """Of three deliveries due to a host whose breaker is open, one is sent; when it times out, the
    other two are handed back untried to wait with it, and so is what is queued for it afterwards."""
    received: list[str] = []
    peer = await _peer(True, received)
    host = f"127.0.0.1:{peer.port}"
    kith.fed.policy = dataclasses.replace(kith.fed.policy, read_timeout=0.5, total_timeout=1.0)
    alice = await make_member(kith.pool, "alice")
    await kith.pool.execute("INSERT INTO hosts (host, unreachable_since) VALUES ($1, now())", host)
    try:
        for n in range(3):
            await _queue(kith.pool, alice.id, n, peer)
        assert await DeliveryRunner(kith.fed).run_once() == 3
        assert len(received) == 1
        rows = await kith.pool.fetch("SELECT attempts, next_attempt_at > now() AS later, locked_until FROM deliveries")
        assert [r["attempts"] for r in rows] == [1, 1, 1]  # failed with their host, though untried
        assert all(r["later"] and r["locked_until"] is None for r in rows)
        retry_at = await kith.pool.fetchval("SELECT retry_at FROM hosts WHERE host = $1", host)
        await _queue(kith.pool, alice.id, 3, peer)
        assert await kith.pool.fetchval(
            "SELECT next_attempt_at FROM deliveries d JOIN outbox_activities o ON o.id = d.activity_id"
            " WHERE o.payload->>'id' = 'https://kith.test/a/3'") == retry_at
        assert await DeliveryRunner(kith.fed).run_once() == 0
    finally:
        await peer.close()
