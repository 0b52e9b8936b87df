"""Outgoing activities: enqueued in the same transaction as the local change, delivered by workers.

`enqueue` is the domain's one door to federation: a post and its deliveries commit together,
so nothing is sent for a change that rolled back and nothing is lost for one that committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import email.utils
import logging
import os
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from federation import egress, httpsig, parse, queue
from federation.egress import EgressBlocked, EgressError, fetch
from federation.render import ACTIVITY_JSON
from federation.runtime import Federation
from server import metrics
from server.db.pool import UNAVAILABLE
from server.store import deliveries as deliveries_store

log = logging.getLogger(__name__)
PER_HOST = 4
CONCURRENCY = 256  # in flight at once
BATCH = 512  # claimed at once, at most
IN_HAND = 512  # claimed and not finished (in flight, or waiting for their host's turn), at most
REFILL = 64  # the runner claims again when this many have finished
SLOW_SECONDS = 2.0  # a host whose delivery has not answered for this long gets no other one beside it
BUSY_SECONDS = 5.0  # how long a delivery to a host that hangs is handed back for
FLUSH_SECONDS = 0.2  # how often successes are recorded
POLL_SECONDS = 2.0  # how often due deliveries are looked for without being woken
MAX_RETRY_AFTER = 24 * 3600.0
# Signing threads: the RSA operation (most of a delivery's CPU) releases the GIL, so signing there
# overlaps the event loop's own work (connecting, sending, reading answers) on another core; with
# one core there is nothing to overlap and deliveries are signed in the loop.
CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
SIGNING_THREADS = min(4, CORES - 1)
_signing: ThreadPoolExecutor | None = None


def _signing_threads() -> ThreadPoolExecutor:
    global _signing  # noqa: PLW0603 - made at the first delivery, in the process that delivers (after any fork)
    if _signing is None:
        _signing = ThreadPoolExecutor(SIGNING_THREADS, thread_name_prefix="kith-sign")
    return _signing


def _signed_in_thread(sign: Callable[[str, str, Mapping[str, str], bytes | None], dict[str, str]]) -> egress.Signer:
    """`sign`, run in a signing thread for each hop (in the loop when there are none)."""
    if not SIGNING_THREADS:
        return sign

    async def hop(method: str, url: str, headers: Mapping[str, str], body: bytes | None) -> dict[str, str]:
        return await asyncio.get_running_loop().run_in_executor(_signing_threads(), sign, method, url, headers, body)

    return hop


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
                sign=_signed_in_thread(key.signer(attempt_scheme)),
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


@dataclass
class _Host:
    """A peer as the runner sees it while it holds deliveries for it."""

    jobs: int = 0  # claimed and not finished (waiting for a turn or in flight); forgotten at 0
    started: dict[int, float] = field(default_factory=dict)  # in flight: delivery id -> monotonic start
    suspect: bool = False  # its breaker is open or its last try failed: one delivery at a time
    failures: int = 0  # failures of the host itself (timeouts, refusals, 5xx) while it was held
    retry_at: datetime = datetime.min.replace(tzinfo=UTC)  # after the latest of those, when to try again
    turn: asyncio.Condition = field(default_factory=asyncio.Condition)

    def hangs(self) -> bool:
        """Whether a delivery to it has been in flight for SLOW_SECONDS already."""
        return bool(self.started) and time.monotonic() - min(self.started.values()) >= SLOW_SECONDS

    def may_start(self) -> bool:
        """Alone; or beside fewer than PER_HOST others, if it is not suspect and none of them hangs."""
        return not self.started or (not self.suspect and len(self.started) < PER_HOST and not self.hangs())


class DeliveryRunner:
    """Sends due deliveries concurrently: CONCURRENCY in flight at most, PER_HOST to a host that
    answers (one to a host that hangs or failed), each independently of the others, so a peer that
    hangs until the timeout holds up only its own deliveries. Successes are recorded in bulk."""

    def __init__(self, fed: Federation) -> None:
        self.fed = fed
        self.slots = asyncio.Semaphore(CONCURRENCY)
        self.hosts: dict[str, _Host] = {}
        self.delivered: list[queue.Job] = []  # sent, not yet recorded
        self.deferred: list[tuple[int, datetime, bool]] = []  # handed back untried (id, until, host failed)
        self.hungry = False  # the last claim was full: claim again as soon as there is room

    async def run_once(self, limit: int = BATCH) -> int:
        """Claim up to `limit` due deliveries and send them, every outcome recorded on return (how
        tests drain the queue); returns how many were claimed."""
        sending = await self._claim(limit)
        await asyncio.gather(*sending)
        await self._flush()
        return len(sending)

    async def run(self, wake: asyncio.Event) -> None:
        """The workers' delivery loop, until cancelled or the database fails: claim again whenever
        REFILL deliveries have finished (up to IN_HAND held at once), on `wake` (new work) and every
        POLL_SECONDS; record the outcomes every FLUSH_SECONDS."""
        sending: set[asyncio.Task[None]] = set()
        failed: list[BaseException] = []

        def finished(task: asyncio.Task[None]) -> None:
            sending.discard(task)
            if not task.cancelled() and task.exception() is not None:
                failed.append(task.exception())
                wake.set()
            elif self.hungry and IN_HAND - len(sending) >= REFILL:
                wake.set()

        try:
            while True:
                wake.clear()
                room = min(IN_HAND - len(sending), BATCH)
                if room >= REFILL:
                    claimed = await self._claim(room)
                    self.hungry = len(claimed) == room
                    for task in claimed:
                        sending.add(task)
                        task.add_done_callback(finished)
                await self._flush()
                if failed:
                    raise failed[0]
                if self.hungry and IN_HAND - len(sending) >= REFILL:
                    continue
                with contextlib.suppress(TimeoutError):
                    busy = self.delivered or self.deferred or sending
                    await asyncio.wait_for(wake.wait(), FLUSH_SECONDS if busy else POLL_SECONDS)
        finally:
            for task in sending:
                task.cancel()
            await asyncio.gather(*sending, return_exceptions=True)
            with contextlib.suppress(*UNAVAILABLE, OSError, asyncpg.PostgresError):
                await self._flush()  # what was sent is not sent again

    async def _claim(self, limit: int) -> list[asyncio.Task[None]]:
        """Lease due deliveries, three quarters of them the most recently due, and start a task for each."""
        pool = self.fed.pool
        jobs = await queue.claim(
            pool, "deliveries",
            "inbox_url, host, created_at, activity_id,"
            " (SELECT h.signature_scheme FROM hosts h WHERE h.host = deliveries.host) AS scheme,"
            " (SELECT h.unreachable_since IS NOT NULL FROM hosts h WHERE h.host = deliveries.host) AS unreachable",
            limit, fresh=limit * 3 // 4,
        )
        if not jobs:
            return []
        activities = await deliveries_store.activities_to_send(pool, list({j.row["activity_id"] for j in jobs}))
        tasks = []
        for job in jobs:
            host = self.hosts.setdefault(job.row["host"], _Host())
            host.jobs += 1
            tasks.append(asyncio.create_task(self._deliver(job, activities.get(job.row["activity_id"]), host)))
        return tasks

    async def _deliver(self, job: queue.Job, activity: deliveries_store.ActivityToSend | None, host: _Host) -> None:
        """Send one delivery when its host's turn comes, and keep the outcome. If the host hangs, the
        delivery is handed back untried for BUSY_SECONDS (it would only take room here); if the
        host fails meanwhile, until the host's retry time, the attempt counted as failed with the
        host's (so that its backoff grows with the outage)."""
        try:
            if activity is None:
                outcome = Outcome(False, None, "the activity or its sender is gone", permanent=True)
            elif await self.fed.policies.suspended(job.row["host"]):
                outcome = Outcome(False, None, "the host was suspended", permanent=True)
            else:
                failures = host.failures
                host.suspect = host.suspect or bool(job.row["unreachable"])
                async with host.turn:
                    while not (host.failures != failures or host.hangs() or host.may_start()):
                        with contextlib.suppress(TimeoutError):  # woken when one finishes, or to see it hang
                            await asyncio.wait_for(host.turn.wait(), SLOW_SECONDS)
                    if host.failures != failures:
                        self.deferred.append((job.id, host.retry_at, True))
                        return
                    if host.hangs():
                        self.deferred.append((job.id, datetime.now(UTC) + timedelta(seconds=BUSY_SECONDS), False))
                        return
                    host.started[job.id] = time.monotonic()
                outcome = await self._send(job, activity, host)
            if outcome.ok:
                self.delivered.append(job)
                metrics.DELIVERIES.labels("delivered").inc()  # counted when it happened, recorded soon after
            else:
                await self._failed(job, outcome)
        finally:
            host.jobs -= 1
            if not host.jobs:
                self.hosts.pop(job.row["host"], None)

    async def _send(self, job: queue.Job, activity: deliveries_store.ActivityToSend, host: _Host) -> Outcome:
        """POST it once a slot is free; a failure of the host itself ends the host's turn for the others."""
        key = httpsig.SigningKey(self.fed.urls.key_id(activity.username), activity.private_pem)
        try:
            async with self.slots:
                host.started[job.id] = time.monotonic()
                outcome = await post_activity(self.fed, job.row["inbox_url"], activity.body, key, job.row["scheme"])
            if not outcome.ok:  # the wait before the next try, decided once for the delivery and its host
                outcome = dataclasses.replace(outcome, retry_after=_delay(job, outcome))
            host.suspect = not outcome.ok
            if _host_down(outcome):
                host.failures += 1
                host.retry_at = datetime.now(UTC) + timedelta(seconds=_delay(job, outcome))
            return outcome
        finally:
            del host.started[job.id]
            async with host.turn:
                host.turn.notify_all()

    async def _flush(self) -> None:
        """Record the successes and deferrals gathered since the last time, a statement or three."""
        delivered, self.delivered = self.delivered, []
        deferred, self.deferred = self.deferred, []
        pool = self.fed.pool
        if delivered:
            await deliveries_store.mark_done(pool, [job.id for job in delivered],
                                             sorted({job.row["host"] for job in delivered}))
        if deferred:
            await deliveries_store.defer(pool, *map(list, zip(*deferred, strict=True)))

    async def _failed(self, job: queue.Job, outcome: Outcome) -> None:
        pool, host = self.fed.pool, job.row["host"]
        await deliveries_store.record_failure(pool, host, outcome.error)
        if outcome.permanent:
            log.info("delivery to %s failed for good: %s", job.row["inbox_url"], outcome.error)
            await queue.dead(pool, "deliveries", job.id, outcome.error)
            metrics.DELIVERIES.labels("dead").inc()
            return
        delay = _delay(job, outcome)
        again = await queue.retry(pool, "deliveries", job.id, outcome.error, delay, created_column="created_at")
        metrics.DELIVERIES.labels("retry" if again else "dead").inc()
        if _host_down(outcome):
            await deliveries_store.host_failed(pool, host, datetime.now(UTC) + timedelta(seconds=delay))


def _host_down(outcome: Outcome) -> bool:
    """Whether the failure is the host's (it hangs, refuses, or errs), which opens its breaker."""
    return not outcome.ok and not outcome.permanent and (outcome.status is None or outcome.status >= 500)


def _delay(job: queue.Job, outcome: Outcome) -> float:
    return outcome.retry_after if outcome.retry_after is not None else queue.backoff(job.attempts)
