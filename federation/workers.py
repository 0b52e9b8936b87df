"""The worker loops: apply received activities, announce poll results, send deliveries, mail and
Web Push, publish scheduled posts, fetch link cards, apply members' imports and build their
archives, woken by LISTEN/NOTIFY (and every POLL_SECONDS, which is also when ended polls are noticed).

They run inside `kith run` by default and in `kith worker` processes for more capacity; any
number of them can share one database (the queue's leases keep them from doubling up).
Tests call `run_once` on each runner to drain the queues deterministically.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

import asyncpg

from federation import ingest, parse, peer_software, queue
from federation.cards import CardRunner
from federation.delivery import DeliveryRunner
from federation.inbox import handlers
from federation.runtime import Federation
from federation.web_push import PushRunner
from server.db.pool import UNAVAILABLE
from server.domain import polls
from server.domain.archive import ArchiveRunner
from server.domain.imports import ImportRunner
from server.domain.scheduling import ScheduledRunner
from server.mail.outbox import MailRunner
from server.media import cleanup
from server.media.storage import storage_for
from server.store import accounts as accounts_store

log = logging.getLogger(__name__)
POLL_SECONDS = 2.0
CLEANUP_SECONDS = 3600.0
NODEINFO_SECONDS = 60.0
INBOX_BATCH = 50


class InboxRunner:
    """Claims received activities in order and applies each through its handler."""

    def __init__(self, fed: Federation) -> None:
        self.fed = fed

    async def run_once(self, limit: int = INBOX_BATCH) -> int:
        jobs = await queue.claim(self.fed.pool, "inbox_items", "actor_uri, payload, received_at", limit)
        for job in sorted(jobs, key=lambda j: j.id):
            await self._apply(job)
        return len(jobs)

    async def _apply(self, job: queue.Job) -> None:
        pool = self.fed.pool
        try:
            actor = await accounts_store.get_by_uri(pool, job.row["actor_uri"])
            if actor is None:
                raise ingest.Reject("the sender is unknown")  # receive() fetched it; it was removed since
            if actor.suspended_at is not None and not parse.deletes_itself(job.row["payload"]):
                raise ingest.Reject("the sender is suspended or deleted here")  # accepted before that
            await handlers.dispatch(handlers.Incoming(self.fed, actor, job.row["payload"]))
        except (ingest.Reject, parse.Malformed) as exc:  # refused by a rule or a bound: never retried
            log.info("inbox item %s rejected: %s", job.id, exc)
            await queue.dead(pool, "inbox_items", job.id, f"rejected: {exc}")
        except Exception as exc:  # a transient failure or a bug: keep it and try again later
            if not isinstance(exc, ingest.Retry):
                log.exception("inbox item %s failed", job.id)
            await queue.retry(pool, "inbox_items", job.id, f"{type(exc).__name__}: {exc}",
                              queue.backoff(job.attempts), created_column="received_at")
        else:
            await queue.done(pool, "inbox_items", job.id)


class Workers:
    """Every queue's runner, kept across passes (the delivery runner's per-host slots live in it)."""

    def __init__(self, fed: Federation) -> None:
        self.fed = fed
        self.inbox, self.deliveries = InboxRunner(fed), DeliveryRunner(fed)
        self.mail, self.imports = MailRunner(fed.pool, fed.config), ImportRunner(fed)
        self.archives = ArchiveRunner(fed.pool, fed.config, fed.urls)
        self.pushes, self.scheduled, self.cards = PushRunner(fed), ScheduledRunner(fed), CardRunner(fed)

    async def pass_once(self) -> int:
        """One pass over every queue, deliveries included, each item's outcome recorded on return
        (how tests drain the queues); how many items were worked on."""
        return await self.others_once() + await self.deliveries.run_once()

    async def others_once(self) -> int:
        """One pass over every queue but the deliveries, which `DeliveryRunner.run` keeps flowing."""
        fed = self.fed
        return await self.inbox.run_once() + await polls.announce_results(fed.pool, fed.urls) \
            + await self.mail.run_once() + await self.imports.run_once() \
            + await self.archives.run_once() + await self.pushes.run_once() \
            + await self.scheduled.run_once() + await self.cards.run_once()


async def run_forever(fed: Federation, dsn: str) -> None:
    """Work the queues until cancelled. Whatever stops a pass (the database restarting, a bug) is
    logged; what this process held is handed back, and work starts again POLL_SECONDS later."""
    workers, housekeeping = Workers(fed), Housekeeping(fed)
    heart = asyncio.create_task(_beat(fed.pool))
    try:
        while True:
            try:
                await queue.release(fed.pool)  # outcomes a failed pass could not record are redone
                await _drain(workers, housekeeping, dsn)
            except (*UNAVAILABLE, OSError, asyncpg.PostgresError) as exc:
                log.warning("worker pass failed, retrying: %s", exc)
            except Exception:
                log.exception("worker pass failed, retrying")
            await asyncio.sleep(POLL_SECONDS)
    finally:
        heart.cancel()
        with contextlib.suppress(*UNAVAILABLE, OSError, asyncpg.PostgresError):
            await queue.stopped(fed.pool)


class Housekeeping:
    """Every CLEANUP_SECONDS, the media nobody needs any more leaves the disk; every
    NODEINFO_SECONDS, a few peers are asked what software they run."""

    def __init__(self, fed: Federation) -> None:
        self.fed, self.storage = fed, storage_for(fed.config)
        self.cleaned_at = self.asked_at = 0.0

    async def run_when_due(self) -> None:
        if time.monotonic() - self.cleaned_at > CLEANUP_SECONDS:
            self.cleaned_at = time.monotonic()
            await cleanup.clean(self.fed.pool, self.storage, self.fed.config.remote_media_days)
        if time.monotonic() - self.asked_at > NODEINFO_SECONDS:
            self.asked_at = time.monotonic()
            await peer_software.refresh_some(self.fed)


async def _drain(workers: Workers, housekeeping: Housekeeping, dsn: str) -> None:
    """Deliveries flow on their own (a peer that hangs must not hold up the other queues either);
    the other queues pass after pass, sleeping between them until notified of new work (or
    POLL_SECONDS pass). Whatever stops either stops both."""
    wake, new_deliveries = asyncio.Event(), asyncio.Event()
    listener = await asyncpg.connect(dsn)
    delivering = asyncio.create_task(workers.deliveries.run(new_deliveries))
    delivering.add_done_callback(lambda _: wake.set())
    try:
        await listener.add_listener(
            queue.NOTIFY_CHANNEL,
            lambda _conn, _pid, _channel, name: (new_deliveries if name == "deliveries" else wake).set())
        while not delivering.done():
            wake.clear()
            busy = await workers.others_once()
            await housekeeping.run_when_due()
            if not busy:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), POLL_SECONDS)
        delivering.result()  # raises what stopped it
    finally:
        delivering.cancel()
        await asyncio.wait([delivering])
        with contextlib.suppress(Exception):
            await listener.close()


async def _beat(pool: asyncpg.Pool) -> None:
    """Say this process is alive, every HEARTBEAT_SECONDS, whatever the passes are doing."""
    while True:
        try:
            await queue.beat(pool)
        except (*UNAVAILABLE, asyncpg.PostgresError) as exc:
            log.warning("worker heartbeat failed: %s", exc)
        await asyncio.sleep(queue.HEARTBEAT_SECONDS)
