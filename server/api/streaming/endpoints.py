"""Mastodon's streaming API: a WebSocket at /api/v1/streaming, server-sent events under it.

WebSocket clients name a first stream with `?stream=` and manage more with JSON messages
(`{"type": "subscribe", "stream": "hashtag", "tag": "kith"}`); frames go out as
`{"stream": [...], "event": "update", "payload": "<JSON string>"}`. Event-stream clients get one
stream per request (`/api/v1/streaming/public/local`) as `event: update\\ndata: {...}\\n\\n`, with
`:thump` comments to keep proxies from closing a quiet connection.

A token is always required (as Mastodon does by default since 4.2); it may come as a bearer
header, an `access_token` query parameter or, for browsers' WebSockets, `Sec-WebSocket-Protocol`.
What each stream carries is decided in this package (streams, hub, fanout).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass

from aiohttp import WSCloseCode, WSMsgType, web

from server.api.auth import token_hash
from server.api.streaming.hub import Client, Hub, TooMany
from server.api.streaming.streams import StreamError
from server.errors import AppError
from server.keys import DSN, POOL, URLS
from server.store import accounts as accounts_store
from server.store import oauth as oauth_store

log = logging.getLogger(__name__)
routes = web.RouteTableDef()
HUB = web.AppKey("streaming_hub", Hub)

HEARTBEAT_SECONDS = 30.0  # WebSocket pings and event-stream `:thump`s
SEND_TIMEOUT = 30.0  # a client whose socket takes longer than this to accept a frame is dropped
MAX_MESSAGE = 4096  # bytes in one client message (subscribe/unsubscribe)
CLOSE_CODES = {"shutdown": WSCloseCode.GOING_AWAY, "too slow": WSCloseCode.TRY_AGAIN_LATER,
               "revoked": WSCloseCode.POLICY_VIOLATION}
# Event-stream paths and the stream each one is (Mastodon's `channelNameFromPath`).
SSE_STREAMS = {
    "user": "user", "user/notification": "user:notification", "public": "public", "public/local": "public:local",
    "public/remote": "public:remote", "public/media": "public:media", "public/local/media": "public:local:media",
    "public/remote/media": "public:remote:media", "hashtag": "hashtag", "hashtag/local": "hashtag:local",
    "list": "list", "direct": "direct",
}


@dataclass(frozen=True)
class Reader:
    """Who holds the token: a member, or an app acting for nobody (public streams only)."""

    token_id: int
    account_id: int | None
    scopes: list[str]

    @property
    def owner(self) -> Hashable:
        """What the connection limit counts by: the member, else the token."""
        return ("account", self.account_id) if self.account_id is not None else ("token", self.token_id)


def _protocol(request: web.Request) -> str | None:
    """The first WebSocket subprotocol offered: browsers pass the token there (they cannot set headers)
    and fail the connection unless the server echoes one, so it is always echoed, as Mastodon does."""
    return request.headers.get("Sec-WebSocket-Protocol", "").split(",")[0].strip() or None


def _token(request: web.Request) -> str | None:
    kind, _, value = request.headers.get("Authorization", "").partition(" ")
    if kind.lower() == "bearer" and value.strip():
        return value.strip()
    return request.query.get("access_token") or _protocol(request)


async def _authenticate(request: web.Request) -> Reader:
    """Who is reading; 401 (before any upgrade) without a valid token."""
    token = _token(request)
    if not token:
        raise AppError(401, "Missing access token")
    pool = request.app[POOL]
    found = await oauth_store.token_by_hash(pool, token_hash(token)) if len(token) <= 200 else None
    if found is None:
        raise AppError(401, "Invalid access token")
    if found.account_id is not None:
        user = await accounts_store.get_user(pool, found.account_id)
        if user is None or user.account.suspended_at is not None:
            raise AppError(401, "Your login is currently disabled")
    return Reader(found.id, found.account_id, list(found.scopes))


def _register(request: web.Request, reader: Reader) -> Client:
    try:
        return request.app[HUB].register(reader.owner, reader.account_id, reader.scopes, reader.token_id)
    except TooMany:
        raise AppError(429, "Too many streaming connections") from None


@routes.get("/api/v1/streaming/health")
async def health(request: web.Request) -> web.Response:
    return web.Response(text="OK")


@routes.get("/api/v1/streaming", allow_head=False)
@routes.get("/api/v1/streaming/", allow_head=False)
async def root(request: web.Request) -> web.StreamResponse:
    """The WebSocket; a plain GET here is the older event-stream form, `?stream=` naming the stream."""
    if request.headers.get("Upgrade", "").lower() == "websocket":
        return await _websocket(request)
    return await _event_stream(request, request.query.get("stream"))


async def _websocket(request: web.Request) -> web.StreamResponse:
    reader = await _authenticate(request)
    hub = request.app[HUB]
    client = _register(request, reader)
    writer: asyncio.Task | None = None
    try:
        # Subscribe before the handshake completes, so a client that connected hears what follows.
        refused = None
        if "stream" in request.query:
            try:
                await hub.subscribe(client, request.query["stream"], request.query.get("tag"),
                                    request.query.get("list"))
            except StreamError as exc:
                refused = exc
        protocol = _protocol(request)
        ws = web.WebSocketResponse(heartbeat=HEARTBEAT_SECONDS, protocols=(protocol,) if protocol else (),
                                   max_msg_size=MAX_MESSAGE)
        await ws.prepare(request)
        writer = asyncio.create_task(_write_frames(ws, client))
        if refused is not None:
            await _send_error(ws, refused)
        async for message in ws:
            if message.type == WSMsgType.TEXT:
                await _on_message(hub, client, ws, message.data)
    except ConnectionError:  # the client went away while we answered it
        pass
    finally:
        hub.unregister(client)  # ends the client: the writer closes the socket and returns
        if writer is not None:
            await writer
    return ws


async def _write_frames(ws: web.WebSocketResponse, client: Client) -> None:
    """Send queued frames until the client ends, then close the socket saying why."""
    try:
        while (frame := await client.next()) is not None:
            text = json.dumps({"stream": frame.stream, "event": frame.event, "payload": frame.payload})
            await asyncio.wait_for(ws.send_str(text), SEND_TIMEOUT)
    except (ConnectionError, TimeoutError) as exc:
        log.info("streaming: dropping a WebSocket client: %r", exc)
        client.end("send failed")
    except Exception:
        log.exception("streaming: WebSocket writer failed")
        client.end("error")
    reason = client.ended or "closed"
    await ws.close(code=CLOSE_CODES.get(reason, WSCloseCode.OK), message=reason.encode())


async def _send_error(ws: web.WebSocketResponse, exc: StreamError) -> None:
    await ws.send_str(json.dumps({"error": exc.message, "status": exc.status}))


async def _on_message(hub: Hub, client: Client, ws: web.WebSocketResponse, text: str) -> None:
    """A subscribe or unsubscribe message; anything else is answered with an error frame."""
    try:
        message = json.loads(text)
    except ValueError:
        message = None
    try:
        if not isinstance(message, dict):
            raise StreamError(400, "Messages must be JSON objects")
        kind, stream = message.get("type"), message.get("stream")
        if kind == "subscribe":
            await hub.subscribe(client, stream, message.get("tag"), message.get("list"))
        elif kind == "unsubscribe":
            hub.unsubscribe(client, stream, message.get("tag"), message.get("list"))
        else:
            raise StreamError(400, "Unknown message type")
    except StreamError as exc:
        await _send_error(ws, exc)


def _sse_handler(name: str) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handler(request: web.Request) -> web.StreamResponse:
        return await _event_stream(request, name)

    handler.__name__ = f"stream_{name.replace(':', '_')}"
    return handler


for _path, _name in SSE_STREAMS.items():
    routes.get(f"/api/v1/streaming/{_path}", allow_head=False)(_sse_handler(_name))


async def _event_stream(request: web.Request, name: str | None) -> web.StreamResponse:
    """One stream as server-sent events (Mastodon's `streamToHttp`)."""
    reader = await _authenticate(request)
    hub = request.app[HUB]
    client = _register(request, reader)
    try:
        try:
            await hub.subscribe(client, name, request.query.get("tag"), request.query.get("list"))
        except StreamError as exc:
            raise AppError(exc.status, exc.message) from None
        response = web.StreamResponse(headers={
            "Content-Type": "text/event-stream", "Cache-Control": "no-store", "X-Accel-Buffering": "no",
        })
        await response.prepare(request)
        try:
            await response.write(b":)\n")
            while True:
                try:
                    frame = await client.next(HEARTBEAT_SECONDS)
                except TimeoutError:
                    await asyncio.wait_for(response.write(b":thump\n"), SEND_TIMEOUT)
                    continue
                if frame is None:
                    break
                data = f"event: {frame.event}\ndata: {frame.payload}\n\n".encode()
                await asyncio.wait_for(response.write(data), SEND_TIMEOUT)
        except (ConnectionError, TimeoutError):  # the reader went away or stopped reading
            pass
        return response
    finally:
        hub.unregister(client)


async def close_streams(app: web.Application) -> None:
    """For `app.on_shutdown`: close every stream first, so shutdown need not wait for them."""
    hub = app.get(HUB)
    if hub is not None:
        hub.end_all("shutdown")


async def streaming_ctx(app: web.Application):
    """One hub per process: its LISTEN connection is open before the app serves requests."""
    hub = Hub(app[POOL], app[URLS], app[DSN])
    await hub.start()
    app[HUB] = hub
    yield
    await hub.stop()
