"""The connected clients of one process and the LISTEN connection that feeds them.

Posts, edits, deletions and notifications are announced with `pg_notify('kith_stream', ...)` inside
the transaction that makes them, so every process hears about every change once it is committed,
whichever process made it. Each process keeps one dedicated connection LISTENing (reopened if it
drops; what was announced while it was down is lost, as clients refetch timelines on reconnect)
and one task that handles the announcements in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import Counter
from collections.abc import Hashable
from dataclasses import dataclass

import asyncpg

from server.api.streaming import fanout
from server.api.streaming.streams import Stream, StreamError, check_access, parse
from server.domain import scopes
from server.store import lists as lists_store
from server.urls import Urls

log = logging.getLogger(__name__)

CHANNEL = "kith_stream"
MAX_STREAMS = 50  # subscriptions per connection
MAX_PER_OWNER = 20  # open connections per member (or per app token without a member), per process
MAX_CLIENTS = 10_000  # open connections per process
QUEUE_SIZE = 200  # frames waiting for one client; a client that falls this far behind is dropped
BACKLOG = 10_000  # announcements waiting to be handled; beyond that they are dropped (and logged)
KEEPALIVE_SECONDS = 30  # how often the LISTEN connection is checked
RECONNECT_SECONDS = 2.0


@dataclass(frozen=True)
class Frame:
    stream: list[str]
    event: str
    payload: str  # already JSON for entities; the bare id for deletes


class TooMany(Exception):
    """No room for another connection (for this owner, or in this process)."""


class Client:
    """One open WebSocket or event stream: who is reading, what they subscribed to, what waits to be sent."""

    def __init__(self, owner: Hashable, account_id: int | None, held_scopes: list[str], token_id: int) -> None:
        self.owner = owner
        self.account_id = account_id
        self.token_id = token_id
        self.scopes = held_scopes
        self.streams: dict[Stream, None] = {}  # an ordered set
        self.ended: str | None = None  # why the connection is being closed
        self._queue: asyncio.Queue[Frame | None] = asyncio.Queue(QUEUE_SIZE)

    @property
    def notifications_in_user(self) -> bool:
        """Mastodon's `user` stream carries notifications only when the token may read them."""
        return scopes.grants(self.scopes, "read:notifications")

    def send(self, stream: Stream, event: str, payload: str) -> None:
        """Queue a frame without waiting; a client too slow to keep up is ended instead of buffered."""
        if self.ended:
            return
        try:
            self._queue.put_nowait(Frame(stream.label, event, payload))
        except asyncio.QueueFull:
            log.info("dropping a streaming client that fell %d frames behind", QUEUE_SIZE)
            self.end("too slow")

    def end(self, reason: str) -> None:
        """Ask the connection's writer to close it (pending frames are discarded)."""
        if self.ended:
            return
        self.ended = reason
        while not self._queue.empty():
            self._queue.get_nowait()
        self._queue.put_nowait(None)

    async def next(self, timeout: float | None = None) -> Frame | None:
        """The next frame, or None once ended; TimeoutError after `timeout` seconds of quiet."""
        return await asyncio.wait_for(self._queue.get(), timeout)


class Hub:
    def __init__(self, pool: asyncpg.Pool, urls: Urls, dsn: str) -> None:
        self.pool = pool
        self.urls = urls
        self.dsn = dsn
        self.clients: set[Client] = set()
        self._owners: Counter[Hashable] = Counter()
        self._events: asyncio.Queue[str] = asyncio.Queue(BACKLOG)
        self._tasks: list[asyncio.Task] = []
        self._listening = asyncio.Condition()
        self.generation = 0  # how many LISTEN connections have been opened; tests wait on it
        self.listener_pid: int | None = None

    # -- clients ---------------------------------------------------------------------------------

    def register(self, owner: Hashable, account_id: int | None, held_scopes: list[str], token_id: int) -> Client:
        if len(self.clients) >= MAX_CLIENTS or self._owners[owner] >= MAX_PER_OWNER:
            raise TooMany()
        client = Client(owner, account_id, held_scopes, token_id)
        self.clients.add(client)
        self._owners[owner] += 1
        return client

    def unregister(self, client: Client) -> None:
        if client in self.clients:
            self.clients.discard(client)
            self._owners[client.owner] -= 1
            if self._owners[client.owner] <= 0:
                del self._owners[client.owner]
        client.end("closed")

    async def subscribe(self, client: Client, name: object, tag: object = None, list_id: object = None) -> Stream:
        """Add a subscription after checking it; StreamError (sent back to the client) if refused."""
        stream = parse(name, tag, list_id)
        check_access(stream, client.account_id, client.scopes)
        if stream in client.streams:
            return stream  # subscribing twice is a no-op, as on Mastodon
        if len(client.streams) >= MAX_STREAMS:
            raise StreamError(400, f"At most {MAX_STREAMS} subscriptions per connection")
        if stream.name == "list":
            assert stream.key is not None and client.account_id is not None
            if await lists_store.get(self.pool, client.account_id, int(stream.key)) is None:
                raise StreamError(401, "Not authorized to stream this list")
        client.streams[stream] = None
        return stream

    def unsubscribe(self, client: Client, name: object, tag: object = None, list_id: object = None) -> None:
        client.streams.pop(parse(name, tag, list_id), None)

    def end_tokens(self, token_ids: set[int]) -> None:
        """Close the streams opened with these tokens: they were revoked (by the member, the app, or
        a suspension), and a stream must not outlive the right to read it."""
        for client in list(self.clients):
            if client.token_id in token_ids:
                client.end("revoked")

    def end_all(self, reason: str = "shutdown") -> None:
        for client in list(self.clients):
            client.end(reason)

    # -- the LISTEN side -------------------------------------------------------------------------

    async def start(self, ready_timeout: float = 10) -> None:
        """Start listening and handling; returns once LISTEN is in place (so nothing committed after
        startup is missed), or after `ready_timeout` if the database does not answer."""
        self._tasks = [asyncio.create_task(self._listen()), asyncio.create_task(self._dispatch())]
        try:
            await asyncio.wait_for(self.wait_listening(0), ready_timeout)
        except TimeoutError:
            log.warning("streaming: could not LISTEN yet; will keep trying")

    async def stop(self) -> None:
        self.end_all()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    async def wait_listening(self, after: int) -> None:
        """Wait until a LISTEN connection newer than generation `after` is up."""
        async with self._listening:
            await self._listening.wait_for(lambda: self.generation > after and self.listener_pid is not None)

    def _on_notify(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        try:
            self._events.put_nowait(payload)
        except asyncio.QueueFull:
            log.warning("streaming: backlog full, dropping %s", payload)

    async def _listen(self) -> None:
        """Hold one LISTEN connection open, reopening it whenever it drops."""
        while True:
            conn: asyncpg.Connection | None = None
            try:
                conn = await asyncpg.connect(self.dsn)
                lost = asyncio.Event()
                conn.add_termination_listener(lambda _c, lost=lost: lost.set())
                await conn.add_listener(CHANNEL, self._on_notify)
                async with self._listening:
                    self.generation += 1
                    self.listener_pid = conn.get_server_pid()
                    self._listening.notify_all()
                while not lost.is_set():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(lost.wait(), KEEPALIVE_SECONDS)
                    if not lost.is_set():
                        await asyncio.wait_for(conn.fetchval("SELECT 1"), KEEPALIVE_SECONDS)  # notices a dead link
                log.warning("streaming: the LISTEN connection was lost; reconnecting")
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
                log.warning("streaming: LISTEN failed (%s); reconnecting", exc)
            finally:
                self.listener_pid = None
                if conn is not None:
                    with contextlib.suppress(Exception):
                        conn.terminate()
            await asyncio.sleep(RECONNECT_SECONDS)

    async def _dispatch(self) -> None:
        """Handle announcements one at a time, in commit order (so an update never follows its delete)."""
        while True:
            payload = await self._events.get()
            try:
                await self.handle(payload)
            except Exception:  # a bad announcement or a database hiccup must not stop streaming
                log.exception("streaming: could not handle %s", payload)

    async def handle(self, payload: str) -> None:
        if not self.clients:
            return
        note = json.loads(payload)
        event = note.get("event")
        if event == "tokens_revoked" and isinstance(note.get("token_ids"), list):
            self.end_tokens(set(note["token_ids"]))
            return
        if event in ("update", "status.update", "delete") and isinstance(note.get("status_id"), int):
            await fanout.status_event(self.pool, self.urls, list(self.clients), event, note["status_id"])
        elif (event == "notification" and isinstance(note.get("notification_id"), int)
              and isinstance(note.get("account_id"), int)):
            await fanout.notification_event(self.pool, self.urls, list(self.clients), note["account_id"],
                                            note["notification_id"])
        elif str(event).startswith("announcement") and isinstance(note.get("announcement_id"), int):
            await fanout.announcement_event(self.pool, self.urls, list(self.clients), event, note["announcement_id"],
                                            note.get("name"))
        else:
            log.warning("streaming: unknown announcement %s", payload)
