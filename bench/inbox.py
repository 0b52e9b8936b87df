"""bench/inbox: signed Create activities accepted per second by `kith run` on loopback, against
the ceiling of this machine: a bare aiohttp handler that reads the body and answers 202.

    .venv/bin/python bench/inbox.py [--activities 10000] [--concurrency 128] [--processes N]

A scripted remote actor (RSA-2048, like Mastodon) serves its key; its activities are signed
ahead of time (in a process pool) so that the measurement covers only the server: for Kith,
reading, checking the signature and digest, the origin rules, and storing each activity durably
before the 202. The same client sends the same signed bodies to the bare handler first, then to
Kith; the ratio of the two rates is what carries from machine to machine. The workers are off
(KITH_WORKERS=false) so the figure is acceptance alone.

The client writes pre-encoded requests on raw keep-alive connections: it shares the machine with
the servers it measures, and aiohttp's client cost more CPU per request than the bare handler.
The script also prints the CPU each side spends per activity, and the rate those costs allow on
this machine's cores at most, which tells a slow machine from a slow server. Last, the same
requests go to a reference that does only what every inbox must (check the signature and digest,
parse the JSON) in as many processes as Kith: what is left between it and Kith is Kith's own.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import sys
import time
from collections import Counter, deque
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import Kith, cpu_seconds, free_port, kith_pids, rss_mib  # noqa: E402
from federation import httpsig  # noqa: E402
from federation.keys import generate_rsa_keypair  # noqa: E402

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
Signed = list[tuple[bytes, dict[str, str]]]


def sign_batch(args: tuple[str, str, str, str, int, int]) -> Signed:
    inbox, actor, key_id, pem, start, count = args
    out = []
    for n in range(start, start + count):
        note = {"id": f"{actor}/statuses/{n}", "type": "Note", "attributedTo": actor, "to": [PUBLIC],
                "content": f"<p>bench post {n}</p>", "published": "2026-11-20T10:00:00Z"}
        activity = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{note['id']}/activity",
                    "type": "Create", "actor": actor, "object": note, "to": [PUBLIC]}
        body = json.dumps(activity).encode()
        out.append((body, httpsig.sign_cavage("POST", inbox, {"Content-Type": "application/activity+json"},
                                              body, key_id, pem)))
    return out


def serve_reference(port: int, ready, verify_with: tuple[str, str] | None) -> None:
    """A reference server process. Bare (the ceiling): read the body, answer 202. With `verify_with`
    (the signer's public key and the base URL the requests were signed for): also check the
    signature and digest and parse the JSON, the least any inbox must do; nothing is stored,
    logged or counted. Several processes may share the port."""

    async def bare(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(status=202)

    async def verify_only(request: web.Request) -> web.Response:
        public_pem, base = verify_with
        body = await request.read()
        signed = httpsig.SignedRequest(request.method, base + request.raw_path, request.headers, body)
        httpsig.key_id_of(signed)
        httpsig.verify(signed, public_pem)
        json.loads(body)
        return web.Response(status=202)

    async def main() -> None:
        app = web.Application()
        app.router.add_post("/inbox", bare if verify_with is None else verify_only)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port, backlog=1024, reuse_port=True).start()
        ready.set()
        await asyncio.Event().wait()

    asyncio.run(main())


async def reference(requests: list[bytes], concurrency: int, processes: int,
                    verify_with: tuple[str, str] | None = None) -> tuple[Counter[int], float, float, float]:
    """Drive a reference server of `processes` processes: statuses, seconds, its CPU and this client's."""
    port, servers = free_port(), []
    for _ in range(processes):
        ready = multiprocessing.Event()
        server = multiprocessing.Process(target=serve_reference, args=(port, ready, verify_with), daemon=True)
        server.start()
        ready.wait(30)
        servers.append(server)
    try:
        pids = [server.pid for server in servers]
        before, client_before = cpu_seconds(pids), time.process_time()
        statuses, elapsed = await drive(port, requests, concurrency)
        return statuses, elapsed, cpu_seconds(pids) - before, time.process_time() - client_before
    finally:
        for server in servers:
            server.terminate()
            server.join(10)


class _Connection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection sending pre-encoded requests one after another.

    About 30 µs of CPU per request, where aiohttp's client took 130-200: on two cores the load generator
    competes with the server it measures, so the cheaper it is the more the ratio is the server's.
    Responses must carry Content-Length, as aiohttp's always do.
    """

    def __init__(self, requests: deque[bytes], statuses: Counter[int], done: asyncio.Future[None]) -> None:
        self.requests, self.statuses, self.done = requests, statuses, done
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self._send_next()

    def _send_next(self) -> None:
        if self.requests:
            self.transport.write(self.requests.popleft())
        else:
            self.transport.close()
            if not self.done.done():
                self.done.set_result(None)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            head = self.buffer[:end].lower()
            at = head.find(b"\r\ncontent-length:")
            if at < 0:
                if not self.done.done():
                    self.done.set_exception(RuntimeError(f"a response without Content-Length: {head[:200]!r}"))
                self.transport.close()
                return
            length = int(head[at + 17:].split(b"\r\n", 1)[0])
            if len(self.buffer) < end + 4 + length:
                return
            self.statuses[int(head[9:12])] += 1
            self.buffer = self.buffer[end + 4 + length:]
            self._send_next()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self.done.set_exception(exc or RuntimeError("the server closed a connection before answering"))


def encode(items: Signed) -> list[bytes]:
    """Each signed activity as the bytes of its HTTP request, so that sending it is one write."""
    out = []
    for body, headers in items:
        head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        out.append(f"POST /inbox HTTP/1.1\r\n{head}Content-Length: {len(body)}\r\n\r\n".encode() + body)
    return out


async def drive(port: int, requests: list[bytes], concurrency: int, watch=None) -> tuple[Counter[int], float]:
    """POST every request to 127.0.0.1:`port` over `concurrency` keep-alive connections; statuses and seconds."""
    loop = asyncio.get_running_loop()
    pending, statuses = deque(requests), Counter()
    watcher = asyncio.create_task(watch()) if watch else None
    started = time.perf_counter()
    finished = []
    for _ in range(min(concurrency, len(requests))):
        done = loop.create_future()
        await loop.create_connection(lambda done=done: _Connection(pending, statuses, done), "127.0.0.1", port)
        finished.append(done)
    await asyncio.gather(*finished)
    elapsed = time.perf_counter() - started
    if watcher:
        watcher.cancel()
    return statuses, elapsed


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--activities", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=128)
    parser.add_argument("--processes", type=int, default=0, help="kith run --processes (0: its default)")
    args = parser.parse_args()

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    actor = f"{base}/users/bench"
    private_pem, public_pem = generate_rsa_keypair()
    doc = {"@context": ["https://www.w3.org/ns/activitystreams"], "id": actor, "type": "Person",
           "preferredUsername": "bench", "inbox": f"{actor}/inbox",
           "publicKey": {"id": f"{actor}#main-key", "owner": actor, "publicKeyPem": public_pem}}
    app = web.Application()
    app.router.add_get("/users/bench", lambda r: web.json_response(doc, content_type="application/activity+json"))
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()

    extra = ("--processes", str(args.processes)) if args.processes else ()
    kith = Kith(*extra, env={"KITH_WORKERS": "false"}).start()
    inbox = f"{kith.base}/inbox"
    try:
        chunk = 500
        jobs = [(inbox, actor, f"{actor}#main-key", private_pem, s, min(chunk, args.activities + 1 - s))
                for s in range(0, args.activities + 1, chunk)]
        with ProcessPoolExecutor() as pool:
            signed = [item for batch in pool.map(sign_batch, jobs) for item in batch]
        requests = encode(signed)
        warmup, rest = requests[0], requests[1:]
        idle = rss_mib(kith.proc.pid)
        peak = [idle]

        async def watch() -> None:
            while True:
                peak[0] = max(peak[0], rss_mib(kith.proc.pid))
                await asyncio.sleep(0.2)

        ceiling_statuses, ceiling_elapsed, bare_cpu, bare_client_cpu = await reference(rest, args.concurrency, 1)
        statuses, _ = await drive(kith.port, [warmup], 1)  # fetches the key once
        assert statuses == {202: 1}, statuses
        pids, pg_pids = kith_pids(kith.proc.pid), kith.postgres_pids()
        cpu_before, pg_before, client_before = cpu_seconds(pids), cpu_seconds(pg_pids), time.process_time()
        statuses, elapsed = await drive(kith.port, rest, args.concurrency, watch)
        cpu, pg_cpu = cpu_seconds(pids) - cpu_before, cpu_seconds(pg_pids) - pg_before
        client_cpu = time.process_time() - client_before
    finally:
        kith.stop()
        await runner.cleanup()
    processes = len(pids)
    least_statuses, least_elapsed, least_cpu, _ = await reference(rest, args.concurrency, processes,
                                                                  (public_pem, kith.base))
    ceiling = ceiling_statuses.get(202, 0) / ceiling_elapsed
    rate = statuses.get(202, 0) / elapsed
    least = least_statuses.get(202, 0) / least_elapsed

    def per(seconds: float) -> str:
        return f"{seconds / len(rest) * 1e6:,.0f} µs"

    print(f"activities: {len(rest)}  concurrency: {args.concurrency}  kith processes: {processes}")
    print(f"ceiling (bare aiohttp handler, read body, 202; one process): {ceiling:,.0f}/s  {dict(ceiling_statuses)}")
    print(f"kith accepted per second: {rate:,.0f}/s ({elapsed:.2f} s)  {dict(statuses)}")
    print(f"the least an inbox must do (check signature and digest, parse JSON; store, log and count nothing)"
          f" in {processes} process(es): {least:,.0f}/s, ratio {least / ceiling:.2f}  {dict(least_statuses)}")
    print(f"CPU per activity (steadier than the rates on a busy machine): kith {per(cpu)} over {processes}"
          f" process(es), its PostgreSQL {per(pg_cpu)}, this client {per(client_cpu)}; the bare handler"
          f" {per(bare_cpu)}, this client {per(bare_client_cpu)}; the least an inbox must do {per(least_cpu)}")
    cores = os.cpu_count() or 1
    most = min(processes / cpu, cores / (cpu + pg_cpu + client_cpu)) * len(rest)
    print(f"the most kith's CPU costs allow on {cores} cores with {processes} process(es): {most:,.0f}/s,"
          f" ratio {most / ceiling:.2f}")
    print(f"ratio kith/ceiling: {rate / ceiling:.2f}  (target >= 0.70)")
    print(f"kith RSS: idle {idle:.0f} MiB, peak {peak[0]:.0f} MiB (first process; embedded PostgreSQL not counted)")


if __name__ == "__main__":
    asyncio.run(main())
