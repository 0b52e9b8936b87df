"""/metrics in Prometheus' text format, read from a real `kith run` as Prometheus would; who may read
it; and the request id and JSON log lines that go with every request."""

from __future__ import annotations

import dataclasses
import json
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta

import asyncpg
from prometheus_client.parser import text_string_to_metric_families

from server.app import make_app
from server.config import Config
from server.store import deliveries as deliveries_store
from tests.conftest import KithProcess
from tests.helpers import make_member

TOKEN = "a-long-enough-metrics-token"


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample by (name, sorted labels); parsing it all proves the format is Prometheus'."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def get(url: str, headers: dict[str, str] | None = None, data: bytes | None = None) -> tuple[int, dict, str]:
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode()


async def test_metrics_from_a_running_instance(pool: asyncpg.Pool, database_url: str):
    alice = await make_member(pool, "alice")
    activity = await deliveries_store.insert_activity(pool, alice.id, {"type": "Create", "id": "https://x/1"})
    await deliveries_store.insert_deliveries(pool, activity, [("https://a.example/inbox", "a.example"),
                                                              ("https://b.example/inbox", "b.example")])
    # One waits for a retry an hour from now, and was made ten minutes ago: it still counts.
    await pool.execute("UPDATE deliveries SET attempts = 1, next_attempt_at = $1, created_at = $2"
                       " WHERE host = 'b.example'", datetime.now(UTC) + timedelta(hours=1),
                       datetime.now(UTC) - timedelta(minutes=10))
    await pool.execute("INSERT INTO hosts (host, unreachable_since) VALUES ('b.example', now())")
    server = KithProcess(["--database-url", database_url], env={"KITH_WORKERS": "false",
                                                                "KITH_LOG_FORMAT": "json"}).start()
    try:
        refused = get(f"{server.base_url}/inbox", {"Content-Type": "application/activity+json"},
                      json.dumps({"id": "https://x.example/a", "type": "Follow",
                                  "actor": "https://x.example/u"}).encode())
        assert refused[0] == 401
        status, headers, body = get(f"{server.base_url}/health", {"X-Request-Id": "probe-0123456789"})
        assert status == 200 and headers["X-Request-Id"] == "probe-0123456789"

        status, headers, text = get(f"{server.base_url}/metrics")
        assert status == 200 and headers["Content-Type"].startswith("text/plain; version=0.0.4")
        found = samples(text)
        assert found[("kith_queue_depth", (("queue", "deliveries"),))] == 2
        assert 590 < found[("kith_queue_oldest_age_seconds", (("queue", "deliveries"),))] < 900
        assert found[("kith_queue_depth", (("queue", "inbox_items"),))] == 0
        assert found[("kith_federation_hosts", (("state", "unreachable"),))] == 1
        assert found[("kith_inbox_activities_total", (("reason", "unsigned"), ("result", "refused")))] == 1
        assert found[("kith_http_requests_total", (("method", "GET"), ("route", "/health"), ("status", "200")))] == 1
        assert found[("kith_http_request_duration_seconds_count", (("route", "/health"),))] == 1
        pool_sizes = [found[("kith_db_pool_connections", (("state", state),))] for state in ("in_use", "idle")]
        assert sum(pool_sizes) >= 1  # the scrape itself used one
        assert found[("process_resident_memory_bytes", ())] > 10 * 2**20
    finally:
        server.stop()
    lines = [json.loads(line) for line in server.log.decode().splitlines() if line.startswith("{")]
    access = [e for e in lines if e["logger"] == "kith.access" and e["path"] == "/health"]
    assert access and access[0]["request_id"] == "probe-0123456789" and access[0]["status"] == 200
    refusal = [e for e in lines if e["message"].startswith("inbox refused (401)")]
    assert refusal and refusal[0]["request_id"] != "-"  # the refusal names the request it answered


async def test_metrics_only_for_allowed_addresses_or_the_token(aiohttp_client, config: Config, pool):
    closed = dataclasses.replace(config, metrics_allow=("10.0.0.0/8",), metrics_token=TOKEN)
    client = await aiohttp_client(make_app(closed))
    refused = await client.get("/metrics")
    assert refused.status == 403 and "metrics_allow" in (await refused.json())["error"]
    assert (await client.get("/metrics", headers={"Authorization": "Bearer wrong-token-of-length"})).status == 403
    allowed = await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert allowed.status == 200 and "kith_queue_depth" in await allowed.text()
    # Behind a trusted proxy it is the forwarded address that counts, not the proxy's loopback.
    proxied = dataclasses.replace(config, metrics_allow=("127.0.0.1",))
    client = await aiohttp_client(make_app(proxied))
    assert (await client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})).status == 403
    assert (await client.get("/metrics")).status == 200


async def test_a_request_id_is_made_when_none_or_a_strange_one_is_given(client):
    made = await client.get("/health", headers={"X-Request-Id": "bad id\twith spaces"})
    assert len(made.headers["X-Request-Id"]) == 16 and " " not in made.headers["X-Request-Id"]
    other = await client.get("/health")
    assert other.headers["X-Request-Id"] != made.headers["X-Request-Id"]
