"""What federation code needs at run time: the egress session, the policy and the instance actor."""

from __future__ import annotations

import time
from collections import OrderedDict, defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import asyncpg
from aiohttp import web

from federation import httpsig
from federation.egress import EgressPolicy, make_session
from federation.inbox.writer import InboxWriter
from federation.nodeinfo import VERSION
from federation.policies import PolicyCache
from server.config import Config
from server.urls import Urls

KEY_FETCHES_PER_HOST_PER_MINUTE = 30
KEY_REFETCH_SECONDS = 300
KEY_FAILURE_SECONDS = 600
KEY_FAILURE_COST = 5


@dataclass
class HostLimiter:
    """At most `per_minute` events per host in any 60 s window (in memory: a soft, per-process limit)."""

    per_minute: int
    _events: dict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))

    def allow(self, host: str, cost: int = 1) -> bool:
        """Spend `cost` events of the host's window, if that many are left."""
        now = time.monotonic()
        events = self._events[host]
        while events and events[0] < now - 60:
            events.popleft()
        if len(events) + cost > self.per_minute:
            return False
        events.extend([now] * cost)
        return True

    def refund(self, host: str, cost: int) -> None:
        """Give back `cost` of the latest events (what turned out cheaper than reserved)."""
        events = self._events[host]
        for _ in range(min(cost, len(events))):
            events.pop()


class RecentSet:
    """Keys remembered for `seconds` each, at most `size` of them (oldest forgotten first)."""

    def __init__(self, seconds: float, size: int = 10_000) -> None:
        self.seconds, self.size = seconds, size
        self._until: OrderedDict[str, float] = OrderedDict()

    def __contains__(self, key: str) -> bool:
        until = self._until.get(key)
        return until is not None and until > time.monotonic()

    def add(self, key: str) -> None:
        self._until[key] = time.monotonic() + self.seconds
        self._until.move_to_end(key)
        while len(self._until) > self.size:
            self._until.popitem(last=False)


class KeyCache:
    """Recently used remote keys in memory: key id -> (owner, public PEM), for a few minutes.

    Saves a database round trip per inbound request; a key that stops verifying is re-fetched anyway.
    """

    def __init__(self, size: int = 10_000, ttl: float = 600.0) -> None:
        self.size, self.ttl = size, ttl
        self._items: OrderedDict[str, tuple[float, Any, str]] = OrderedDict()

    def get(self, key_id: str) -> tuple[Any, str] | None:
        item = self._items.get(key_id)
        if item is None or item[0] < time.monotonic():
            return None
        self._items.move_to_end(key_id)
        return item[1], item[2]

    def put(self, key_id: str, owner: Any, pem: str) -> None:
        self._items[key_id] = (time.monotonic() + self.ttl, owner, pem)
        self._items.move_to_end(key_id)
        while len(self._items) > self.size:
            self._items.popitem(last=False)

    def drop(self, key_id: str) -> None:
        self._items.pop(key_id, None)

    def drop_owner(self, account_id: int) -> None:
        """Forget every key of this account (it deleted itself)."""
        for key_id in [k for k, (_, owner, _) in self._items.items() if getattr(owner, "id", None) == account_id]:
            del self._items[key_id]


@dataclass
class Federation:
    config: Config
    urls: Urls
    pool: asyncpg.Pool
    policy: EgressPolicy
    session: aiohttp.ClientSession
    instance_key: httpsig.SigningKey
    key_fetches: HostLimiter = field(default_factory=lambda: HostLimiter(KEY_FETCHES_PER_HOST_PER_MINUTE))
    # A key that stops verifying is re-fetched at most once per KEY_REFETCH_SECONDS; one that could not
    # be fetched is not asked for again for KEY_FAILURE_SECONDS, and a failed fetch costs its host
    # KEY_FAILURE_COST of the per-minute budget (random key ids cannot make us fetch 30 a minute).
    key_refetched: RecentSet = field(default_factory=lambda: RecentSet(KEY_REFETCH_SECONDS))
    key_failures: RecentSet = field(default_factory=lambda: RecentSet(KEY_FAILURE_SECONDS))
    keys: KeyCache = field(default_factory=KeyCache)
    inbox_writer: InboxWriter = field(init=False)
    policies: PolicyCache = field(init=False)

    def __post_init__(self) -> None:
        self.inbox_writer = InboxWriter(self.pool)
        self.policies = PolicyCache(self.pool, self.config.federation_mode)

    async def close(self) -> None:
        await self.session.close()


FEDERATION = web.AppKey("federation", Federation)


def egress_policy(cfg: Config) -> EgressPolicy:
    return EgressPolicy(
        user_agent=f"Kith/{VERSION} (+{cfg.base_url}/)",
        allow_private_hosts=frozenset(cfg.allow_private_hosts),
        allow_http=cfg.insecure_federation,
    )


async def start(cfg: Config, urls: Urls, pool: asyncpg.Pool) -> Federation:
    from server.domain.accounts import instance_actor
    from server.store import accounts as accounts_store

    actor = await instance_actor(pool)
    keys = await accounts_store.get_keys(pool, actor.id)
    assert keys is not None and keys.private_pem is not None
    policy = egress_policy(cfg)
    return Federation(
        config=cfg,
        urls=urls,
        pool=pool,
        policy=policy,
        session=make_session(policy),
        instance_key=httpsig.SigningKey(urls.key_id(actor.username), keys.private_pem),
    )
