"""What Prometheus scrapes from /metrics: counters the code bumps as things happen, and gauges read
from the database at scrape time (queues, hosts), so that every process reports the same backlog.

Counters are per process: with separate `kith worker` processes, deliveries and inbox processing
are counted there, not in `kith run`. The processes of one `kith run --processes N` pool theirs
through prometheus-client's multiprocess mode (server/serve.py sets its directory before this
module is imported), and each reports its own memory as kith_process_resident_memory_bytes{pid}.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import asyncpg
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from federation import queue
from server.store import deliveries as deliveries_store

MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
REGISTRY = CollectorRegistry()
if not MULTIPROCESS:
    ProcessCollector(registry=REGISTRY)  # process_resident_memory_bytes, CPU seconds, open files

HTTP_REQUESTS = Counter("kith_http_requests", "HTTP requests answered, by route and status.",
                        ["method", "route", "status"], registry=REGISTRY)
HTTP_LATENCY = Histogram("kith_http_request_duration_seconds", "Time to answer an HTTP request, by route.",
                         ["route"], registry=REGISTRY,
                         buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))
INBOX = Counter("kith_inbox_activities", "Activities POSTed to an inbox: accepted (stored), or refused and why.",
                ["result", "reason"], registry=REGISTRY)
DELIVERIES = Counter("kith_deliveries", "Delivery attempts by outcome: delivered, retry (will try again), dead.",
                     ["outcome"], registry=REGISTRY)
KEY_FETCHES = Counter("kith_key_fetches", "Fetches of other servers' signing keys, by result.",
                      ["result"], registry=REGISTRY)
# Gauges read from the database at scrape time: whichever process was scraped last has the news.
QUEUE_DEPTH = Gauge("kith_queue_depth", "Items not yet done in each queue, those waiting for a retry included.",
                    ["queue"], registry=REGISTRY, multiprocess_mode="mostrecent")
QUEUE_OLDEST = Gauge("kith_queue_oldest_age_seconds",
                     "Age of each queue's oldest item not yet done (scheduled posts: how overdue).",
                     ["queue"], registry=REGISTRY, multiprocess_mode="mostrecent")
HOSTS = Gauge("kith_federation_hosts", "Known peer hosts by delivery state (unreachable: circuit breaker open).",
              ["state"], registry=REGISTRY, multiprocess_mode="mostrecent")
DB_POOL = Gauge("kith_db_pool_connections", "Database connections of the scraped process, in use and idle.",
                ["state"], registry=REGISTRY, multiprocess_mode="livemostrecent")
RSS = Gauge("kith_process_resident_memory_bytes", "Resident memory of each `kith run` process.",
            registry=REGISTRY, multiprocess_mode="liveall")
RSS_EVERY = 10.0  # seconds between two readings of a process' own memory
_rss_read_at = 0.0


def note_memory() -> None:
    """Record this process' resident memory, at most every RSS_EVERY seconds (called per request,
    so that every process of a multiprocess `kith run` keeps its reading fresh)."""
    global _rss_read_at
    if not MULTIPROCESS or time.monotonic() - _rss_read_at < RSS_EVERY:
        return
    _rss_read_at = time.monotonic()
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            RSS.set(int(line.split()[1]) * 1024)


async def exposition(pool: asyncpg.Pool) -> bytes:
    """Read the database's gauges, then the whole registry in Prometheus' text format."""
    for name, (depth, oldest) in (await queue.backlog(pool)).items():
        QUEUE_DEPTH.labels(name).set(depth)
        QUEUE_OLDEST.labels(name).set(oldest)
    for state, count in (await deliveries_store.hosts_by_state(pool)).items():
        HOSTS.labels(state).set(count)
    idle = pool.get_idle_size()
    DB_POOL.labels("in_use").set(pool.get_size() - idle)
    DB_POOL.labels("idle").set(idle)
    if not MULTIPROCESS:
        return generate_latest(REGISTRY)
    global _rss_read_at
    _rss_read_at = 0.0
    note_memory()
    pooled = CollectorRegistry()
    MultiProcessCollector(pooled)
    return generate_latest(pooled)
