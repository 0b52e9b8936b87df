"""Bringing one's history: a Mastodon archive (the ZIP Mastodon or Kith exports) imported as the
member's own posts. The whole archive is checked first (a ZIP, with outbox.json, no unsafe names,
sizes bounded), then each public or unlisted post is queued as an import row; the workers store it
with its original date, content warning and media (re-encoded as uploads are), without putting it
in anyone's feed or delivering it anywhere. Posts already imported are not imported twice."""

from __future__ import annotations

import asyncio
import json
import secrets
from pathlib import Path
from typing import Any

import asyncpg

from federation import parse, queue
from server.config import Config
from server.errors import AppError, Invalid
from server.media import uploads
from server.media.storage import MediaStorage
from server.models import Account, Visibility
from server.store import imports as imports_store
from server.store import statuses as statuses_store
from server.text.sanitize import strip_html
from server.urls import Urls

MAX_ARCHIVE_BYTES = 512 * 1024 * 1024  # the uploaded ZIP
MAX_MEMBER_BYTES = uploads.AV_LIMIT  # any one file inside it (outbox.json included)
MAX_TOTAL_BYTES = 2 * 1024 * 1024 * 1024  # everything inside it, uncompressed
MAX_MEDIA = 4
MAX_POSTS = 20_000  # as many as the rows of a CSV import


def folder(cfg: Config) -> Path:
    return cfg.data_dir / "imports"


def _unsafe(name: str) -> bool:
    parts = name.split("/")
    return name.startswith("/") or "\\" in name or ".." in parts or "\x00" in name or ":" in parts[0]


def check(path: Path, actor_host: str) -> list[dict[str, Any]]:
    """The rows to import (one per public or unlisted post), or Invalid saying what is wrong.
    Blocking: run it in a thread. `actor_host` is this instance's host (old URLs redirect when the
    archive came from it)."""
    import zipfile  # loaded for the first archive, not at start

    if not zipfile.is_zipfile(path):
        raise Invalid("That file is not a ZIP archive.", field="file")
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
        total = 0
        for info in infos:
            if _unsafe(info.filename):
                raise Invalid(f"The archive holds an unsafe file name: {info.filename[:100]!r}.", field="file")
            if info.file_size > MAX_MEMBER_BYTES:
                raise Invalid(f"{info.filename[:100]} is too large ({info.file_size:,} bytes; at most"
                              f" {MAX_MEMBER_BYTES:,}).", field="file")
            total += info.file_size
        if total > MAX_TOTAL_BYTES:
            raise Invalid("The archive holds more than 2 GB once unpacked.", field="file")
        names = {info.filename for info in infos}
        if "outbox.json" not in names:
            raise Invalid("The archive has no outbox.json: is it a Mastodon archive?", field="file")
        try:
            outbox = json.loads(archive.read("outbox.json"))
        except ValueError:
            raise Invalid("outbox.json is not valid JSON.", field="file") from None
    items = outbox.get("orderedItems") if isinstance(outbox, dict) else None
    if not isinstance(items, list):
        raise Invalid("outbox.json has no orderedItems.", field="file")
    rows = []
    for line, item in enumerate(items, start=1):
        note = item.get("object") if isinstance(item, dict) and item.get("type") == "Create" else None
        if not isinstance(note, dict) or note.get("type") not in parse.NOTE_TYPES:
            continue  # boosts and anything else are not the member's own posts
        try:
            parsed = parse.as_object_to_note(note)
        except parse.Malformed:
            continue
        followers = f"{parsed.attributed_to}/followers"
        visibility = parse.visibility_of(parsed.to, parsed.cc, followers)
        if visibility not in (Visibility.PUBLIC, Visibility.UNLISTED):
            continue
        media = [{"path": a["url"].lstrip("/"), "description": a["description"]}
                 for a in _local_attachments(note) if a["url"].lstrip("/") in names][:MAX_MEDIA]
        rows.append({"line": line, "target": parsed.uri, "note": note, "visibility": visibility.value,
                     "media": media, "redirect": parse.host_of(parsed.uri) == actor_host})
        if len(rows) > MAX_POSTS:
            raise Invalid(f"An archive can bring at most {MAX_POSTS:,} posts.", field="file")
    if not rows:
        raise Invalid("The archive has no public or unlisted posts to bring.", field="file")
    return rows


def _local_attachments(note: dict[str, Any]) -> list[dict[str, str]]:
    """Attachments whose url is a path inside the archive (as Mastodon's export writes them)."""
    found = []
    for item in parse.many(note.get("attachment")):
        url = item.get("url") if isinstance(item, dict) else None
        if isinstance(url, str) and url.startswith("/") and not _unsafe(url.lstrip("/")):
            found.append({"url": url, "description": str(item.get("name") or "")[:1500]})
    return found


async def start(pool: asyncpg.Pool, cfg: Config, urls: Urls, member: Account, upload: Any, filename: str) -> int:
    """Keep the uploaded archive, check it whole, and queue its posts; Invalid and nothing kept when bad."""
    name = f"{secrets.token_hex(16)}.zip"
    path = folder(cfg) / name
    await asyncio.to_thread(_copy, upload, path)
    try:
        rows = await asyncio.to_thread(check, path, urls.host)
        for row in rows:
            row["archive"] = name
        async with pool.acquire() as conn, conn.transaction():
            job_id = await imports_store.create_job(conn, member.id, "archive", "merge", filename[:200], rows)
            await queue.notify(conn, "import_rows")
    except Exception:
        path.unlink(missing_ok=True)
        raise
    return job_id


def _copy(upload: Any, path: Path) -> None:
    """Copy the uploaded file (a temporary file) to `path`, refusing one over MAX_ARCHIVE_BYTES."""
    path.parent.mkdir(parents=True, exist_ok=True)
    copied = 0
    with path.open("wb") as out:
        while chunk := upload.read(1024 * 1024):
            copied += len(chunk)
            if copied > MAX_ARCHIVE_BYTES:
                out.close()
                path.unlink(missing_ok=True)
                raise Invalid(f"An archive can be at most {MAX_ARCHIVE_BYTES // (1024 * 1024)} MB.", field="file")
            out.write(chunk)


async def import_post(pool: asyncpg.Pool, cfg: Config, storage: MediaStorage, member: Account,
                      row: dict[str, Any]) -> None:
    """Store one post of the archive as the member's, dated as first published; nothing is
    delivered or put in feeds. An attachment that is not a usable image, video or audio is left out."""
    uri = row["target"]
    if await imports_store.imported_status(pool, member.id, uri) is not None:
        return
    parsed = parse.as_object_to_note(row["note"])
    path = folder(cfg) / row["archive"]
    media_ids = []
    for item in row["media"]:
        data = await asyncio.to_thread(_read_member, path, item["path"])
        try:
            made = await uploads.create(pool, storage, member.id, data, None, item["description"], (0.0, 0.0))
        except AppError:
            continue
        media_ids.append(made["id"])
    async with pool.acquire() as conn, conn.transaction():
        status_id = await imports_store.insert_imported(
            conn, account_id=member.id, source_text=strip_html(parsed.content), content=parsed.content,
            spoiler_text=parsed.spoiler_text, visibility=Visibility(row["visibility"]), sensitive=parsed.sensitive,
            language=parsed.language, published=parsed.published)
        if media_ids:
            await statuses_store.attach_media(conn, status_id, member.id, media_ids)
        await statuses_store.add_tags(conn, status_id, parsed.hashtags)
        await imports_store.remember_imported(conn, member.id, uri, status_id, redirect=row.get("redirect", False))


def forget(cfg: Config, name: str) -> None:
    """Remove an uploaded archive once every post of it is imported (or given up on)."""
    (folder(cfg) / name).unlink(missing_ok=True)


def _read_member(path: Path, name: str) -> bytes:
    import zipfile

    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(name)
        if info.file_size > MAX_MEMBER_BYTES:
            raise Invalid(f"{name[:100]} is too large.")
        return archive.read(info)
