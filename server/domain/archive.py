"""A member's whole archive, as Mastodon builds it: a ZIP with actor.json, outbox.json (every post
of theirs as a Create), likes.json, bookmarks.json and their uploaded media files. Built by the
workers from a queue (or at once by `kith user export`) and kept 7 days under DATA_DIR/archives/."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg

from federation import outbound, queue, render
from server.config import Config
from server.domain.exports import post_uris
from server.media.storage import MediaStorage, storage_for
from server.models import Account
from server.store import accounts as accounts_store
from server.store import archives as archives_store
from server.store import interactions, marks
from server.store import statuses as statuses_store
from server.urls import Urls

log = logging.getLogger(__name__)
KEPT = timedelta(days=7)


def folder(cfg: Config) -> Path:
    return cfg.data_dir / "archives"


def _collection(name: str, items: list[Any]) -> dict[str, Any]:
    return {"@context": render.CONTEXT, "id": name, "type": "OrderedCollection", "totalItems": len(items),
            "orderedItems": items}


async def build(pool: asyncpg.Pool, urls: Urls, storage: MediaStorage, account: Account) -> bytes:
    """The archive's bytes. Media is referenced from the posts as /media_attachments/<key>."""
    keys = await accounts_store.get_keys(pool, account.id)
    actor = render.actor_to_as(account, keys.public_pem, urls)
    files: dict[str, str] = {}  # archive path -> storage key
    items = []
    for status in await statuses_store.all_own_by_account(pool, account.id):
        parts = await outbound.note_parts(pool, urls, status.id)
        note = render.status_to_as(status, parts, urls)
        for media, document in zip(parts.attachments, note.get("attachment", []), strict=True):
            path = f"media_attachments/{media['file_path']}"
            files[path] = media["file_path"]
            document["url"] = f"/{path}"
        items.append(render.create_of(note, status.created_at))
    likes = post_uris(await interactions.favourited_uris(pool, account.id), urls)
    saved = post_uris(await marks.bookmarked(pool, account.id), urls)
    contents = {"actor.json": actor, "outbox.json": _collection("outbox.json", items),
                "likes.json": _collection("likes.json", likes), "bookmarks.json": _collection("bookmarks.json", saved)}
    media = {path: await storage.read(key) for path, key in files.items()}
    return await asyncio.to_thread(_zip, contents, media)


def _zip(documents: dict[str, Any], media: dict[str, bytes]) -> bytes:
    import zipfile  # loaded for the first archive, not at start

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, doc in documents.items():
            archive.writestr(name, json.dumps(doc, ensure_ascii=False, indent=1))
        for name, data in media.items():
            archive.writestr(name, data, compress_type=zipfile.ZIP_STORED)  # already compressed images
    return out.getvalue()


async def request(pool: asyncpg.Pool, account_id: int) -> bool:
    """Ask for a new archive; False when one is already being built."""
    async with pool.acquire() as conn, conn.transaction():
        queued = await archives_store.request(conn, account_id)
        if queued is not None:
            await queue.notify(conn, "archives")
    return queued is not None


class ArchiveRunner:
    """Builds requested archives, and forgets those kept for longer than KEPT."""

    def __init__(self, pool: asyncpg.Pool, cfg: Config, urls: Urls) -> None:
        self.pool, self.cfg, self.urls = pool, cfg, urls

    async def run_once(self, limit: int = 2) -> int:
        for name in await archives_store.expired_files(self.pool, KEPT):
            (folder(self.cfg) / name).unlink(missing_ok=True)
        jobs = await queue.claim(self.pool, "archives", "account_id, created_at", limit)
        for job in jobs:
            try:
                account = await accounts_store.get_by_id(self.pool, job.row["account_id"])
                data = await build(self.pool, self.urls, storage_for(self.cfg), account)
                name = f"{secrets.token_hex(16)}.zip"
                await asyncio.to_thread(_write, folder(self.cfg) / name, data)
            except Exception as exc:  # the storage or the database: try again later
                log.exception("archive %s failed", job.id)
                await queue.retry(self.pool, "archives", job.id, f"{type(exc).__name__}: {exc}",
                                  queue.backoff(job.attempts), created_column="created_at")
            else:
                await archives_store.finished(self.pool, job.id, name, len(data))
                await queue.done(self.pool, "archives", job.id)
        return len(jobs)


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
