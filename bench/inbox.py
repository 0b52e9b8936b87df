"""bench/inbox: signed Create activities accepted per second by one `kith run` on loopback.

    .venv/bin/python bench/inbox.py [--activities 10000] [--concurrency 64]

A scripted remote actor (RSA-2048, like Mastodon) serves its key; its activities are signed
ahead of time (in a process pool) so that the measurement covers only Kith: reading, checking
the signature and digest, the origin rules, and storing each activity durably before the 202.
The workers are off (KITH_WORKERS=false) so the figure is acceptance alone.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import Kith, free_port, rss_mib  # noqa: E402
from federation import httpsig  # noqa: E402
from federation.keys import generate_rsa_keypair  # noqa: E402

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def sign_batch(args: tuple[str, str, str, str, int, int]) -> list[tuple[bytes, dict[str, str]]]:
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


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--activities", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=64)
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

    kith = Kith(env={"KITH_WORKERS": "false"}).start()
    inbox = f"{kith.base}/inbox"
    try:
        chunk = 500
        jobs = [(inbox, actor, f"{actor}#main-key", private_pem, s, min(chunk, args.activities + 1 - s))
                for s in range(0, args.activities + 1, chunk)]
        with ProcessPoolExecutor() as pool:
            signed = [item for batch in pool.map(sign_batch, jobs) for item in batch]
        warmup, rest = signed[0], signed[1:]
        idle = rss_mib(kith.proc.pid)
        connector = aiohttp.TCPConnector(limit=args.concurrency)
        async with aiohttp.ClientSession(connector=connector) as session:
            async with session.post(inbox, data=warmup[0], headers=warmup[1]) as resp:  # fetches the key once
                assert resp.status == 202, await resp.text()
            queue: asyncio.Queue = asyncio.Queue()
            for item in rest:
                queue.put_nowait(item)
            statuses: dict[int, int] = {}
            peak = [idle]

            async def client() -> None:
                while not queue.empty():
                    body, headers = queue.get_nowait()
                    async with session.post(inbox, data=body, headers=headers) as resp:
                        await resp.read()
                        statuses[resp.status] = statuses.get(resp.status, 0) + 1

            async def watch() -> None:
                while True:
                    peak[0] = max(peak[0], rss_mib(kith.proc.pid))
                    await asyncio.sleep(0.2)

            watcher = asyncio.create_task(watch())
            started = time.perf_counter()
            await asyncio.gather(*(client() for _ in range(args.concurrency)))
            elapsed = time.perf_counter() - started
            watcher.cancel()
        print(f"activities: {len(rest)}  concurrency: {args.concurrency}  statuses: {statuses}")
        print(f"accepted per second: {statuses.get(202, 0) / elapsed:,.0f}  ({elapsed:.2f} s)")
        print(f"kith RSS: idle {idle:.0f} MiB, peak {peak[0]:.0f} MiB (embedded PostgreSQL not counted)")
    finally:
        kith.stop()
        await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
