"""Domain policies as federation sees them: which hosts are suspended (or, in allowlist mode, not
allowed), limited, or have their media or reports rejected, and which remote accounts are suspended.
Read from PostgreSQL and kept in memory for a few seconds, so the inbox can check every request
cheaply; a change made in this process (server/domain/moderation counts them) applies at once."""

from __future__ import annotations

import asyncio
import time

import asyncpg

from server.domain import moderation
from server.store import accounts as accounts_store
from server.store import domains as domains_store
from server.store import settings as settings_store
from server.store.domains import DomainPolicy

TTL = 10.0


def _candidates(host: str) -> list[str]:
    """The host with and without its port, and each parent domain: a policy on any of them applies."""
    host = host.lower().rstrip(".")
    name = host.split(":", 1)[0] if host.count(":") == 1 else host
    parts = name.split(".")
    return list(dict.fromkeys([host, name, *(".".join(parts[i:]) for i in range(1, len(parts) - 1))]))


class PolicyCache:
    def __init__(self, pool: asyncpg.Pool, default_mode: str = "blocklist") -> None:
        self.pool = pool
        self.default_mode = default_mode
        self._policies: dict[str, DomainPolicy] = {}
        self._allowed: set[str] = set()
        self._allowlist = False
        self._suspended_accounts: set[str] = set()
        self._loaded = 0.0
        self._seen_changes = -1
        self._invalidations = 0
        self._loading: asyncio.Future[None] | None = None  # the one refresh under way, shared by every caller
        self.refreshes = 0  # how many times the policies were read from the database

    def invalidate(self) -> None:
        """Re-read on the next check (as the few seconds' expiry would after another process's change)."""
        self._loaded = 0.0
        self._invalidations += 1

    def _fresh(self) -> bool:
        return time.monotonic() - self._loaded <= TTL and self._seen_changes == moderation.policy_changes()

    async def _refresh(self) -> None:
        """Read the policies again if they expired: callers that find them expired while a refresh
        is under way wait for that one (a batch of deliveries checks them all at once), and all see
        its outcome, failure included; a change made during it makes the next caller refresh again."""
        while not self._fresh():
            if self._loading is None:
                self._loading = asyncio.ensure_future(self._load())
                self._loading.add_done_callback(self._loaded_once)
            await asyncio.shield(self._loading)  # one caller cancelled does not cancel it for the others

    def _loaded_once(self, loading: asyncio.Future[None]) -> None:
        self._loading = None
        if not loading.cancelled():
            loading.exception()  # retrieved here too: every caller may have been cancelled meanwhile

    async def _load(self) -> None:
        self.refreshes += 1
        changes, invalidations = moderation.policy_changes(), self._invalidations
        policies = {p.domain: p for p in await domains_store.all_policies(self.pool)}
        allowed = set(await domains_store.allowed_domains(self.pool))
        suspended_accounts = set(await accounts_store.suspended_remote_uris(self.pool))
        mode = (await settings_store.get_many(self.pool, ["instance.federation_mode"])).get(
            "instance.federation_mode", self.default_mode)
        self._policies, self._allowed, self._suspended_accounts = policies, allowed, suspended_accounts
        self._allowlist = mode == "allowlist"
        self._seen_changes = changes
        # invalidated while reading: what was read may predate the change, so the next check reads again
        self._loaded = time.monotonic() if self._invalidations == invalidations else 0.0

    async def for_host(self, host: str) -> DomainPolicy | None:
        await self._refresh()
        for candidate in _candidates(host):
            if candidate in self._policies:
                return self._policies[candidate]
        return None

    async def account_suspended(self, uri: str) -> bool:
        """Whether moderators suspended this remote account (the key cache may hold it from before)."""
        await self._refresh()
        return uri in self._suspended_accounts

    async def suspended(self, host: str) -> bool:
        """Whether nothing may be exchanged with the host: a suspension, or absence from the allowlist."""
        policy = await self.for_host(host)
        if policy is not None and policy.severity == "suspend":
            return True
        return self._allowlist and not any(c in self._allowed for c in _candidates(host))
