"""Shared pieces of the benchmarks: a Kith process on an embedded database, and a scripted remote."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.request import urlopen

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rss_mib(pid: int) -> float:
    """Resident memory of a process, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def add_remote_followers(pool, account_id: int, ports: list[int], per_instance: int) -> None:
    """`per_instance` followers of the account on each fake instance (http://127.0.0.1:PORT, shared
    inbox /inbox), written straight into the database; statistics refreshed for the planner."""
    await pool.execute(
        "INSERT INTO accounts (username, domain, uri, inbox_url, shared_inbox_url, public_key_pem)"
        " SELECT 'f' || n, '127.0.0.1:' || p, 'http://127.0.0.1:' || p || '/users/f' || n,"
        "  'http://127.0.0.1:' || p || '/users/f' || n || '/inbox', 'http://127.0.0.1:' || p || '/inbox', 'x'"
        " FROM unnest($1::int[]) AS p, generate_series(1, $2) AS n",
        ports, per_instance,
    )
    await pool.execute(
        "INSERT INTO follows (account_id, target_account_id) SELECT id, $1 FROM accounts WHERE domain IS NOT NULL",
        account_id,
    )
    await pool.execute("ANALYZE")


async def listen_on_new_ports(runner, count: int) -> list[int]:
    """Serve an aiohttp runner on `count` fresh loopback ports (bound here, so never handed out twice)."""
    from aiohttp import web

    ports = []
    for _ in range(count):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        ports.append(sock.getsockname()[1])
        await web.SockSite(runner, sock, backlog=512).start()
    return ports


def kith_pids(pid: int) -> list[int]:
    """`kith run` and the web processes it forked (--processes), not the PostgreSQL it started."""
    pids = [pid]
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        if Path(f"/proc/{child}/comm").read_text().startswith("python"):
            pids.append(int(child))
    return pids


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time these processes used so far."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:  # a backend that has ended
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / os.sysconf("SC_CLK_TCK")


class Kith:
    """`kith run` on a fresh embedded database in a temporary data directory."""

    def __init__(self, *extra: str, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.data = Path(tempfile.mkdtemp(prefix="kith-bench-"))
        self.extra = extra
        self.env = {**os.environ, **(env or {})}
        self.proc: subprocess.Popen | None = None

    def start(self) -> Kith:
        cmd = [sys.executable, "-m", "server.cli", "run", "--host", "127.0.0.1", "--port", str(self.port),
               "--domain", f"127.0.0.1:{self.port}", "--data-dir", str(self.data), "--insecure-federation",
               "--allow-private-host", "127.0.0.1", *self.extra]
        self.proc = subprocess.Popen(cmd, cwd=REPO, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(300):
            try:
                with urlopen(f"{self.base}/.well-known/nodeinfo", timeout=1):
                    return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("kith did not start")

    def database_url(self) -> str:
        return f"postgresql://postgres:@/postgres?host={self.data / 'postgres'}"

    def postgres_pids(self) -> list[int]:
        """Its embedded PostgreSQL: the postmaster (named in postmaster.pid) and every backend."""
        postmaster = int((self.data / "postgres" / "postmaster.pid").read_text().split()[0])
        return [postmaster, *map(int, Path(f"/proc/{postmaster}/task/{postmaster}/children").read_text().split())]

    def stop(self) -> None:
        if self.proc:
            self.proc.terminate()
            self.proc.wait(timeout=30)
