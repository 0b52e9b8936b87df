"""Outgoing activities: enqueued in the same transaction as the local change, delivered by workers.

`enqueue` is the domain's one door to federation: a post and its deliveries commit together,
so nothing is sent for a change that rolled back and nothing is lost for one that committed.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from federation import httpsig, parse, queue
from federation.egress import EgressBlocked, EgressError, fetch
from federation.render import ACTIVITY_JSON
from federation.runtime import Federation
from server import metrics
from server.store import deliveries as deliveries_store

log = logging.getLogger(__name__)
PER_HOST = 4
CONCURRENCY = 256
BATCH = 512
MAX_RETRY_AFTER = 24 * 3600.0


async def enqueue(conn: asyncpg.Connection, account_id: int, payload: dict[str, Any], inboxes: Iterable[str],
                  *, own_host: str) -> None:
    """Store the activity once and one delivery per distinct remote inbox (call inside the change's transaction)."""
    targets = sorted({(url, parse.host_of(url)) for url in inboxes if url})
    targets = [(url, host) for url, host in targets if host and host != own_host.lower()]
    if not targets:
        return
    activity_id = await deliveries_store.insert_activity(conn, account_id, payload)
    await deliveries_store.insert_deliveries(conn, activity_id, targets)
    await queue.notify(conn, "deliveries")


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status: int | None
    error: str = ""
    retry_after: float | None = None
    permanent: bool = False


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    if value.strip().isdigit():
        return min(float(value.strip()), MAX_RETRY_AFTER)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, min((moment - datetime.now(UTC)).total_seconds(), MAX_RETRY_AFTER))


async def post_activity(fed: Federation, inbox: str, body: bytes, key: httpsig.SigningKey,
                        scheme: str | None) -> Outcome:
    """POST one signed activity; RFC 9421 for hosts known to use it, falling back to cavage on 400/401."""
    host = parse.host_of(inbox)
    scheme = scheme or "cavage"
    for attempt_scheme in ([scheme, "cavage"] if scheme == "rfc9421" else ["cavage"]):
        try:
            response = await fetch(
                fed.session, fed.policy, "POST", inbox, data=body,
                headers={"Content-Type": ACTIVITY_JSON, "Accept": ACTIVITY_JSON},
                sign=key.signer(attempt_scheme),
            )
        except EgressBlocked as exc:
            return Outcome(False, None, str(exc), permanent=True)
        except EgressError as exc:
            return Outcome(False, None, str(exc))
        if 200 <= response.status < 300:
            if attempt_scheme != scheme:
                await deliveries_store.remember_scheme(fed.pool, host, attempt_scheme, override=True)
            return Outcome(True, response.status)
        if response.status in (400, 401) and attempt_scheme == "rfc9421":
            continue  # double-knock: try the older scheme before calling it a failure
        error = f"HTTP {response.status}: {response.body[:200].decode('utf-8', 'replace')}"
        if response.status in (429, 503):
            return Outcome(False, response.status, error, retry_after=_retry_after(response.headers.get("Retry-After")))
        if 400 <= response.status < 500 and response.status not in (408, 425):
            return Outcome(False, response.status, error, permanent=True)
        return Outcome(False, response.status, error)
    raise AssertionError("unreachable")


class DeliveryRunner:
    """Claims due deliveries and sends them concurrently: at most PER_HOST at once to any one
    host and CONCURRENCY in all. Outcomes are recorded in bulk, a few statements per batch."""

    def __init__(self, fed: Federation) -> None:
        self.fed = fed
        self.host_slots: dict[str, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(PER_HOST))
        self.slots = asyncio.Semaphore(CONCURRENCY)

    async def run_once(self, limit: int = BATCH) -> int:
        """Deliver one batch; returns how many deliveries were attempted."""
        pool = self.fed.pool
        jobs = await queue.claim(
            pool, "deliveries",
            "inbox_url, host, created_at, activity_id,"
            " (SELECT h.signature_scheme FROM hosts h WHERE h.host = deliveries.host) AS scheme",
            limit,
        )
        if not jobs:
            return 0
        activities = await deliveries_store.activities_to_send(pool, list({j.row["activity_id"] for j in jobs}))
        outcomes = await asyncio.gather(*(self._send(job, activities.get(job.row["activity_id"])) for job in jobs))
        done = [job for job, outcome in zip(jobs, outcomes, strict=True) if outcome.ok]
        await deliveries_store.mark_done(pool, [job.id for job in done], sorted({job.row["host"] for job in done}))
        metrics.DELIVERIES.labels("delivered").inc(len(done))
        for job, outcome in zip(jobs, outcomes, strict=True):
            if not outcome.ok:
                await self._failed(job, outcome)
        return len(jobs)

    async def _send(self, job: queue.Job, activity: deliveries_store.ActivityToSend | None) -> Outcome:
        if activity is None:
            return Outcome(False, None, "the activity or its sender is gone", permanent=True)
        if await self.fed.policies.suspended(job.row["host"]):
            return Outcome(False, None, "the host was suspended", permanent=True)
        key = httpsig.SigningKey(self.fed.urls.key_id(activity.username), activity.private_pem)
        async with self.slots, self.host_slots[job.row["host"]]:
            return await post_activity(self.fed, job.row["inbox_url"], activity.body, key,
                                       job.row["scheme"])

    async def _failed(self, job: queue.Job, outcome: Outcome) -> None:
        pool, host = self.fed.pool, job.row["host"]
        await deliveries_store.record_failure(pool, host, outcome.error)
        if outcome.permanent:
            log.info("delivery to %s failed for good: %s", job.row["inbox_url"], outcome.error)
            await queue.dead(pool, "deliveries", job.id, outcome.error)
            metrics.DELIVERIES.labels("dead").inc()
            return
        delay = outcome.retry_after if outcome.retry_after is not None else queue.backoff(job.attempts)
        again = await queue.retry(pool, "deliveries", job.id, outcome.error, delay, created_column="created_at")
        metrics.DELIVERIES.labels("retry" if again else "dead").inc()
        if outcome.status is None or outcome.status >= 500:
            await deliveries_store.host_failed(pool, host, datetime.now(UTC) + timedelta(seconds=delay))
