"""Two real Kith instances on loopback, each with its own database, federating over real signed HTTP."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer

from federation.fetch import resolve_handle
from federation.runtime import FEDERATION
from federation.workers import Workers
from server.config import load_config
from server.db.migrate import migrate
from server.domain import following
from server.keys import POOL
from server.models import Account
from tests.conftest import empty_tables, free_port

DATABASES = ("kith_a", "kith_b")


@pytest.fixture(scope="session")
async def instance_databases(database_url: str) -> dict[str, str]:
    """One migrated database per instance, made once per test session."""
    admin = await asyncpg.connect(database_url)
    urls = {}
    try:
        for name in DATABASES:
            if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
                await admin.execute(f"CREATE DATABASE {name}")
            urls[name] = database_url.replace("/postgres?", f"/{name}?")
            conn = await asyncpg.connect(urls[name])
            await migrate(conn)
            await conn.close()
    finally:
        await admin.close()
    return urls


@dataclasses.dataclass
class Instance:
    client: TestClient
    host: str  # 127.0.0.1:PORT

    @property
    def app(self):
        return self.client.server.app

    @property
    def pool(self) -> asyncpg.Pool:
        return self.app[POOL]

    @property
    def fed(self):
        return self.app[FEDERATION]

    @property
    def base(self) -> str:
        return f"http://{self.host}"

    async def drain(self) -> int:
        return await Workers(self.fed).pass_once()


async def truncate(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await empty_tables(conn)
    finally:
        await conn.close()


async def start_instance(database_url: str, tmp_path, **settings) -> Instance:
    from server.app import make_app

    port = free_port()
    host = f"127.0.0.1:{port}"
    cfg = load_config(env={}, overrides={
        "database_url": database_url, "data_dir": str(tmp_path / host.replace(":", "_")), "domain": host,
        "insecure_federation": True, "allow_private_hosts": ["127.0.0.1", "localhost"], "workers": False,
        **settings,
    })
    client = TestClient(TestServer(make_app(cfg), host="127.0.0.1", port=port))
    await client.start_server()
    return Instance(client, host)


@pytest.fixture
async def kith(instance_databases: dict[str, str], tmp_path) -> AsyncIterator[Instance]:
    """One instance, for tests whose other side is the scripted `remote` (or nobody)."""
    await truncate(instance_databases["kith_a"])
    instance = await start_instance(instance_databases["kith_a"], tmp_path)
    yield instance
    await instance.client.close()


@pytest.fixture
async def instances(instance_databases: dict[str, str], tmp_path) -> AsyncIterator[tuple[Instance, Instance]]:
    for url in instance_databases.values():
        await truncate(url)
    a = await start_instance(instance_databases["kith_a"], tmp_path)
    b = await start_instance(instance_databases["kith_b"], tmp_path)
    yield a, b
    await a.client.close()
    await b.client.close()


async def follow_across(follower_at: Instance, follower: Account, target_at: Instance, target: str) -> Account:
    """`follower` follows the member `target` of the other instance (found by WebFinger, as a member
    would) and both instances settle; returns `target` as the follower's instance knows it."""
    remote = await resolve_handle(follower_at.fed, f"{target}@{target_at.host}")
    await following.follow(follower_at.pool, follower_at.fed.urls, follower, remote)
    await drain(follower_at, target_at)
    return remote


async def drain(*instances: Instance, rounds: int = 20) -> None:
    """Run the workers of every instance until no queue has anything left to do."""
    for _ in range(rounds):
        if sum([await i.drain() for i in instances]) == 0:
            return
    raise AssertionError("queues did not settle")


@pytest.fixture
async def remote():
    from tests.federation.fakes import start_fake_remote

    server = await start_fake_remote()
    yield server
    await server.server.close()
