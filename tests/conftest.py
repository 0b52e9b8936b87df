"""Shared fixtures: one real PostgreSQL per test session, truncated between tests.

The database is the embedded server from `pgserver` (the same one `kith run` uses), or the
server named by KITH_TEST_DATABASE_URL. Migrations run once; each test starts from empty tables
but for the instance actor, which a running instance never loses either.

In this process only, passwords are hashed with argon2's cheapest parameters and account keys come
from a per-session cache (tests/keys.py): the real costs (~0.12 s per hash or check, ~0.05 s per
key) would otherwise be most of the suite's time. `kith` processes the tests start are unaffected.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.request import urlopen

import argon2
import asyncpg
import pytest

from server.config import Config, load_config
from server.db.migrate import migrate
from server.db.pool import create_pool
from server.domain import accounts as accounts_domain
from server.domain import passwords
from server.models import Account
from server.urls import INSTANCE_ACTOR
from tests.helpers import log_in, make_member
from tests.keys import next_keypair

REPO = Path(__file__).resolve().parents[1]
KEEP_TABLES = {"schema_migrations", "accounts"}


@pytest.fixture(scope="session", autouse=True)
def cheap_crypto() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "_hasher", argon2.PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
        patch.setattr(accounts_domain, "generate_rsa_keypair", next_keypair)
        yield


async def empty_tables(db: asyncpg.Pool | asyncpg.Connection) -> None:
    """Every table emptied but the migrations' record, and every account gone but the instance actor."""
    tables = await db.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND NOT tablename = ANY($1::text[])",
        list(KEEP_TABLES),
    )
    await db.execute("TRUNCATE " + ", ".join(f'"{t["tablename"]}"' for t in tables) + " CASCADE")
    await db.execute("DELETE FROM accounts WHERE domain IS NOT NULL OR username <> $1", INSTANCE_ACTOR)


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    url = os.environ.get("KITH_TEST_DATABASE_URL")
    if url:
        yield url
        return
    import pgserver

    # Not under pytest's basetemp: pytest prunes old basetemps, which would pull the data
    # directory from under a server still running for another pytest process.
    server = pgserver.get_server(Path(tempfile.mkdtemp(prefix="kith-test-pg-")) / "data", cleanup_mode="delete")
    yield server.get_uri()
    server.cleanup()


@pytest.fixture(scope="session")
async def session_pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(database_url, max_size=5)
    async with pool.acquire() as conn:
        await migrate(conn)
    yield pool
    await pool.close()


@pytest.fixture
async def pool(session_pool: asyncpg.Pool) -> asyncpg.Pool:
    """The test database, emptied first (see empty_tables)."""
    await empty_tables(session_pool)
    return session_pool


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def config(database_url: str, tmp_path: Path) -> Config:
    """Settings for an in-process app on the test database (local-testing mode)."""
    return load_config(
        env={},
        overrides={
            "database_url": database_url,
            "data_dir": str(tmp_path / "data"),
            "domain": "kith.test",
            "insecure_federation": True,
            "workers": False,  # tests drain the queues themselves, deterministically
        },
    )


@pytest.fixture
async def client(aiohttp_client, config: Config, pool: asyncpg.Pool):
    """A test client for the app (real HTTP on loopback, real database)."""
    from server.app import make_app

    return await aiohttp_client(make_app(config))


@pytest.fixture
async def member(pool: asyncpg.Pool) -> Account:
    """alice, a member with the test password."""
    return await make_member(pool, "alice")


@pytest.fixture
async def logged_in(client, member: Account) -> Account:
    """`member`, signed in on `client` through the login form."""
    await log_in(client, member.username)
    return member


def kith_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """This environment without the test suite's own KITH_* switches (Kith refuses unknown settings)."""
    from dataclasses import fields

    from server.config import Config

    settings = {f"KITH_{f.name.upper()}" for f in fields(Config)}
    env = {k: v for k, v in os.environ.items() if not k.startswith("KITH_") or k in settings}
    return {**env, **(extra or {})}


class KithProcess:
    """A real `kith run` process, as an admin would start it."""

    def __init__(self, args: list[str], env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.args = args
        self.env = kith_env(env)
        self.proc: subprocess.Popen | None = None
        # Its output goes to a file, not a pipe: one access line per request would fill a pipe nobody
        # reads and stall the server.
        self.output = tempfile.TemporaryFile()

    @property
    def log(self) -> bytes:
        self.output.seek(0)
        return self.output.read()

    def start(self, timeout: float = 60) -> KithProcess:
        cmd = [sys.executable, "-m", "server.cli", "run", "--host", "127.0.0.1", "--port", str(self.port),
               "--domain", f"127.0.0.1:{self.port}", "--insecure-federation", *self.args]
        self.proc = subprocess.Popen(cmd, cwd=REPO, env=self.env, stdout=self.output, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"kith run exited early:\n{self.log.decode()}")
            try:
                with urlopen(f"{self.base_url}/.well-known/nodeinfo", timeout=2) as resp:
                    if resp.status == 200:
                        return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"kith run did not answer within {timeout}s:\n{self.log.decode()}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def kith_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run a `kith` subcommand in a fresh process, as an admin would."""
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args],
        cwd=REPO,
        env=kith_env(env),
        capture_output=True,
        text=True,
        timeout=120,
    )
