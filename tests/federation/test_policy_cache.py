"""The domain policy cache: many checks at once share one read of the policies from PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest

from federation.policies import PolicyCache
from server.domain import moderation
from server.store import domains as domains_store
from server.store.domains import DomainPolicy
from tests.helpers import counting_pool


@pytest.fixture
async def counted(database_url: str) -> AsyncIterator[tuple[asyncpg.Pool, list[str]]]:
    """A pool of its own on the test database that records every statement it sends."""
    async with counting_pool(database_url, max_size=10) as counted:
        yield counted


async def test_concurrent_checks_share_one_refresh(pool, counted):
    counting, statements = counted
    await moderation.set_domain_policy(pool, DomainPolicy("spam.example", "suspend"), None)
    cache = PolicyCache(counting)

    hosts = [f"peer{i}.example" for i in range(511)] + ["sub.spam.example"]
    suspended = await asyncio.gather(*(cache.suspended(host) for host in hosts))  # as a batch of deliveries does

    assert suspended == [False] * 511 + [True]
    assert len(statements) == 4  # policies, allowed domains, suspended accounts, federation mode: once
    assert cache.refreshes == 1

    await asyncio.gather(*(cache.suspended(host) for host in hosts))  # still fresh: nothing read
    assert cache.refreshes == 1 and len(statements) == 4

    cache.invalidate()
    assert await asyncio.gather(*(cache.suspended(host) for host in hosts)) == suspended
    assert cache.refreshes == 2 and len(statements) == 8


async def test_an_invalidation_during_a_refresh_is_not_lost(pool, counted):
    counting, statements = counted
    cache = PolicyCache(counting)
    async with pool.acquire() as holder, holder.transaction():
        await holder.execute("LOCK TABLE instance_settings")  # the refresh's last statement waits for it
        checking = asyncio.ensure_future(cache.suspended("spam.example"))
        while len(statements) < 3:  # it has read the domain policies, and waits
            await asyncio.sleep(0.001)
        await domains_store.upsert(pool, DomainPolicy("spam.example", "suspend"))  # as another process would
        cache.invalidate()
    assert await checking  # what the refresh had read predates the change: read again
    assert cache.refreshes == 2
    assert await cache.suspended("spam.example") and cache.refreshes == 2


async def test_a_failed_refresh_fails_every_waiting_check_once(pool, database_url):
    broken = await asyncpg.create_pool(database_url, min_size=1, max_size=2)
    cache = PolicyCache(broken)
    await broken.close()  # every statement now fails
    results = await asyncio.gather(*(cache.suspended(f"peer{i}.example") for i in range(64)),
                                   return_exceptions=True)
    assert all(isinstance(r, asyncpg.InterfaceError) for r in results)
    assert cache.refreshes == 1
