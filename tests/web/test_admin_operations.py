"""Running the instance from the admin pages: federation health per peer (with its software read
from its real NodeInfo), "retry now" and "give up", the queues' last hour, and the dashboard."""

from __future__ import annotations

import dataclasses
import re

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from federation import peer_software
from federation.runtime import FEDERATION
from server.app import make_app
from server.models import Role
from server.store import deliveries as deliveries_store
from tests.helpers import csrf_token, log_in, make_member


def figures(page: str) -> dict[str, str]:
    return {label: value for value, label in re.findall(r'<strong class="figure">([^<]+)</strong> <span>([^<]+)</span>',
                                                         page)}


def host_rows(page: str) -> list[str]:
    return re.findall(r'<h3>([^<]+)</h3>', page.split('id="hosts"', 1)[1])


async def nodeinfo_peer() -> TestServer:
    """A peer that publishes its NodeInfo as Mastodon does (the link, then the 2.0 document)."""
    async def well_known(request: web.Request) -> web.Response:
        base = f"http://{request.host}"
        return web.json_response({"links": [{"rel": "http://nodeinfo.diaspora.software/ns/schema/2.0",
                                             "href": f"{base}/nodeinfo/2.0"}]})

    async def document(request: web.Request) -> web.Response:
        return web.json_response({"version": "2.0", "software": {"name": "mastodon", "version": "4.3.2"},
                                  "protocols": ["activitypub"]},
                                 content_type="application/json; profile=\"http://nodeinfo.diaspora.software/ns/schema/2.0#\"")

    app = web.Application()
    app.router.add_get("/.well-known/nodeinfo", well_known)
    app.router.add_get("/nodeinfo/2.0", document)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    return server


async def test_federation_page_shows_each_peer_and_acts_on_it(aiohttp_client, config, pool):
    peer = await nodeinfo_peer()
    alive = f"127.0.0.1:{peer.port}"
    client = await aiohttp_client(make_app(dataclasses.replace(config, allow_private_hosts=("127.0.0.1",))))
    boss = await make_member(pool, "boss", Role.ADMIN)
    await make_member(pool, "mod", Role.MODERATOR)
    activity = await deliveries_store.insert_activity(pool, boss.id, {"id": "https://kith.test/a/1"})
    await deliveries_store.insert_deliveries(
        pool, activity, [(f"https://down.example/u/{n}/inbox", "down.example") for n in range(3)]
        + [(f"http://{alive}/inbox", alive)])
    await pool.execute("UPDATE deliveries SET state = 'done', done_at = now() - interval '15 minutes'"
                       " WHERE host = $1", alive)
    await pool.execute("UPDATE deliveries SET next_attempt_at = now() + interval '2 hours' WHERE host = 'down.example'")
    await pool.execute("INSERT INTO hosts (host, last_success_at) VALUES ($1, now())", alive)
    await deliveries_store.host_failed(pool, "down.example", await pool.fetchval("SELECT now() + interval '1 hour'"))
    await deliveries_store.record_failure(pool, "down.example", "HTTP 502: Bad Gateway")
    try:
        assert await peer_software.refresh_some(client.server.app[FEDERATION]) == 2
    finally:
        await peer.close()

    await log_in(client, "boss")
    page = await (await client.get("/admin/federation")).text()
    assert host_rows(page) == ["down.example", alive]  # most pending first
    assert "mastodon 4.3.2" in page
    assert "HTTP 502: Bad Gateway" in page and page.count("Held back since") == 1
    assert figures(page)["Deliveries"] == "3"
    assert "1 arrived" not in page and "4 arrived, 1 done" in page  # the last hour, from the queue itself
    assert host_rows(await (await client.get("/admin/federation?sort=host")).text()) == [alive, "down.example"]
    assert (await client.get("/admin/federation?sort=evil")).status == 400

    retried = await client.post("/admin/federation/retry", data={"host": "down.example", "sort": "pending",
                                                                 "csrf_token": await csrf_token(client)})
    assert retried.status == 200 and "3 pending deliveries to down.example are due again now" in await retried.text()
    assert await pool.fetchval("SELECT bool_and(next_attempt_at <= now()) FROM deliveries WHERE host = 'down.example'")
    assert await pool.fetchval("SELECT unreachable_since FROM hosts WHERE host = 'down.example'") is None
    dropped = await client.post("/admin/federation/give-up", data={"host": "down.example",
                                                                   "csrf_token": await csrf_token(client)})
    assert "3 pending deliveries to down.example were given up" in await dropped.text()
    assert await pool.fetchval("SELECT array_agg(DISTINCT state) FROM deliveries WHERE host = 'down.example'") == [
        "dead"]
    log = await pool.fetch("SELECT action, target FROM moderation_log ORDER BY id")
    assert [(r["action"], r["target"]) for r in log] == [("federation: retry now", "down.example"),
                                                         ("federation: give up", "down.example")]
    unknown = await client.post("/admin/federation/retry", data={"host": "never.example",
                                                                 "csrf_token": await csrf_token(client)})
    assert unknown.status == 404

    moderator = TestClient(client.server)
    await log_in(moderator, "mod")
    assert (await moderator.get("/admin/federation")).status == 403
    assert (await moderator.post("/admin/federation/give-up", data={
        "host": alive, "csrf_token": await csrf_token(moderator)})).status == 403
    await moderator.close()


async def test_dashboard_figures_and_the_low_disk_warning(aiohttp_client, config, pool):
    client = await aiohttp_client(make_app(dataclasses.replace(config, min_free_disk_gb=10**9)))
    boss = await make_member(pool, "boss", Role.ADMIN)
    await make_member(pool, "mod", Role.MODERATOR)
    for n in range(3):
        await pool.execute("INSERT INTO statuses (account_id, content, visibility) VALUES ($1, $2, 'public')",
                           boss.id, f"post {n}")
    await log_in(client, "boss")
    page = await (await client.get("/admin")).text()
    shown = figures(page)
    assert shown["Members"] == "2" and shown["Posts this week"] == "3" and shown["Queued jobs"] == "0"
    assert shown["Database"].endswith("MB") and shown["Free disk"].endswith(("GB", "MB"))
    assert "The disk is nearly full" in page

    moderator = TestClient(client.server)
    await log_in(moderator, "mod")
    assert figures(await (await moderator.get("/admin")).text()) == {}  # the figures are for admins
    await moderator.close()
