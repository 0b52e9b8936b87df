"""Crash safety proven from outside: real `kith worker` and `kith run` processes killed with SIGKILL
in the middle of their work, against real peers on loopback. Nothing that was promised is lost."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import aiohttp
import asyncpg
from aiohttp import web

from server.domain.posting import NewPost, create_post
from server.urls import Urls
from tests.conftest import REPO, KithProcess, free_port, kith_env
from tests.federation.fakes import start_fake_remote
from tests.helpers import make_member

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def start_worker(database_url: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "server.cli", "worker", "--database-url", database_url, "--domain", "kith.test",
         "--insecure-federation", "--allow-private-host", "127.0.0.1"],
        cwd=REPO, env=kith_env(), stdout=tempfile.TemporaryFile(), stderr=subprocess.STDOUT)


async def wait_for(condition, timeout: float, what: str) -> float:
    """Poll `condition` (an async callable) until true; the seconds it took."""
    started = time.monotonic()
    while not await condition():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"{what}: not within {timeout:.0f} s")
        await asyncio.sleep(0.1)
    return time.monotonic() - started


async def test_a_worker_killed_mid_fan_out_loses_no_delivery(pool: asyncpg.Pool, database_url: str):
    """1,000 inboxes on 25 peers, each answering slowly; the worker is killed with a third delivered.
    After a new worker starts, every inbox has the post within a minute, none more than twice."""
    ports, per_port = [free_port() for _ in range(25)], 40
    hits: Counter[str] = Counter()

    async def inbox(request: web.Request) -> web.Response:
        activity = json.loads(await request.read())
        assert activity["type"] == "Create"
        hits[f"{request.host}{request.path}"] += 1
        await asyncio.sleep(0.3)
        return web.Response(status=202)

    app = web.Application()
    app.router.add_post("/users/{name}/inbox", inbox)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    for port in ports:
        await web.TCPSite(runner, "127.0.0.1", port).start()

    star = await make_member(pool, "star")
    await pool.execute(
        "INSERT INTO accounts (username, domain, uri, inbox_url, public_key_pem)"
        " SELECT 'f' || n, '127.0.0.1:' || p, 'http://127.0.0.1:' || p || '/users/f' || n,"
        "  'http://127.0.0.1:' || p || '/users/f' || n || '/inbox', 'x'"
        " FROM unnest($1::int[]) AS p, generate_series(1, $2) AS n", ports, per_port)
    await pool.execute("INSERT INTO follows (account_id, target_account_id)"
                       " SELECT id, $1 FROM accounts WHERE domain IS NOT NULL", star.id)
    await create_post(pool, Urls("http://kith.test"), star, NewPost("To a thousand inboxes"), 500)
    assert await pool.fetchval("SELECT count(*) FROM deliveries") == 1000

    first = start_worker(database_url)
    second = None
    try:
        async def a_third_arrived() -> bool:
            return len(hits) >= 330
        await wait_for(a_third_arrived, 60, "a third of the fan-out")
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
        assert len(hits) < 1000, "the fan-out finished before the kill: it proves nothing"
        second = start_worker(database_url)

        async def every_inbox_has_it() -> bool:
            return len(hits) == 1000

        async def all_recorded() -> bool:
            return await pool.fetchval("SELECT count(*) FROM deliveries WHERE state <> 'done'") == 0
        took = await wait_for(every_inbox_has_it, 90, "every inbox getting the post after the restart")
        await wait_for(all_recorded, 30, "the deliveries recorded as done")
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait()
        await runner.cleanup()
    assert took < 60
    assert max(hits.values()) <= 2
    assert await pool.fetchval("SELECT count(*) FROM worker_processes WHERE id LIKE $1", f"%/{first.pid}/%") == 1


async def test_kith_run_killed_while_activities_arrive_keeps_every_202(pool: asyncpg.Pool, database_url: str):
    """Signed Creates pour in; `kith run` is killed with SIGKILL halfway. Every activity that got a 202
    is stored and, after the restart, processed: its post exists."""
    remote = await start_fake_remote()
    poster = remote.add_actor("poster")
    reader = await make_member(pool, "reader")  # follows the poster, so that its posts are kept
    followed = await pool.fetchval(
        "INSERT INTO accounts (username, domain, uri, inbox_url, key_id, public_key_pem, fetched_at)"
        " VALUES ('poster', $1, $2, $3, $4, $5, now()) RETURNING id",
        remote.host, poster.id, f"{poster.id}/inbox", poster.key_id, poster.public_pem)
    await pool.execute("INSERT INTO follows (account_id, target_account_id) VALUES ($1, $2)", reader.id, followed)
    args = ["--database-url", database_url, "--allow-private-host", "127.0.0.1"]
    server = KithProcess(args).start()
    accepted: list[str] = []
    refused = 0
    killed = asyncio.Event()

    async def send(n: int) -> None:
        nonlocal refused
        note = {"id": f"{poster.id}/statuses/{n}", "type": "Note", "attributedTo": poster.id, "to": [PUBLIC],
                "content": f"<p>post {n}</p>", "published": "2026-12-01T10:00:00Z"}
        activity = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{note['id']}/activity",
                    "type": "Create", "actor": poster.id, "object": note, "to": [PUBLIC]}
        try:
            response = await remote.post(poster, f"{server.base_url}/inbox", activity)
        except aiohttp.ClientError:
            refused += 1
            return
        if response.status == 202:
            accepted.append(note["id"])
            if len(accepted) == 60 and not killed.is_set():
                os.kill(server.proc.pid, signal.SIGKILL)
                killed.set()
        else:
            refused += 1

    try:
        gate = asyncio.Semaphore(8)

        async def gated(n: int) -> None:
            async with gate:
                await send(n)
        await asyncio.gather(*(gated(n) for n in range(150)))
        assert killed.is_set() and refused > 0, "the server was not killed in the middle of the stream"
        server.proc.wait()
        server = KithProcess(args).start()

        async def all_processed() -> bool:
            return await pool.fetchval("SELECT count(*) FROM statuses WHERE uri = ANY($1::text[])",
                                       accepted) == len(accepted)
        await wait_for(all_processed, 60, "every accepted activity processed after the restart")
    finally:
        server.stop()
        await remote.server.close()
    assert len(accepted) >= 60
    assert await pool.fetchval("SELECT count(*) FROM inbox_items WHERE state <> 'done'") == 0


async def test_postgres_restarting_gets_503s_then_recovers_by_itself(tmp_path):
    """The database stops under a running `kith run`: inbox deliveries get 503 (never a 202 for what
    was not stored), /ready says why, and once PostgreSQL is back everything carries on unaided,
    including a delivery that was waiting in the queue."""
    import pgserver
    from pgserver._commands import pg_ctl

    from server.db.pool import create_pool

    pg = pgserver.get_server(Path(tempfile.mkdtemp(prefix="kith-crash-pg-")) / "data", cleanup_mode="delete")
    remote = await start_fake_remote()
    poster = remote.add_actor("poster")
    server = KithProcess(["--database-url", pg.get_uri(), "--allow-private-host", "127.0.0.1"]).start()
    pool = await create_pool(pg.get_uri(), max_size=2)
    try:
        reader = await make_member(pool, "reader")
        followed = await pool.fetchval(
            "INSERT INTO accounts (username, domain, uri, inbox_url, key_id, public_key_pem, fetched_at)"
            " VALUES ('poster', $1, $2, $3, $4, $5, now()) RETURNING id",
            remote.host, poster.id, f"{poster.id}/inbox", poster.key_id, poster.public_pem)
        await pool.execute("INSERT INTO follows (account_id, target_account_id) VALUES ($1, $2)", followed, reader.id)

        def create(n: int) -> dict:
            note = {"id": f"{poster.id}/statuses/{n}", "type": "Note", "attributedTo": poster.id,
                    "to": [PUBLIC], "content": f"<p>post {n}</p>", "published": "2026-12-01T10:00:00Z"}
            return {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{note['id']}/activity",
                    "type": "Create", "actor": poster.id, "object": note, "to": [PUBLIC]}

        await pool.execute("INSERT INTO follows (account_id, target_account_id) VALUES ($1, $2)", reader.id, followed)
        assert (await remote.post(poster, f"{server.base_url}/inbox", create(1))).status == 202
        await pool.close()

        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pg.pgdata, user=pg.system_user)
        during = await remote.post(poster, f"{server.base_url}/inbox", create(2))
        assert during.status == 503 and during.headers["Retry-After"] == "10"
        async with aiohttp.ClientSession() as session, session.get(f"{server.base_url}/ready") as ready:
            assert ready.status == 503
        # A page says so plainly, too.
        async with aiohttp.ClientSession() as session, session.get(f"{server.base_url}/about") as page:
            assert page.status == 503 and "unavailable for a moment" in await page.text()

        with pgserver.PostgresServer._lock:
            pg.ensure_postgres_running()
        pool = await create_pool(pg.get_uri(), max_size=2)

        async def retried_delivery_accepted() -> bool:
            return (await remote.post(poster, f"{server.base_url}/inbox", create(2))).status == 202
        await wait_for(retried_delivery_accepted, 30, "the inbox accepting again")

        async def both_posts_kept() -> bool:
            return await pool.fetchval("SELECT count(*) FROM statuses WHERE uri LIKE $1", f"{poster.id}/%") == 2
        await wait_for(both_posts_kept, 45, "both posts processed")
        # The reader posts to its remote follower: the recovered workers send it.
        await create_post(pool, Urls(server.base_url), reader, NewPost("Back again"), 500)

        async def delivered() -> bool:
            return any(r.activity["type"] == "Create" for r in remote.received)
        await wait_for(delivered, 30, "the reader's post delivered")
    finally:
        server.stop()
        await pool.close()
        await remote.server.close()
        pg.cleanup()
    assert "database unavailable on POST /inbox" in server.log.decode()
