"""`kith run --processes 2`: two real processes share the port, pool their metrics, and only the
first runs the federation workers; stopping the first stops them all."""

from __future__ import annotations

import asyncio
import os
import urllib.request

import asyncpg
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import KithProcess


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:  # a new connection each time
        return response.read().decode()


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def test_two_processes_share_the_port(pool: asyncpg.Pool, database_url: str):
    server = KithProcess(["--database-url", database_url, "--processes", "2"]).start()
    try:
        for _ in range(40):  # the kernel spreads new connections over both listening processes
            assert fetch(f"{server.base_url}/health")
        families = {f.name: f for f in text_string_to_metric_families(fetch(f"{server.base_url}/metrics"))}
        health = [s for s in families["kith_http_requests"].samples
                  if s.name == "kith_http_requests_total" and s.labels["route"] == "/health"]
        assert sum(s.value for s in health) == 40  # counted once each, whichever process answered
        memory = {s.labels["pid"]: s.value for s in families["kith_process_resident_memory_bytes"].samples}
        assert len(memory) == 2 and all(value > 10 * 2**20 for value in memory.values())
        assert str(server.proc.pid) in memory
        for _ in range(50):  # the workers' heartbeat: one process, the first
            if await pool.fetchval("SELECT count(*) FROM worker_processes"):
                break
            await asyncio.sleep(0.1)
        beating = await pool.fetch("SELECT id FROM worker_processes")
        assert [row["id"].split("/")[1] for row in beating] == [str(server.proc.pid)]
    finally:
        server.stop()
    assert server.proc.returncode == 0
    assert not any(alive(int(pid)) for pid in memory)
    assert "with 2 processes" in server.log.decode()
