"""Group commit for received activities: concurrent requests share one INSERT and one commit.

Each inbox request waits for its activity to be durably stored before answering 202. Storing
them one transaction at a time caps acceptance near 2,000/s on a small machine; here, while one
batch is being written, the next requests gather, and the next batch takes them all at once.

A delivery is a duplicate only when its id *and* its body are ones we stored before: servers reuse
ids for new content (Takahē sends every edit as `<post>#update`), so the key is (id, SHA-256 of the body).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging

import asyncpg

from federation.queue import NOTIFY_CHANNEL

log = logging.getLogger(__name__)
MAX_BATCH = 500

_INSERT = (
    "WITH ins AS (INSERT INTO inbox_items (activity_id, actor_uri, payload, digest)"
    " SELECT a, b, c::jsonb, d FROM unnest($1::text[], $2::text[], $3::text[], $4::bytea[]) AS t(a, b, c, d)"
    " ON CONFLICT (activity_id, digest) DO NOTHING RETURNING activity_id, digest)"
    " SELECT coalesce(array_agg(activity_id), '{}') AS ids, coalesce(array_agg(digest), '{}') AS digests,"
    f" CASE WHEN count(*) > 0 THEN pg_notify('{NOTIFY_CHANNEL}', 'inbox_items') END FROM ins"
)
Key = tuple[str, bytes]  # (activity id, SHA-256 of the body)


class InboxWriter:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.pending: list[tuple[str, str, str, bytes, asyncio.Future[bool]]] = []
        self.flushing: asyncio.Task | None = None

    async def store(self, activity_id: str, actor_uri: str, payload_json: str) -> bool:
        """Keep the activity (its JSON text as received); False if that id with that body was stored before."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        digest = hashlib.sha256(payload_json.encode()).digest()
        self.pending.append((activity_id, actor_uri, payload_json, digest, future))
        if self.flushing is None or self.flushing.done():
            self.flushing = asyncio.create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        while self.pending:
            batch, self.pending = self.pending[:MAX_BATCH], self.pending[MAX_BATCH:]
            try:
                stored = set(await self._insert(batch))
            except Exception as exc:  # one bad row must not fail the others: retry them one by one
                log.warning("batched inbox insert failed (%s); storing one by one", exc)
                for item in batch:
                    try:
                        stored_one = await self._insert([item])
                    except Exception as one_exc:
                        if not item[4].done():
                            item[4].set_exception(one_exc)
                        continue
                    if not item[4].done():
                        item[4].set_result(bool(stored_one))
                continue
            for activity_id, _, _, digest, future in batch:
                if not future.done():
                    future.set_result((activity_id, digest) in stored)
                    stored.discard((activity_id, digest))  # a repeated delivery within one batch is stored once

    async def _insert(self, batch: list[tuple[str, str, str, bytes, asyncio.Future[bool]]]) -> list[Key]:
        row = await self.pool.fetchrow(
            _INSERT, [b[0] for b in batch], [b[1] for b in batch], [b[2] for b in batch], [b[3] for b in batch]
        )
        return list(zip(row["ids"], row["digests"], strict=True))
