"""The media lifecycle: what nobody needs leaves the disk, what someone still uses stays."""

from __future__ import annotations

import io
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
from PIL import Image

from server.domain import posting, scheduling
from server.media import cleanup, uploads
from server.media.storage import LocalStorage
from server.urls import Urls
from tests.conftest import kith_cli
from tests.helpers import make_member


def png(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(out, "PNG")
    return out.getvalue()


async def upload(pool: asyncpg.Pool, storage: LocalStorage, account_id: int, days_old: float = 2) -> dict:
    made = await uploads.create(pool, storage, account_id, png((200, 40, 40)), None, "", (0.0, 0.0))
    await pool.execute("UPDATE media_attachments SET created_at = now() - $2::interval WHERE id = $1",
                       made["id"], timedelta(days=days_old))
    return made


async def cache_remote(pool: asyncpg.Pool, storage: LocalStorage, url: str, days_old: float) -> str:
    key = f"{abs(hash(url)):032x}"[:32] + "/original.png"
    await storage.save(key, png((10, 10, 10)), "image/png")
    await pool.execute("INSERT INTO remote_media_cache (url, file_path, mime_type, fetched_at)"
                       " VALUES ($1, $2, 'image/png', now() - $3::interval)", url, key, timedelta(days=days_old))
    return key


async def test_cleanup_removes_only_what_nobody_uses(pool: asyncpg.Pool, tmp_path: Path, caplog):
    storage = LocalStorage(tmp_path)
    urls = Urls("https://kith.test", storage)
    alice = await make_member(pool, "alice")
    abandoned = await upload(pool, storage, alice.id)
    fresh = await upload(pool, storage, alice.id, days_old=0.1)
    avatar = await upload(pool, storage, alice.id)
    await pool.execute("UPDATE accounts SET avatar_url = $2 WHERE id = $1", alice.id, f"/media/{avatar['file_path']}")
    scheduled = await upload(pool, storage, alice.id)
    await scheduling.schedule(pool, alice, posting.NewPost("later", media_ids=[scheduled["id"]]),
                              datetime.now(UTC) + timedelta(hours=1), 500)
    shown = await upload(pool, storage, alice.id)
    await posting.create_post(pool, urls, alice, posting.NewPost("kept", media_ids=[shown["id"]]), 500)
    redrafted = await upload(pool, storage, alice.id)
    deleted_id = await posting.create_post(pool, urls, alice, posting.NewPost("gone", media_ids=[redrafted["id"]]), 500)
    await posting.delete_post(pool, urls, alice, deleted_id)

    remote = await pool.fetchval(
        "INSERT INTO accounts (username, domain, uri, public_key_pem, suspended_at) VALUES"
        " ('spam', 'remote.test', 'https://remote.test/u/spam', 'k', now() - interval '2 days') RETURNING id")
    await pool.execute("UPDATE accounts SET avatar_url = 'https://remote.test/spam.png' WHERE id = $1", remote)
    spam_face = await cache_remote(pool, storage, "https://remote.test/spam.png", days_old=1)
    expired = await cache_remote(pool, storage, "https://elsewhere.test/old.png", days_old=40)
    recent = await cache_remote(pool, storage, "https://elsewhere.test/new.png", days_old=5)

    def exists(*keys: str) -> list[bool]:
        return [(tmp_path / key).exists() for key in keys]

    # A dry run counts what would go, and removes nothing.
    planned = await cleanup.survey(pool, storage, remote_media_days=30)
    assert planned.files == {"unused uploads": 2, "deleted posts": 0, "expired remote copies": 1,
                             "suspended accounts": 1}  # the abandoned upload and its small rendition
    assert planned.bytes == sum((tmp_path / k).stat().st_size for k in (
        abandoned["file_path"], abandoned["thumb_path"], expired, spam_face))
    assert exists(abandoned["file_path"]) == [True]

    # One of the files to remove is already gone: it is logged, and the rest carries on.
    (tmp_path / abandoned["thumb_path"]).unlink()
    with caplog.at_level(logging.INFO, logger="server.media.cleanup"):
        done = await cleanup.clean(pool, storage, remote_media_days=30)
    assert done.total_files == 4
    assert f"media file {abandoned['thumb_path']} was already missing" in caplog.text
    assert exists(abandoned["file_path"], expired, spam_face) == [False, False, False]
    assert exists(fresh["file_path"], avatar["file_path"], scheduled["file_path"], shown["file_path"],
                  redrafted["file_path"], recent) == [True] * 6
    left = {r["id"] for r in await pool.fetch("SELECT id FROM media_attachments")}
    assert left == {fresh["id"], avatar["id"], scheduled["id"], shown["id"], redrafted["id"]}
    assert await pool.fetchval("SELECT array_agg(url ORDER BY url) FROM remote_media_cache") == [
        "https://elsewhere.test/new.png"]

    # The deleted post let go of its upload, which "delete and redraft" may attach again for a day.
    assert await pool.fetchval("SELECT status_id FROM media_attachments WHERE id = $1", redrafted["id"]) is None
    await pool.execute("UPDATE media_attachments SET detached_at = now() - interval '25 hours' WHERE id = $1",
                       redrafted["id"])
    assert (await cleanup.clean(pool, storage, remote_media_days=30)).files["unused uploads"] == 2
    assert exists(redrafted["file_path"]) == [False]


async def test_deleted_remote_posts_lose_their_cached_files(pool: asyncpg.Pool, tmp_path: Path):
    storage = LocalStorage(tmp_path)
    author = await pool.fetchval("INSERT INTO accounts (username, domain, uri, public_key_pem)"
                                 " VALUES ('bob', 'remote.test', 'https://remote.test/u/bob', 'k') RETURNING id")
    posts = {}
    for name, deleted in (("kept", None), ("deleted", timedelta(days=2))):
        posts[name] = await pool.fetchval(
            "INSERT INTO statuses (account_id, uri, content, visibility, deleted_at)"
            " VALUES ($1, $2, '', 'public', now() - $3::interval) RETURNING id",
            author, f"https://remote.test/p/{name}", deleted)
        await pool.execute("INSERT INTO media_attachments (account_id, status_id, kind, remote_url)"
                           " VALUES ($1, $2, 'image', $3)", author, posts[name], f"https://remote.test/{name}.png")
    await pool.execute("UPDATE statuses SET deleted_at = NULL WHERE id = $1", posts["kept"])
    kept = await cache_remote(pool, storage, "https://remote.test/kept.png", days_old=1)
    gone = await cache_remote(pool, storage, "https://remote.test/deleted.png", days_old=1)

    done = await cleanup.clean(pool, storage, remote_media_days=30)
    assert done.files["deleted posts"] == 1
    assert [(tmp_path / k).exists() for k in (kept, gone)] == [True, False]
    assert await pool.fetchval("SELECT array_agg(remote_url) FROM media_attachments") == ["https://remote.test/kept.png"]


async def test_kith_media_cleanup_dry_run_then_for_real(pool: asyncpg.Pool, database_url: str, tmp_path: Path):
    data = tmp_path / "data"
    storage = LocalStorage(data / "media")
    alice = await make_member(pool, "alice")
    abandoned = await upload(pool, storage, alice.id)
    args = ("--database-url", database_url, "--data-dir", str(data))
    size = sum((data / "media" / abandoned[k]).stat().st_size for k in ("file_path", "thumb_path"))

    dry = kith_cli("media", "cleanup", "--dry-run", *args)
    assert dry.returncode == 0, dry.stderr
    assert "unused uploads: 2 files" in dry.stdout and f"2 files, {size} B would be freed." in dry.stdout
    assert (data / "media" / abandoned["file_path"]).exists()

    real = kith_cli("media", "cleanup", *args)
    assert real.returncode == 0, real.stderr
    assert f"2 files, {size} B freed." in real.stdout
    assert not (data / "media" / abandoned["file_path"]).exists()
    assert await pool.fetchval("SELECT count(*) FROM media_attachments") == 0
