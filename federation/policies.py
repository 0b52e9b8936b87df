"""Domain policies as federation sees them: which hosts are suspended, limited, or have their
media or reports rejected. Read from PostgreSQL and kept in memory for a few seconds, so the
inbox can check every request cheaply; a change made in this process applies at once."""

from __future__ import annotations

import time

import asyncpg

from server.store import domains as domains_store
from server.store.domains import DomainPolicy

TTL = 10.0


def _candidates(host: str) -> list[str]:
    """The host with and without its port, and each parent domain: a policy on any of them applies."""
    host = host.lower().rstrip(".")
    name = host.split(":", 1)[0] if host.count(":") == 1 else host
    parts = name.split(".")
    return list(dict.fromkeys([host, name, *(".".join(parts[i:]) for i in range(1, len(parts) - 1))]))


class PolicyCache:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self._policies: dict[str, DomainPolicy] = {}
        self._loaded = 0.0

    def invalidate(self) -> None:
        self._loaded = 0.0

    async def for_host(self, host: str) -> DomainPolicy | None:
        if time.monotonic() - self._loaded > TTL:
            self._policies = {p.domain: p for p in await domains_store.all_policies(self.pool)}
            self._loaded = time.monotonic()
        for candidate in _candidates(host):
            if candidate in self._policies:
                return self._policies[candidate]
        return None

    async def suspended(self, host: str) -> bool:
        policy = await self.for_host(host)
        return policy is not None and policy.severity == "suspend"
